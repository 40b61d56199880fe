package chat

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrEnded is returned by Stream.Next once the server has ended the stream
// and the stream has handed out everything it still may.
var ErrEnded = errors.New("chat: stream ended by the server")

// Stream is one open connection's view of the chat: a hello, then the
// replay asked for, then live entries, in order, each once. A transport
// takes what is ready (Take), writes it, and waits on Ready for more; the
// lifecycle rules live here, so every transport follows them alike:
//
//   - A stream ended for Overflow hands out what was queued before the entry
//     it could not take, then nothing: the client resumes from the last seq
//     it got and reads the rest from the log, with no gap.
//   - A stream ended because its session was released (or the server is
//     shutting down) hands out nothing more at all: the hub has already
//     stopped queueing to it, and what was queued is dropped.
type Stream struct {
	session *Session
	reg     RegID
	index   int // place in its hub shard, -1 once removed
	limit   int // most entries queued before the stream overflows
	bytes   int // most bytes of JSON queued before the stream overflows
	// rooms are the rooms whose lists in its hub shard hold it; like
	// index, guarded by the shard's lock.
	rooms []string

	// Written by the fan-out goroutine and the hub, read by the transport.
	mu     sync.Mutex
	queue  []*Entry
	queued int         // bytes of JSON in queue
	reason CloseReason // Open until the server ends the stream
	ready  chan struct{}
	// notify, when set, is called instead of signalling ready: a
	// transport with no goroutine waiting starts its writer from it.
	notify atomic.Pointer[func(fill float64)]

	// Touched only by the transport's goroutine.
	//
	// pending holds what goes out before the live queue: hello, reset and
	// the replay, in that order.
	pending []*Entry
	// last is the highest seq handed out: live entries at or below it were
	// already in the replay and are skipped, which closes the seam between
	// replay and live without a gap or a duplicate.
	last uint64

	closeFn  func()
	closeOne sync.Once
}

// queueStart is a new stream's queue capacity; it grows to the limit as a
// burst needs and shrinks back once drained, so an idle stream stays small.
const queueStart = 8

func newStream(s *Session, limit, bytes int) *Stream {
	return &Stream{session: s, reg: s.reg, index: -1, limit: limit, bytes: bytes, ready: make(chan struct{}, 1)}
}

// Session is the stream's owner.
func (s *Stream) Session() *Session { return s.session }

// Ready is signalled when entries may be ready or the stream has ended: a
// transport waits on it between Takes. A signal may find nothing new.
func (s *Stream) Ready() <-chan struct{} { return s.ready }

// Reason says why the server ended the stream, Open while it has not.
func (s *Stream) Reason() CloseReason {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// Notify makes f the stream's wake-up in place of Ready: f is called,
// from whichever goroutine queued or ended, whenever entries may be ready
// or the stream has ended, with how full the queue is (entries queued
// over the most it may hold, 0 to 1), so a writer that holds back to
// batch knows when not to. It must not block. Call Notify before the
// first Take; signals sent before it went to Ready, so the caller then
// wakes its writer once itself.
func (s *Stream) Notify(f func(fill float64)) { s.notify.Store(&f) }

// Idle reports whether the stream has nothing to hand out and has not
// ended: a writer that finds it idle may stop until the next wake-up.
func (s *Stream) Idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason == Open && len(s.queue) == 0 && len(s.pending) == 0
}

// Fill is how full the queue is, as Notify reports it.
func (s *Stream) Fill() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fill(len(s.queue))
}

// fill is how full a queue of n entries is, by count or by bytes,
// whichever is nearer its bound. s.mu must be held.
func (s *Stream) fill(n int) float64 {
	f := float64(n) / float64(s.limit)
	if s.bytes > 0 {
		f = max(f, float64(s.queued)/float64(s.bytes))
	}
	return f
}

// signal wakes the transport; fill is how full the queue is.
func (s *Stream) signal(fill float64) {
	if f := s.notify.Load(); f != nil {
		(*f)(fill)
		return
	}
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// offer queues run unless the stream has ended; if the queue cannot take
// all of run, it queues what fits and ends the stream with Overflow. It
// returns how many it queued and how many it dropped for want of room
// (this call overflowed the stream). Entries the stream has already
// covered (a hello's count, a replay) are neither: they would only take
// room and wake the transport for nothing.
func (s *Stream) offer(run []*Entry) (n, dropped int) {
	s.mu.Lock()
	if s.reason != Open {
		s.mu.Unlock()
		return 0, 0
	}
	for len(run) > 0 && s.covers(run[0]) {
		run = run[1:]
	}
	if len(run) == 0 {
		s.mu.Unlock()
		return 0, 0
	}
	if s.queue == nil {
		s.queue = make([]*Entry, 0, queueStart)
	}
	n = min(len(run), s.limit-len(s.queue))
	for i, e := range run[:n] {
		// The first entry of an empty queue always fits, whatever its size.
		if s.queued+len(e.JSON) > s.bytes && len(s.queue)+i > 0 {
			n = i
			break
		}
		s.queued += len(e.JSON)
	}
	s.queue = append(s.queue, run[:n]...)
	if n < len(run) {
		s.reason = Overflow
		dropped = len(run) - n
	}
	fill := s.fill(len(s.queue))
	s.mu.Unlock()
	s.signal(fill)
	return n, dropped
}

// covers reports whether e is one the stream has handed out or counts
// as seen (it is at or before last). Entries without a seq never are.
// s.mu must be held.
func (s *Stream) covers(e *Entry) bool { return e.seq != 0 && e.seq <= s.last }

// end marks the stream ended with r unless it already was. Entries queued
// are dropped unless r is Overflow.
func (s *Stream) end(r CloseReason) {
	s.mu.Lock()
	// A release wins over an overflow: a released session's stream hands
	// out nothing more, even what was queued before it fell behind.
	if s.reason == Open || r == Released {
		s.reason = r
	}
	if s.reason != Overflow {
		clear(s.queue)
		s.queue = s.queue[:0]
		s.queued = 0
		s.pending = nil // the transport's own goroutine reads it only after Take locks mu
	}
	s.mu.Unlock()
	s.signal(0)
}

// Take appends to buf what is ready now, at most max entries, and returns
// it. done reports that the server ended the stream and it has nothing
// more to hand out: the transport tells its client (Reason says why) and
// stops.
func (s *Stream) Take(buf []*Entry, max int) (out []*Entry, done bool) {
	out = buf
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason != Open && s.reason != Overflow {
		return out, true
	}
	for len(s.pending) > 0 && len(out) < max {
		out = append(out, s.pending[0])
		s.pending[0] = nil
		s.pending = s.pending[1:]
	}
	i := 0
	for ; i < len(s.queue) && len(out) < max; i++ {
		if e := s.queue[i]; s.fresh(e) {
			out = append(out, e)
		}
	}
	for _, e := range s.queue[:i] {
		s.queued -= len(e.JSON)
	}
	rest := copy(s.queue, s.queue[i:])
	clear(s.queue[rest:])
	s.queue = s.queue[:rest]
	if rest == 0 && cap(s.queue) > queueStart*4 {
		s.queue = nil // let a burst's queue go once it is drained
	}
	done = s.reason == Overflow && len(s.queue) == 0 && len(s.pending) == 0
	if !done && (len(s.queue) > 0 || len(s.pending) > 0) {
		s.signal(s.fill(len(s.queue))) // more than max was ready: come back at once
	}
	return out, done
}

func (s *Stream) fresh(e *Entry) bool {
	if s.covers(e) {
		return false
	}
	if e.seq != 0 {
		s.last = e.seq
	}
	return true
}

// Next waits for the next entry, for tests and tools that read one at a
// time. It returns ErrEnded when the server ended the stream (see Reason)
// and ctx's error when ctx is done.
func (s *Stream) Next(ctx context.Context) (*Entry, error) {
	var one [1]*Entry
	for {
		got, done := s.Take(one[:0], 1)
		if len(got) == 1 {
			return got[0], nil
		}
		if done {
			return nil, ErrEnded
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close stops delivery to the stream and tells the session it is gone.
// Transports call it when their connection ends, for whatever reason.
func (s *Stream) Close() {
	s.closeOne.Do(s.closeFn)
}

// start sets what goes out before the live queue (hello, reset, replay)
// and the last seq it covers. A stream the server ended meanwhile for
// anything but Overflow hands out none of it.
func (s *Stream) start(pending []*Entry, last uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == Open || s.reason == Overflow {
		s.pending = pending
	}
	s.last = last
	// What the hub queued between the stream's joining and now, and the
	// hello or replay cover, goes now rather than at the first Take: it
	// would count towards the queue's fill until then.
	kept := s.queue[:0]
	for _, e := range s.queue {
		if s.covers(e) {
			s.queued -= len(e.JSON)
			continue
		}
		kept = append(kept, e)
	}
	clear(s.queue[len(kept):])
	s.queue = kept
}
