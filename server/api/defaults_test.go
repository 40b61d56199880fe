package api

import (
	"testing"
	"time"
)

// The contract's timings (PROTOCOL.md, the README's API table): a
// keep-alive at least every 15 s and a long poll held 25 s at most, by
// default and whatever a configuration asks beyond them.
func TestStreamTimingDefaults(t *testing.T) {
	t.Parallel()
	for _, asked := range []time.Duration{0, time.Hour} {
		c := Config{PingInterval: asked, PollWait: asked}
		c.setDefaults()
		if c.PingInterval != 15*time.Second || c.PollWait != 25*time.Second {
			t.Errorf("asked %v: keep-alive every %v, polls held %v; want 15s and 25s", asked, c.PingInterval, c.PollWait)
		}
	}
}
