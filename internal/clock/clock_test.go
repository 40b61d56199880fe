package clock

import (
	"testing"
	"time"
)

// A fake clock's timers fire when it is moved past them, in time order,
// not before, and a stopped one never does.
func TestFakeTimers(t *testing.T) {
	start := time.Unix(1000, 0)
	f := NewFake(start)
	fired := make(chan string, 3)
	f.AfterFunc(2*time.Second, func() { fired <- "two" })
	f.AfterFunc(time.Second, func() { fired <- "one" })
	stopped := f.AfterFunc(time.Second, func() { fired <- "stopped" })
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop: want true once, then false")
	}
	f.Advance(999 * time.Millisecond)
	select {
	case got := <-fired:
		t.Fatalf("%q fired before its time", got)
	case <-time.After(20 * time.Millisecond):
	}
	f.Advance(time.Millisecond)
	if got := <-fired; got != "one" {
		t.Fatalf("at 1 s %q fired, want one", got)
	}
	f.Advance(time.Hour)
	if got := <-fired; got != "two" {
		t.Fatalf("then %q, want two", got)
	}
	if now := f.Now(); !now.Equal(start.Add(time.Hour + time.Second)) {
		t.Fatalf("Now %v after advancing an hour and a second", now)
	}
	if f.Waiting() != 0 {
		t.Fatalf("%d still waiting", f.Waiting())
	}
}

// A fake ticker ticks once per period passed, dropping the ticks its
// reader did not take, as a real one does, and stops.
func TestFakeTicker(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	tk := f.NewTicker(time.Second)
	f.Advance(500 * time.Millisecond)
	select {
	case <-tk.C():
		t.Fatal("a tick before the period")
	default:
	}
	f.Advance(3 * time.Second) // three ticks due, one taken
	if at := <-tk.C(); !at.Equal(time.Unix(1, 0)) {
		t.Fatalf("the tick kept is at %v, want the first", at)
	}
	select {
	case <-tk.C():
		t.Fatal("ticks the reader missed were kept")
	default:
	}
	f.Advance(time.Second)
	if at := <-tk.C(); !at.Equal(time.Unix(4, 0)) {
		t.Fatalf("next tick at %v, want 4 s", at)
	}
	tk.Stop()
	f.Advance(time.Hour)
	select {
	case <-tk.C():
		t.Fatal("a stopped ticker ticked")
	default:
	}
}

// Real is the system's clock.
func TestReal(t *testing.T) {
	if d := time.Since(Real.Now()); d < 0 || d > time.Minute {
		t.Fatalf("Real.Now is %v from time.Now", d)
	}
	done := make(chan struct{})
	Real.AfterFunc(time.Millisecond, func() { close(done) })
	<-done
	tk := Real.NewTicker(time.Millisecond)
	<-tk.C()
	tk.Stop()
}
