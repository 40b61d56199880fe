// Package testkit holds what Hark's tests share across packages: one way
// to wait for a condition, and a buffer that a server's goroutines may
// write to while a test reads it. It imports nothing of Hark's, so any
// test may use it, in the browser's WASM too.
package testkit

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Wait is how long Eventually waits: generous, since two cores may run a
// server, its clients and the race detector at once. It bounds a wait for
// something that should happen, never a measurement: a test that needs
// something to be fast measures it in a benchmark.
const Wait = 10 * time.Second

// Eventually polls cond every few milliseconds until it holds, and fails
// the test, saying what it waited for, if it does not within Wait.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, Wait, what, cond)
}

// Within is Eventually with a bound of its own: for the tests whose claim
// is the bound (a copy that follows again within seconds).
func Within(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Buffer is a bytes.Buffer safe for concurrent use: a logger's output, a
// child process's, read by the test while they write.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Goroutines is every goroutine's stack, for tests that look for a
// function in them.
func Goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
