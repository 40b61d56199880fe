package chat

import (
	"context"
	"sync"
	"sync/atomic"
)

// Stream is one open connection's view of the chat: a hello, then the
// replay asked for, then live entries, in order, each once. Transports call
// Next in a loop and write what it returns.
type Stream struct {
	session *Session
	key     string
	queue   chan *Entry
	index   int // place in Hub.all, -1 once removed

	// pending holds what goes out before the live queue: hello, reset and
	// the replay, in that order.
	pending []*Entry
	// last is the highest seq handed out: live entries at or below it were
	// already in the replay and are skipped, which closes the seam between
	// replay and live without a gap or a duplicate.
	last uint64

	reason   atomic.Int32
	ended    chan struct{}
	endOnce  sync.Once
	closeFn  func()
	closeOne sync.Once
}

// Session is the stream's owner.
func (s *Stream) Session() *Session { return s.session }

// Ended is closed when the server ends the stream; Reason then says why.
func (s *Stream) Ended() <-chan struct{} { return s.ended }

// Reason says why the server ended the stream, Open while it has not.
func (s *Stream) Reason() CloseReason { return CloseReason(s.reason.Load()) }

// end marks the stream ended; it reports whether this call ended it.
func (s *Stream) end(r CloseReason) bool {
	ok := false
	s.endOnce.Do(func() {
		s.reason.Store(int32(r))
		close(s.ended)
		ok = true
	})
	return ok
}

// TryNext returns the next entry if one is ready without waiting.
func (s *Stream) TryNext() (*Entry, bool) {
	for {
		if len(s.pending) > 0 {
			e := s.pending[0]
			s.pending[0] = nil
			s.pending = s.pending[1:]
			return e, true
		}
		select {
		case e := <-s.queue:
			if s.fresh(e) {
				return e, true
			}
		default:
			return nil, false
		}
	}
}

// Next waits for the next entry. It returns ErrEnded when the server ended
// the stream (see Reason) and ctx's error when ctx is done.
func (s *Stream) Next(ctx context.Context) (*Entry, error) {
	if e, ok := s.TryNext(); ok {
		return e, nil
	}
	for {
		select {
		case e := <-s.queue:
			if s.fresh(e) {
				return e, nil
			}
		case <-s.ended:
			return nil, ErrEnded
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Queue is the live queue, for transports that wait on it beside other
// channels (a ping ticker). Entries received from it must go through Accept.
func (s *Stream) Queue() <-chan *Entry { return s.queue }

// Accept reports whether an entry taken from Queue is new to this stream.
func (s *Stream) Accept(e *Entry) bool { return s.fresh(e) }

func (s *Stream) fresh(e *Entry) bool {
	if seq := e.Seq(); seq != 0 {
		if seq <= s.last {
			return false
		}
		s.last = seq
	}
	return true
}

// Close stops delivery to the stream and tells the session it is gone.
// Transports call it when their connection ends, for whatever reason.
func (s *Stream) Close() {
	s.closeOne.Do(s.closeFn)
}
