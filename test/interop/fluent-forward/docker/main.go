// Sends as Docker's fluentd log driver does (moby daemon/logger/fluentd), with the library it sends
// with, fluent-logger-golang: one PostWithTime per line, the driver's map of container_id,
// container_name, source and log, sub-second times, acks when asked (fluentd-request-ack).
// A program of its own: fluent-logger-golang and fluent-forward-go both register MessagePack's
// extension 0 and cannot share a binary.
//
//	fluent-forward-docker <host:port> <events> <ack 0|1> [long]
//
// With "long", as a container named shop-batch whose every fifth line (i % 5 == 4) is a JSON line of
// about 40 KB, which Docker cuts into parts of 16 KiB (its log copier's buffer) and sends one event per
// part with partial_message, partial_id, partial_ordinal and partial_last (Docker 19.03 and later).
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
	long := len(os.Args) > 4 && os.Args[4] == "long"
	for i := 0; i < n; i++ {
		data := map[string]string{
			"container_id":   "3c9e7c1d0a5f4b2e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e",
			"container_name": "/shop-web",
			"source":         []string{"stdout", "stderr"}[i%2],
			"log":            events.Line(i),
		}
		tag := "docker.3c9e7c1d0a5f"
		if long {
			data["container_id"] = "7b1d9e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b"
			data["container_name"] = "/shop-batch"
			tag = "docker.7b1d9e3f5a7c"
		}
		if long && i%5 == 4 {
			line := fmt.Sprintf(`{"level":30,"msg":"long %d","order":%d,"blob":"%s"}`, i, i, strings.Repeat("abcdefghij", 4000))
			id := fmt.Sprintf("%064x", i+1)
			for part, from := 1, 0; from < len(line); part, from = part+1, from+16384 {
				to := min(from+16384, len(line))
				chunk := map[string]string{}
				for k, v := range data {
					chunk[k] = v
				}
				chunk["log"] = line[from:to]
				chunk["partial_message"] = "true"
				chunk["partial_id"] = id
				chunk["partial_ordinal"] = strconv.Itoa(part)
				chunk["partial_last"] = strconv.FormatBool(to == len(line))
				if err := f.PostWithTime(tag, events.At(i), chunk); err != nil {
					fail(err)
				}
			}
			continue
		}
		if err := f.PostWithTime(tag, events.At(i), data); err != nil {
			fail(err)
		}
	}
	fmt.Printf("sent %d\n", n)
}
