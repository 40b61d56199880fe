package chat

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
	"sync"
)

// ErrTruncated is returned by Log.Since when events after the position asked
// for are no longer kept: the stream must start over with a reset.
var ErrTruncated = errors.New("chat: events after that position are no longer kept")

// Log is the deployment's ordered record of sequenced events. Appending is
// the only way an event enters Hark; every appended entry reaches the log's
// listener exactly once, in seq order, which is how it reaches streams.
//
// The in-memory Log serves one node; a cluster puts a shared log (a NATS
// stream) behind the same interface.
type Log interface {
	// Epoch names this log: a seq means something only within its epoch.
	Epoch() string
	// Head is the seq of the last appended entry, 0 if none.
	Head() uint64
	// Append assigns e the next seq and records it.
	Append(ctx context.Context, e *Entry) error
	// Since calls visit with every kept entry after seq, in order, until
	// visit returns false. It returns ErrTruncated, calling visit for
	// nothing, if an entry after seq is no longer kept.
	Since(seq uint64, visit func(*Entry) bool) error
	// Recent calls visit with kept entries newest first until visit
	// returns false.
	Recent(visit func(*Entry) bool)
}

// MemoryLog is a Log held in memory: a ring of the last Keep entries.
type MemoryLog struct {
	epoch   string
	deliver func(*Entry)

	mu   sync.RWMutex
	ring []*Entry // ring[seq % len(ring)]; entries from head-n+1 to head
	n    int      // entries held
	head uint64
}

// NewMemoryLog returns an empty log with a new epoch that keeps the last keep
// entries and hands each appended entry to deliver, in order. deliver runs
// with the log locked, so it must be quick and must not append.
func NewMemoryLog(keep int, deliver func(*Entry)) *MemoryLog {
	if keep < 1 {
		keep = 1
	}
	return &MemoryLog{epoch: NewEpoch(), deliver: deliver, ring: make([]*Entry, keep)}
}

// NewEpoch returns a fresh random epoch name.
func NewEpoch() string {
	var b [5]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// Epoch implements Log.
func (l *MemoryLog) Epoch() string { return l.epoch }

// Head implements Log.
func (l *MemoryLog) Head() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.head
}

// Append implements Log. It encodes the entry with its seq while the log is
// locked, so JSON and seq always agree.
func (l *MemoryLog) Append(_ context.Context, e *Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.head++
	e.Event.Seq = l.head
	e.encode()
	l.ring[l.head%uint64(len(l.ring))] = e
	if l.n < len(l.ring) {
		l.n++
	}
	if l.deliver != nil {
		l.deliver(e)
	}
	return nil
}

// Since implements Log.
func (l *MemoryLog) Since(seq uint64, visit func(*Entry) bool) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if seq > l.head {
		return ErrTruncated
	}
	oldest := l.head - uint64(l.n) + 1
	if seq+1 < oldest {
		return ErrTruncated
	}
	for s := seq + 1; s <= l.head; s++ {
		if !visit(l.ring[s%uint64(len(l.ring))]) {
			break
		}
	}
	return nil
}

// Recent implements Log.
func (l *MemoryLog) Recent(visit func(*Entry) bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for i := 0; i < l.n; i++ {
		if !visit(l.ring[(l.head-uint64(i))%uint64(len(l.ring))]) {
			return
		}
	}
}
