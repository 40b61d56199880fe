package api

import (
	"runtime"
	"testing"
	"time"
)

// PollsIdle reports whether waiting connections are parked in the poller
// here, holding no goroutine (idlewait.go).
func PollsIdle() bool { return pollsIdle() }

// ParkedWaits is how many connections' waits the poller holds.
func ParkedWaits() int { return parkedWaits() }

// WaitFor polls cond until it holds, failing the test after 10 s. The
// package's own tests and its external ones (api_test) share it.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Goroutines is every goroutine's stack, for tests that look for a
// function in them.
func Goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
