// otlp-pdata decodes Kafka message values the way the OpenTelemetry Collector's kafka receiver does
// for `encoding: otlp_proto` (plog.ProtoUnmarshaler) and prints each as OTLP/JSON
// (plog.JSONMarshaler), one line per message. The tests use it as the reader that is not ours: if
// the Collector's own decoder accepts our bytes, the Collector, and tools built on its pdata, can
// read our topics.
//
// Input on stdin: messages framed as [uint32 big-endian length][bytes], so any byte value can pass
// (a protobuf message may hold newlines). A message that does not decode ends the run with exit 1
// and names its index: a silent skip would hide the very bug the tests look for.
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"go.opentelemetry.io/collector/pdata/plog"
)

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	var unmarshaler plog.ProtoUnmarshaler
	var marshaler plog.JSONMarshaler
	var head [4]byte
	for i := 0; ; i++ {
		if _, err := io.ReadFull(in, head[:]); err != nil {
			if errors.Is(err, io.EOF) {
				break // a clean end: no partial length
			}
			fail("message %d: reading its length: %v", i, err)
		}
		msg := make([]byte, binary.BigEndian.Uint32(head[:]))
		if _, err := io.ReadFull(in, msg); err != nil {
			fail("message %d: reading its %d bytes: %v", i, len(msg), err)
		}
		logs, err := unmarshaler.UnmarshalLogs(msg)
		if err != nil {
			fail("message %d: not an OTLP ExportLogsServiceRequest: %v", i, err)
		}
		js, err := marshaler.MarshalLogs(logs)
		if err != nil {
			fail("message %d: writing OTLP/JSON: %v", i, err)
		}
		out.Write(js)
		out.WriteByte('\n')
	}
	if err := out.Flush(); err != nil {
		fail("writing stdout: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "otlp-pdata: "+format+"\n", args...)
	os.Exit(1)
}
