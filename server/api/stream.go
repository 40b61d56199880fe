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

// sink is what a transport supplies to step: how it frames and writes.
// One goroutine at a time calls it (pump's, or the driver's writer).
type sink interface {
	// write frames a batch of entries ready at once; it may buffer.
	write(batch []*chat.Entry) error
	// flush sends what write buffered to the client.
	flush() error
	// idle is called with tick set once every interval, whatever was
	// sent (time for a keep-alive, which the contract wants at least
	// that often, or for a long poll to answer empty), and by pump with
	// tick unset when the stream has nothing to send and pump is about to
	// wait (the driver's hijacked connections have no deadline to clear
	// then). An error from idle, errStop included, ends delivery.
	idle(tick bool) error
	// ended tells the client the server ended the stream, after
	// everything the stream still had was written and flushed.
	ended(reason chat.CloseReason)
}

// errStop is returned by a sink to end delivery without an error of its
// own: a long poll that has answered.
var errStop = errors.New("api: stream answered")

// maxBatch is the most entries a step hands to one write: a burst is
// written and flushed in one go, with a bound so one write never grows
// without end.
const maxBatch = 256

// errEnded is what step returns once the server has ended the stream and
// the sink has been told.
var errEnded = errors.New("api: stream ended")

// step is one round of delivery, the same for every transport and both
// schedulers (pump, driver): take what is ready (at most maxBatch, into
// *bp, which keeps the batch's room for the next round), write and flush
// it; once the stream has ended and handed out everything it still may,
// tell the sink (ended) and return errEnded; else send a keep-alive if due
// reports one is due, which it is asked after the write, so that the
// keep-alive's beat holds even while events never stop. wrote reports
// whether anything was written; any other error is the sink's, errStop
// included. The stream's rules (what an ended stream still hands out) live
// in chat.Stream; the schedulers add only who waits, and when.
func step(st *chat.Stream, out sink, bp *[]*chat.Entry, due func() bool) (wrote bool, err error) {
	batch, done := st.Take((*bp)[:0], maxBatch)
	*bp = batch[:0]
	if wrote = len(batch) > 0; wrote {
		err = out.write(batch)
		if err == nil {
			err = out.flush()
		}
		clear(batch)
		if err != nil {
			return wrote, err
		}
	}
	if done {
		out.ended(st.Reason())
		return wrote, errEnded
	}
	if due() {
		return wrote, out.idle(true)
	}
	return wrote, nil
}

// pump runs step on the caller's goroutine, for a response net/http owns
// (its handler must make, or wait for, the writes): it steps again at once
// after a write, since more may be ready, and otherwise tells the sink it
// is idle and waits for the stream, for the next tick of interval (a
// keep-alive, or a long poll's empty answer) or for ctx. It returns nil
// once the stream has ended, ctx's error, or the sink's.
func pump(ctx context.Context, st *chat.Stream, out sink, interval time.Duration) error {
	batch := make([]*chat.Entry, 0, 16)
	tick := time.NewTimer(interval) // one timer per stream, no ticker goroutine
	defer tick.Stop()
	due := false // the tick came while pump waited
	keepAlive := func() bool {
		if !due {
			select {
			case <-tick.C:
			default:
				return false
			}
		}
		due = false
		tick.Reset(interval)
		return true
	}
	for {
		wrote, err := step(st, out, &batch, keepAlive)
		if err == errEnded {
			return nil
		}
		if err != nil {
			return err
		}
		if wrote {
			continue
		}
		if err := out.idle(false); err != nil {
			return err
		}
		select {
		case <-st.Ready():
		case <-tick.C:
			due = true
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
