// Package natstest starts NATS servers with JetStream inside a test's
// process, on loopback ports of their own, for the tests of every package
// that needs a real NATS (the store, the client's failover, the browser
// tests of a cluster).
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server starts one nats-server with JetStream in a temporary directory
// and returns its client URL. It is shut down when the test ends; call it
// before starting what uses it, so that stops first.
func Server(t testing.TB) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host:      "127.0.0.1",
		Port:      -1,
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoSigs:    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start within 10s")
	}
	return ns.ClientURL()
}
