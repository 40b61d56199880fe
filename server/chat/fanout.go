package chat

import (
	"slices"
	"sync"
	"sync/atomic"
)

// fanout is the single sequencer between the log and the hub. The log
// queues each entry as it appends it (under its lock, in seq order), and
// presence events are queued under the membership lock in the order of the
// joins and leaves around them; one goroutine takes what is queued and
// delivers it with no domain lock held. So seq order is delivery order,
// and no append, resume or history read ever waits for delivery to
// streams.
type fanout struct {
	hub *Hub
	// cursor is the seq of the last log entry delivered.
	cursor atomic.Uint64

	mu      sync.Mutex
	pending []*Entry
	wake    chan struct{} // one token: something is pending
	stop    chan struct{}
	done    chan struct{}

	// obs are the observers (Chat.Observe), handed every log entry after
	// its delivery.
	obsMu     sync.Mutex
	obs       []*observer
	obsClosed bool // the chat closed: observers added now are halted at once
}

func newFanout(hub *Hub) *fanout {
	f := &fanout{
		hub:  hub,
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go f.run()
	return f
}

// push queues e for delivery after everything queued before it. It never
// blocks, so the log may call it under its lock.
func (f *fanout) push(e *Entry) {
	f.mu.Lock()
	f.pending = append(f.pending, e)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// run delivers what is pushed, in order, until close.
func (f *fanout) run() {
	defer close(f.done)
	var batch []*Entry
	for {
		select {
		case <-f.wake:
		case <-f.stop:
			return
		}
		f.mu.Lock()
		batch, f.pending = f.pending, batch[:0]
		f.mu.Unlock()
		f.deliver(batch)
		f.observe(batch)
		for _, e := range slices.Backward(batch) {
			if e.seq != 0 {
				f.cursor.Store(e.seq)
				break
			}
		}
		clear(batch)
	}
}

// gapMark, fed by a log between two entries whose seqs are not
// consecutive (what lies between is gone from a shared log before this
// node's copy read it), ends every stream there, as an overflow does:
// each hands out what it got before the gap, its client resumes from
// the last seq it saw, and, that position being gone, is sent a reset.
var gapMark = &Entry{kind: "gap"}

// deliver hands batch to the hub in order, ending every stream at each
// gapMark.
func (f *fanout) deliver(batch []*Entry) {
	for {
		i := slices.Index(batch, gapMark)
		if i < 0 {
			f.hub.Deliver(batch)
			return
		}
		f.hub.Deliver(batch[:i])
		f.hub.EndAll(Overflow)
		batch = batch[i+1:]
	}
}

// close stops the goroutine; entries still pending are not delivered (the
// streams are being ended anyway).
func (f *fanout) close() {
	close(f.stop)
	<-f.done
	f.closeObservers()
}
