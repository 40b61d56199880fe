package natsstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EmbeddedConfig sets up an embedded nats-server.
type EmbeddedConfig struct {
	// Dir is where JetStream keeps its files.
	Dir string
	// SyncAlways makes JetStream fsync every write, so an operating-system
	// crash loses nothing acknowledged either, at a cost in throughput.
	// Otherwise it fsyncs every SyncInterval (default 2 minutes, the
	// server's own); a process crash loses nothing either way, since each
	// write reaches the OS before it is acknowledged.
	SyncAlways   bool
	SyncInterval time.Duration
}

// Embedded starts a nats-server with JetStream inside this process,
// storing in cfg.Dir and opening no port, and returns it with an
// in-process connection to it. Shut both down with Shutdown.
func Embedded(cfg EmbeddedConfig) (*server.Server, *nats.Conn, error) {
	if cfg.Dir == "" {
		return nil, nil, errors.New("natsstore: the embedded server needs a data directory")
	}
	s, err := server.NewServer(&server.Options{
		ServerName:   "hark",
		JetStream:    true,
		StoreDir:     cfg.Dir,
		DontListen:   true,
		NoSigs:       true,
		SyncAlways:   cfg.SyncAlways,
		SyncInterval: cfg.SyncInterval,
	})
	if err != nil {
		return nil, nil, err
	}
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, nil, fmt.Errorf("natsstore: the embedded server in %s did not start", cfg.Dir)
	}
	nc, err := nats.Connect(s.ClientURL(), nats.InProcessServer(s))
	if err != nil {
		s.Shutdown()
		return nil, nil, err
	}
	return s, nc, nil
}
