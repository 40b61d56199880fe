// Package deliver writes a chat.Stream to its client: the one delivery
// step every transport runs (WebSocket, Server-Sent Events over HTTP/1.1
// or HTTP/2, long polling), the two schedulers that run it, and the
// machinery of the connections the server takes from net/http.
//
// A transport supplies a Sink, which frames entries for its wire; step
// takes what the stream has ready, writes and flushes it, tells the sink
// when the stream has ended and sends the keep-alives. Who runs step is
// the only difference between transports:
//
//   - Pump runs it on the caller's goroutine, for a response net/http
//     owns (SSE over HTTP/2 or HTTP/1.0, long polling): the handler must
//     make, or wait for, its writes.
//   - Drive runs it with no goroutine while the stream is idle, for a
//     connection taken from net/http (Hijack, WebSocketResponse): a
//     wake-up starts a writer, which exits once nothing more is ready.
//
// A delivery bug fixed in step is fixed for every transport.
//
// The connection machinery (Conn and what it waits with) lets an idle
// connection hold no goroutine, request or buffer: writes gather in a
// pooled buffer and leave in one system call (Conn.Hold, Conn.Release),
// and a connection waits for its client without a goroutine reading where
// the platform allows (Conn.ServeReads; idlewait.go, idlepoll_linux.go,
// wsidle.go).
//
// The ordering of the driver's flags is written down at Driver.
package deliver

import (
	"context"
	"errors"
	"time"

	"hark/server/chat"
)

// Sink is what a transport supplies to the delivery step: how it frames
// and writes. One goroutine at a time calls it (Pump's caller, or the
// driver's writer).
type Sink interface {
	// Write frames a batch of entries ready at once; it may buffer.
	Write(batch []*chat.Entry) error
	// Flush sends what Write buffered to the client.
	Flush() error
	// Idle is called with tick set once every interval, whatever was
	// sent (time for a keep-alive, which the contract wants at least
	// that often, or for a long poll to answer empty), and by Pump with
	// tick unset when the stream has nothing to send and Pump is about to
	// wait (the driver's hijacked connections have no deadline to clear
	// then). An error from Idle, ErrStop included, ends delivery.
	Idle(tick bool) error
	// Ended tells the client the server ended the stream, after
	// everything the stream still had was written and flushed.
	Ended(reason chat.CloseReason)
}

// ErrStop is returned by a Sink to end delivery without an error of its
// own: a long poll that has answered.
var ErrStop = errors.New("deliver: stream answered")

// MaxBatch is the most entries a step hands to one Write: a burst is
// written and flushed in one go, with a bound so one write never grows
// without end.
const MaxBatch = 256

// errEnded is what step returns once the server has ended the stream and
// the sink has been told.
var errEnded = errors.New("deliver: stream ended")

// step is one round of delivery, the same for every transport and both
// schedulers (Pump, Driver): take what is ready (at most MaxBatch, into
// *bp, which keeps the batch's room for the next round), write and flush
// it; once the stream has ended and handed out everything it still may,
// tell the sink (Ended) and return errEnded; else send a keep-alive if due
// reports one is due, which it is asked after the write, so that the
// keep-alive's beat holds even while events never stop. wrote reports
// whether anything was written; any other error is the sink's, ErrStop
// included. The stream's rules (what an ended stream still hands out) live
// in chat.Stream; the schedulers add only who waits, and when.
func step(st *chat.Stream, out Sink, bp *[]*chat.Entry, due func() bool) (wrote bool, err error) {
	batch, done := st.Take((*bp)[:0], MaxBatch)
	*bp = batch[:0]
	if wrote = len(batch) > 0; wrote {
		err = out.Write(batch)
		if err == nil {
			err = out.Flush()
		}
		clear(batch)
		if err != nil {
			return wrote, err
		}
	}
	if done {
		out.Ended(st.Reason())
		return wrote, errEnded
	}
	if due() {
		return wrote, out.Idle(true)
	}
	return wrote, nil
}

// Pump runs the delivery step on the caller's goroutine, for a response
// net/http owns (its handler must make, or wait for, the writes): it
// steps again at once after a write, since more may be ready, and
// otherwise tells the sink it is idle and waits for the stream, for the
// next tick of interval (a keep-alive, or a long poll's empty answer) or
// for ctx. It returns nil once the stream has ended, ctx's error, or the
// sink's (ErrStop included).
func Pump(ctx context.Context, st *chat.Stream, out Sink, interval time.Duration) error {
	batch := make([]*chat.Entry, 0, 16)
	tick := time.NewTimer(interval) // one timer per stream, no ticker goroutine
	defer tick.Stop()
	due := false // the tick came while Pump waited
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
		if err := out.Idle(false); err != nil {
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
