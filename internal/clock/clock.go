// Package clock is the time a component reads and waits on, so a test can
// move it: Real is the system's, a Fake moves only when told. The chat's
// grace timers, presence and lease loops and budgets run on one.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and runs functions after a while.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed, unless
	// the returned Timer is stopped first, as time.AfterFunc does.
	AfterFunc(d time.Duration, f func()) Timer
	// NewTicker ticks every d, dropping ticks a slow reader misses, as
	// time.NewTicker does.
	NewTicker(d time.Duration) Ticker
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not happened, and reports
	// whether it did so.
	Stop() bool
}

// Ticker delivers ticks on C until stopped.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// Real is the system's clock.
var Real Clock = real{}

type real struct{}

func (real) Now() time.Time                            { return time.Now() }
func (real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
func (real) NewTicker(d time.Duration) Ticker          { return realTicker{time.NewTicker(d)} }
func (t realTicker) C() <-chan time.Time               { return t.t.C }
func (t realTicker) Stop()                             { t.t.Stop() }

type realTicker struct{ t *time.Ticker }

// Fake is a Clock that moves only when Advance is called: the timers and
// ticks that fall due meanwhile run then, in time order, each timer's
// function in its own goroutine as a real one would be.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiting []*fakeWait
}

// fakeWait is a pending timer or a ticker's next tick.
type fakeWait struct {
	at    time.Time
	f     func()         // a timer's function; nil for a ticker
	c     chan time.Time // a ticker's channel
	every time.Duration  // a ticker's period
}

// NewFake returns a fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now implements Clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// AfterFunc implements Clock.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &fakeWait{at: f.now.Add(d), f: fn}
	f.waiting = append(f.waiting, w)
	return fakeTimer{f, w}
}

// NewTicker implements Clock.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &fakeWait{at: f.now.Add(d), c: make(chan time.Time, 1), every: d}
	f.waiting = append(f.waiting, w)
	return fakeTicker{f, w}
}

// Advance moves the clock on by d, firing what falls due on the way.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(d)
	for {
		sort.SliceStable(f.waiting, func(i, j int) bool { return f.waiting[i].at.Before(f.waiting[j].at) })
		if len(f.waiting) == 0 || f.waiting[0].at.After(end) {
			break
		}
		w := f.waiting[0]
		f.now = w.at
		if w.f != nil {
			f.waiting = f.waiting[1:]
			go w.f()
			continue
		}
		select {
		case w.c <- w.at:
		default: // a tick the reader has not taken yet: this one is dropped
		}
		w.at = w.at.Add(w.every)
	}
	f.now = end
	f.mu.Unlock()
}

// Waiting is how many timers and tickers are pending: a test waits for a
// component to arm its timer before it advances past it.
func (f *Fake) Waiting() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiting)
}

func (f *Fake) remove(w *fakeWait) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.waiting {
		if x == w {
			f.waiting = append(f.waiting[:i], f.waiting[i+1:]...)
			return true
		}
	}
	return false
}

type fakeTimer struct {
	f *Fake
	w *fakeWait
}

func (t fakeTimer) Stop() bool { return t.f.remove(t.w) }

type fakeTicker struct {
	f *Fake
	w *fakeWait
}

func (t fakeTicker) C() <-chan time.Time { return t.w.c }
func (t fakeTicker) Stop()               { t.f.remove(t.w) }
