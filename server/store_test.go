package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"hark/server/chat"
	"hark/server/natsstore"
)

// -fsync takes "always" or a positive duration; anything else stops the
// start with an error that names the flag.
func TestFsyncFlag(t *testing.T) {
	for _, c := range []struct {
		fsync string
		want  natsstore.EmbeddedConfig
	}{
		{"", natsstore.EmbeddedConfig{Dir: "d"}},
		{"always", natsstore.EmbeddedConfig{Dir: "d", SyncAlways: true}},
		{"1s", natsstore.EmbeddedConfig{Dir: "d", SyncInterval: time.Second}},
	} {
		got, err := embeddedConfig("d", c.fsync)
		if err != nil || got != c.want {
			t.Errorf("-fsync %q: %+v, %v; want %+v", c.fsync, got, err, c.want)
		}
	}
	for _, bad := range []string{"sometimes", "0", "-1s", "1"} {
		if _, err := embeddedConfig("d", bad); err == nil {
			t.Errorf("-fsync %q was taken", bad)
		}
	}
}

// A flag that belongs to the other store is named in a warning, not
// silently dropped.
func TestStoreFlagsThatDoNotApply(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	// -fsync with -nats (the connection fails: nothing listens there).
	if _, err := openStore(storeConfig{Kind: "nats", NATS: []string{"nats://127.0.0.1:1"}, Fsync: "1s"}, logger); err == nil {
		t.Fatal("connected to nothing")
	}
	if !strings.Contains(log.String(), "-fsync is ignored with -nats") {
		t.Errorf("no warning for -fsync with -nats: %s", log.String())
	}
	log.Reset()
	st, err := openStore(storeConfig{Kind: "nats", Dir: t.TempDir(), Replicas: 3, Limits: chat.Limits{Keep: 100}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if !strings.Contains(log.String(), "-replicas is ignored without -nats") {
		t.Errorf("no warning for -replicas without -nats: %s", log.String())
	}
}

// -nats pointed at one NATS server that is not in a cluster (the first
// thing anyone tries) works with one copy when -replicas is not given,
// and with -replicas 3 stops at once with an error naming -replicas 1.
func TestNATSWithASingleServer(t *testing.T) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	start := time.Now()
	_, err = openStore(storeConfig{Kind: "nats", NATS: []string{srv.ClientURL()}, Replicas: 3, Limits: chat.Limits{Keep: 100}}, logger)
	if err == nil || !strings.Contains(err.Error(), "-replicas 1") {
		t.Fatalf("-replicas 3 on a single server: %v, want an error naming -replicas 1", err)
	}
	if strings.Contains(log.String(), "not ready yet") {
		t.Errorf("retried a start that cannot succeed (after %v): %s", time.Since(start), log.String())
	}
	st, err := openStore(storeConfig{Kind: "nats", NATS: []string{srv.ClientURL()}, Limits: chat.Limits{Keep: 100}}, logger)
	if err != nil {
		t.Fatalf("without -replicas on a single server: %v", err)
	}
	st.Close()
	if !strings.Contains(log.String(), "replicas=1") {
		t.Errorf("the log does not say how many copies: %s", log.String())
	}
}
