// Filebeat 7.17 as Elastic builds it (filebeat/main.go of github.com/elastic/beats/v7), for the
// Elasticsearch intake's test (test/agents/sources/elasticsearch.test.ts): a sender that is not ours.
package main

import (
	"os"

	"github.com/elastic/beats/v7/filebeat/cmd"
	inputs "github.com/elastic/beats/v7/filebeat/input/default-inputs"
)

func main() {
	if err := cmd.Filebeat(inputs.Init, cmd.FilebeatSettings()).Execute(); err != nil {
		os.Exit(1)
	}
}
