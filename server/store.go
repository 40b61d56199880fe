package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"hark/server/chat"
	"hark/server/natsstore"
)

// storeConfig is what the flags say about where state lives.
type storeConfig struct {
	Kind     string   // "nats" or "memory"
	Dir      string   // the embedded server's data directory
	NATS     []string // an external cluster's URLs; empty: embedded
	Replicas int
	Fsync    string // "", "always" or a duration
	// Limits are what either store keeps.
	Limits chat.Limits
}

// store is the state a node runs on, and what to close at exit.
type store struct {
	chat.Store
	closers []func()
}

// Close shuts the store down, the last opened first.
func (s *store) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// embeddedConfig is the embedded server's set-up for a data directory and
// an -fsync value: "" (the server's default), "always", or a duration.
func embeddedConfig(dir, fsync string) (natsstore.EmbeddedConfig, error) {
	ecfg := natsstore.EmbeddedConfig{Dir: dir}
	switch fsync {
	case "":
	case "always":
		ecfg.SyncAlways = true
	default:
		d, err := time.ParseDuration(fsync)
		if err != nil || d <= 0 {
			return ecfg, fmt.Errorf("-fsync: %q is neither always nor a duration", fsync)
		}
		ecfg.SyncInterval = d
	}
	return ecfg, nil
}

// fitReplicas is the number of copies to make on the NATS servers nc is
// connected to: asked (-replicas), or, when not, 3, or fewer on a smaller
// cluster, and 1 on a server that is not in a cluster. A single server
// cannot keep more than one copy: asking it for more is an error at once
// that says what to do (JetStream would refuse every attempt to make the
// stream, and a node would retry for a minute without saying why).
func fitReplicas(nc *nats.Conn, asked int) (int, error) {
	single := nc.ConnectedClusterName() == ""
	switch {
	case single && asked > 1:
		return 0, fmt.Errorf("-nats: %s is a single NATS server, not a cluster, and keeps one copy of each stream: start with -replicas 1, or point -nats at a cluster", nc.ConnectedUrlRedacted())
	case single:
		return 1, nil
	case asked > 0:
		return asked, nil
	}
	// The servers this connection knows: those given and those the
	// cluster told it of.
	return min(3, max(1, len(nc.Servers()))), nil
}

// openStore opens the store the flags ask for.
func openStore(cfg storeConfig, logger *slog.Logger) (*store, error) {
	st := &store{}
	switch cfg.Kind {
	case "memory":
		logger.Warn("store: memory; history, names and sessions are lost at exit")
		if len(cfg.NATS) > 0 || cfg.Fsync != "" || cfg.Replicas > 1 {
			logger.Warn("-nats, -fsync and -replicas are ignored with -store memory")
		}
		st.Store = chat.MemoryStore(cfg.Limits, nil)
		return st, nil
	case "nats":
	default:
		return nil, fmt.Errorf("-store: %q is neither nats nor memory", cfg.Kind)
	}
	var nc *nats.Conn
	replicas := cfg.Replicas
	// Each of these flags belongs to one of the two stores: say so rather
	// than leave someone believing it took effect.
	if len(cfg.NATS) > 0 && cfg.Fsync != "" {
		logger.Warn("-fsync is ignored with -nats: the NATS cluster's own sync setting applies")
	}
	if len(cfg.NATS) == 0 && cfg.Replicas > 1 {
		logger.Warn("-replicas is ignored without -nats: the embedded server keeps one copy")
	}
	if len(cfg.NATS) > 0 {
		var err error
		nc, err = nats.Connect(strings.Join(cfg.NATS, ","), nats.Name("hark"), nats.MaxReconnects(-1))
		if err != nil {
			return nil, fmt.Errorf("-nats: %w", err)
		}
		if replicas, err = fitReplicas(nc, replicas); err != nil {
			nc.Close()
			return nil, err
		}
		logger.Info("store: NATS", "servers", cfg.NATS, "cluster", nc.ConnectedClusterName(), "replicas", replicas)
	} else {
		ecfg, err := embeddedConfig(cfg.Dir, cfg.Fsync)
		if err != nil {
			return nil, err
		}
		var srv *server.Server
		srv, nc, err = natsstore.Embedded(ecfg)
		if err != nil {
			return nil, err
		}
		st.closers = append(st.closers, func() { srv.Shutdown(); srv.WaitForShutdown() })
		replicas = 1
		logger.Info("store: embedded NATS JetStream", "dir", cfg.Dir)
	}
	st.closers = append(st.closers, nc.Close)
	// A cluster that is still electing its leaders does not answer (a
	// request for a stream made a moment ago by another node waits for its
	// leader): try for a minute, a second at a time.
	var ns *natsstore.Store
	var err error
	for deadline := time.Now().Add(time.Minute); ; {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ns, err = natsstore.Open(ctx, nc, natsstore.Config{Limits: cfg.Limits, Replicas: replicas})
		cancel()
		if err == nil || time.Now().After(deadline) {
			break
		}
		logger.Warn("store: not ready yet", "err", err)
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	st.closers = append(st.closers, ns.Close)
	if len(ns.Log.Changed) > 0 {
		logger.Warn("store: the event stream's limits changed with this start (on a cluster every node sets them when it starts: give them all the same flags)", "changes", strings.Join(ns.Log.Changed, ", "))
	}
	st.Store = ns.Chat()
	return st, nil
}
