// Sends as Docker's fluentd log driver does (moby daemon/logger/fluentd), with the library it sends
// with, fluent-logger-golang: one PostWithTime per line, the driver's map of container_id,
// container_name, source and log, sub-second times, acks when asked (fluentd-request-ack).
// A program of its own: fluent-logger-golang and fluent-forward-go both register MessagePack's
// extension 0 and cannot share a binary.
//
//	fluent-forward-docker <host:port> <events> <ack 0|1>
//
// Prints "sent <events>" once every event was written (and, with acks, acknowledged); exits 1 with the error.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"tributary/test/interop/fluent-forward/events"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 4 {
		fail(fmt.Errorf("usage: fluent-forward-docker <host:port> <events> <ack 0|1>"))
	}
	host, port, _ := strings.Cut(os.Args[1], ":")
	p, _ := strconv.Atoi(port)
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fail(err)
	}
	f, err := fluent.New(fluent.Config{FluentHost: host, FluentPort: p, SubSecondPrecision: true, RequestAck: os.Args[3] == "1", MaxRetry: 3, Timeout: 5 * time.Second, ReadTimeout: 10 * time.Second})
	if err != nil {
		fail(err)
	}
	defer f.Close()
	for i := 0; i < n; i++ {
		data := map[string]string{
			"container_id":   "3c9e7c1d0a5f4b2e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e",
			"container_name": "/shop-web",
			"source":         []string{"stdout", "stderr"}[i%2],
			"log":            events.Line(i),
		}
		if err := f.PostWithTime("docker.3c9e7c1d0a5f", events.At(i), data); err != nil {
			fail(err)
		}
	}
	fmt.Printf("sent %d\n", n)
}
