package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

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
	st, err := openStore(storeConfig{Kind: "nats", Dir: t.TempDir(), Replicas: 3, Keep: 100}, logger)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if !strings.Contains(log.String(), "-replicas is ignored without -nats") {
		t.Errorf("no warning for -replicas without -nats: %s", log.String())
	}
}
