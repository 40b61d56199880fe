package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram counts latencies in microseconds in log-linear buckets (32 per
// power of two, so about 3% wide), lock-free: every client's goroutine
// records into one histogram without contention beyond an atomic add.
type histogram struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64 // microseconds
	n      atomic.Uint64
}

const (
	histSub     = 32 // buckets per power of two
	histBuckets = 64 * histSub
)

func histIndex(us uint64) int {
	if us < 2*histSub {
		return int(us)
	}
	e := bits.Len64(us) - 6 // us>>e is in [32, 64)
	i := e*histSub + int(us>>e)
	if i >= histBuckets {
		i = histBuckets - 1
	}
	return i
}

// histLow is the smallest value that lands in bucket i.
func histLow(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	e := i/histSub - 1
	m := uint64(i%histSub + histSub)
	return m << e
}

// record adds one latency.
func (h *histogram) record(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.counts[histIndex(uint64(us))].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			break
		}
	}
}

// quantile returns the q-quantile (0 < q <= 1), as the middle of its bucket.
func (h *histogram) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo, hi := histLow(i), histLow(i+1)
			us := (lo + hi) / 2
			if m := uint64(h.max.Load()); us > m {
				us = m
			}
			return time.Duration(us) * time.Microsecond
		}
	}
	return time.Duration(h.max.Load()) * time.Microsecond
}

// maxLatency is the largest latency recorded.
func (h *histogram) maxLatency() time.Duration {
	return time.Duration(h.max.Load()) * time.Microsecond
}
