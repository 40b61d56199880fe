//go:build !js

package client

import (
	"testing"
	"time"
)

// Auto gives a transport 4 s to say hello before trying the next, unless
// told otherwise (the README's "Auto 4 s").
func TestAutoOpenTimeoutDefault(t *testing.T) {
	if got := New(Options{}).opts.AutoOpenTimeout; got != 4*time.Second {
		t.Errorf("Auto waits %v for a hello by default, want 4s", got)
	}
	if got := New(Options{AutoOpenTimeout: time.Second}).opts.AutoOpenTimeout; got != time.Second {
		t.Errorf("Auto waits %v when told 1s", got)
	}
}
