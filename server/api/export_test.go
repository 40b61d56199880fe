package api

import (
	"runtime"
)

// PollsIdle reports whether waiting connections are parked in the poller
// here, holding no goroutine (idlewait.go).
func PollsIdle() bool { return pollsIdle() }

// ParkedWaits is how many connections' waits the poller holds.
func ParkedWaits() int { return parkedWaits() }

// Goroutines is every goroutine's stack, for tests that look for a
// function in them.
func Goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
