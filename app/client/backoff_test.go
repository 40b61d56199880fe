package client

import (
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	b := defaultBackoff
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := b.bound(i + 1); got != w {
			t.Errorf("bound(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := b.bound(1000); got != b.Cap {
		t.Errorf("bound(1000) = %v, want the cap %v", got, b.Cap)
	}
	// Full jitter: the extremes of the random draw give 0 and the bound.
	b.rand = func(n int64) int64 { return n - 1 }
	if got := b.delay(1); got != 500*time.Millisecond {
		t.Errorf("largest first delay = %v", got)
	}
	b.rand = func(int64) int64 { return 0 }
	if got := b.delay(9); got != 0 {
		t.Errorf("smallest delay = %v", got)
	}
	// The real source stays in range, and the first retry is well under
	// a second.
	b.rand = nil
	for n := 1; n < 12; n++ {
		for range 200 {
			if d := b.delay(n); d < 0 || d > b.bound(n) {
				t.Fatalf("delay(%d) = %v outside [0, %v]", n, d, b.bound(n))
			}
		}
	}
	if b.bound(1) >= time.Second {
		t.Fatal("the first retry may wait a second or more")
	}
}
