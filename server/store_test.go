package main

import (
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
