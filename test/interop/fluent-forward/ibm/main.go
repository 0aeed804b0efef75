// Sends with IBM's fluent-forward-go, which speaks every mode of the Forward protocol (Message with
// whole seconds or an EventTime, Forward, PackedForward, CompressedPackedForward), acks and the
// shared-key handshake.
//
//	fluent-forward-ibm <host:port> <events> <ack 0|1> <message|message-ext|forward|packed|compressed> [shared key]
//
// Message modes stamp each event with now (the library's choice); the others with events.At(i).
// Over TLS when FLUENT_TLS_CA names the CA file to check the agent's certificate against (its name must
// be localhost); FLUENT_TLS_CERT and FLUENT_TLS_KEY, when set, are the client's certificate and key.
// Prints "sent <events>" once every event was written (and, with acks, acknowledged); exits 1 with the error.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/IBM/fluent-forward-go/fluent/client"
	"github.com/IBM/fluent-forward-go/fluent/protocol"
	"tributary/test/interop/fluent-forward/events"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 5 {
		fail(fmt.Errorf("usage: fluent-forward-ibm <host:port> <events> <ack 0|1> <mode> [shared key]"))
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fail(err)
	}
	mode := os.Args[4]
	key := ""
	if len(os.Args) > 5 {
		key = os.Args[5]
	}
	factory := &client.ConnFactory{Network: "tcp", Address: os.Args[1]}
	if caFile := os.Getenv("FLUENT_TLS_CA"); caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			fail(err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			fail(fmt.Errorf("no certificate in %s", caFile))
		}
		cfg := &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}
		if certFile := os.Getenv("FLUENT_TLS_CERT"); certFile != "" {
			pair, err := tls.LoadX509KeyPair(certFile, os.Getenv("FLUENT_TLS_KEY"))
			if err != nil {
				fail(err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		factory.TLSConfig = cfg
	}
	opts := client.ConnectionOptions{
		Factory:           factory,
		RequireAck:        os.Args[3] == "1",
		ConnectionTimeout: 10 * time.Second,
	}
	// The client asks for the handshake whenever the key is not nil, empty or not.
	if key != "" {
		opts.AuthInfo = client.AuthInfo{SharedKey: []byte(key)}
	}
	c := client.New(opts)
	c.Hostname = "sender-host"
	if err := c.Connect(); err != nil {
		fail(err)
	}
	defer c.Disconnect()
	if key != "" {
		if err := c.Handshake(); err != nil {
			fail(fmt.Errorf("handshake: %w", err))
		}
	}
	record := func(i int) map[string]interface{} {
		return map[string]interface{}{"message": events.Line(i), "seq": i, "app": map[string]interface{}{"name": "shop", "version": "1.2.3"}}
	}
	const tag = "app.shop"
	switch mode {
	case "message", "message-ext":
		for i := 0; i < n; i++ {
			var err error
			if mode == "message" {
				err = c.SendMessage(tag, record(i))
			} else {
				err = c.SendMessageExt(tag, record(i))
			}
			if err != nil {
				fail(err)
			}
		}
	default:
		entries := make(protocol.EntryList, 0, n)
		for i := 0; i < n; i++ {
			entries = append(entries, protocol.EntryExt{Timestamp: protocol.EventTime{Time: events.At(i)}, Record: record(i)})
		}
		switch mode {
		case "forward":
			err = c.SendForward(tag, entries)
		case "packed":
			err = c.SendPacked(tag, entries)
		case "compressed":
			err = c.SendCompressed(tag, entries)
		default:
			err = fmt.Errorf("unknown mode %q", mode)
		}
		if err != nil {
			fail(err)
		}
	}
	fmt.Printf("sent %d\n", n)
}
