package client

import (
	"math/rand/v2"
	"time"
)

// backoff spaces reconnect attempts: exponential growth with full jitter
// (a uniform delay between zero and the bound), so that a server restart
// does not bring every client back in the same millisecond.
type backoff struct {
	// Base bounds the first retry; each further failure doubles the bound.
	Base time.Duration
	// Cap is the largest bound.
	Cap time.Duration
	// rand returns a uniform value in [0, n); nil means math/rand/v2.
	rand func(n int64) int64
}

// defaultBackoff retries the first time within half a second, so a blip
// is barely seen, and never waits more than ten seconds, so a returning
// server is found soon.
var defaultBackoff = backoff{Base: 500 * time.Millisecond, Cap: 10 * time.Second}

// bound is the largest delay before attempt n (1 for the first retry).
func (b backoff) bound(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := b.Base
	for i := 1; i < n && d < b.Cap; i++ {
		d *= 2
	}
	return min(d, b.Cap)
}

// delay is a random wait before attempt n, in [0, bound(n)].
func (b backoff) delay(n int) time.Duration {
	limit := int64(b.bound(n))
	if limit <= 0 {
		return 0
	}
	r := b.rand
	if r == nil {
		r = rand.Int64N
	}
	return time.Duration(r(limit + 1))
}
