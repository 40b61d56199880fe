package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"hark/server/chat"
)

// openStream authenticates r and opens a stream at the position it asks
// for, counting it under transport until the returned close is called.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request, transport string, tokenInQuery bool) (*chat.Stream, func(), bool) {
	sess, err := s.authenticate(r, tokenInQuery)
	if err != nil {
		writeError(w, err)
		return nil, nil, false
	}
	pos, err := position(r)
	if err != nil {
		writeError(w, err)
		return nil, nil, false
	}
	st, err := s.chat.Open(sess, pos)
	if err != nil {
		writeError(w, err)
		return nil, nil, false
	}
	g := s.metrics.streams.WithLabelValues(transport)
	g.Inc()
	return st, func() {
		st.Close()
		g.Dec()
	}, true
}

// sink is what a transport supplies to pump: how it frames and writes.
// pump calls it from one goroutine.
type sink interface {
	// write frames a batch of entries ready at once; it may buffer.
	write(batch []*chat.Entry) error
	// flush sends what write buffered to the client.
	flush() error
	// idle is called when the stream has nothing to send and pump is about
	// to wait, and with tick set once every interval, whatever was sent
	// (time for a keep-alive, which the contract wants at least that
	// often, or for a long poll to answer empty). An error from idle,
	// errStop included, ends pump.
	idle(tick bool) error
	// ended tells the client the server ended the stream, after
	// everything the stream still had was written and flushed.
	ended(reason chat.CloseReason)
}

// errStop is returned by a sink to end pump without an error of its own: a
// long poll that has answered.
var errStop = errors.New("api: stream answered")

// maxBatch is the most entries pump hands to one write: a burst is written
// and flushed in one go, with a bound so one write never grows without end.
const maxBatch = 256

// pump is the one loop every transport runs: take what is ready, write it,
// flush, then wait for more, for the next tick of interval, or for the end.
// The stream's rules (what an ended stream still hands out) live in
// chat.Stream; pump adds only the timing. It returns when the stream ends,
// ctx is done or the sink fails.
func pump(ctx context.Context, st *chat.Stream, out sink, interval time.Duration) error {
	batch := make([]*chat.Entry, 0, 16)
	tick := time.NewTimer(interval) // one timer per stream, no ticker goroutine
	defer tick.Stop()
	for {
		batch, done := st.Take(batch[:0], maxBatch)
		if len(batch) > 0 {
			if err := out.write(batch); err != nil {
				return err
			}
			if err := out.flush(); err != nil {
				return err
			}
			clear(batch)
		}
		if done {
			out.ended(st.Reason())
			return nil
		}
		if len(batch) > 0 {
			// More may be ready: ask at once, but keep the keep-alive's
			// beat even while events never stop.
			select {
			case <-tick.C:
				if err := out.idle(true); err != nil {
					return err
				}
				tick.Reset(interval)
			default:
			}
			continue
		}
		if err := out.idle(false); err != nil {
			return err
		}
		select {
		case <-st.Ready():
		case <-tick.C:
			if err := out.idle(true); err != nil {
				return err
			}
			tick.Reset(interval)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// writeDeadline bounds writes to an HTTP response so a client that stops
// reading cannot hold a connection forever. It renews the deadline only
// when half of the timeout has passed since it was set rather than before
// every flush (setting one takes the poller's locks, a tenth of a stream's
// CPU per event), so every write has between half and all of the timeout.
//
// Over HTTP/2 a deadline is a timer that resets the stream when it fires,
// even while nothing is being written, so there it is cleared whenever the
// stream goes idle; over HTTP/1 an expired deadline harms nothing until the
// next write, which renews it first.
type writeDeadline struct {
	set     func(time.Time) error
	timeout time.Duration
	clear   bool      // clear the deadline when idle (HTTP/2)
	at      time.Time // the deadline set; zero when none
}

func newWriteDeadline(w http.ResponseWriter, r *http.Request, timeout time.Duration) *writeDeadline {
	return &writeDeadline{set: http.NewResponseController(w).SetWriteDeadline, timeout: timeout, clear: r.ProtoMajor >= 2}
}

// due reports whether the deadline must be renewed before writing, and if
// so moves at to now plus the timeout.
func (d *writeDeadline) due(now time.Time) bool {
	if !d.at.IsZero() && d.at.Sub(now) >= d.timeout/2 {
		return false
	}
	d.at = now.Add(d.timeout)
	return true
}

// arm makes sure a deadline covers the write about to happen.
func (d *writeDeadline) arm() {
	if d.due(time.Now()) {
		d.set(d.at)
	}
}

// idle drops the deadline where a pending one would end an idle stream.
func (d *writeDeadline) idle() {
	if d.clear && !d.at.IsZero() {
		d.set(time.Time{})
		d.at = time.Time{}
	}
}
