package api

import (
	"sync"
	"sync/atomic"
	"time"

	"hark/server/chat"
)

// driver runs a stream whose connection the server owns outright (a
// hijacked HTTP/1 connection: WebSocket, or SSE over HTTP/1.1) with no
// goroutine of its own while the stream is idle. The stream's wake-up
// starts a writer goroutine, which takes what is ready, writes and flushes
// it, and exits once nothing more is; one timer asks the writer for a
// keep-alive every interval. An idle connection thus costs its reader
// goroutine and nothing else, and a burst costs one wake-up and one write.
//
// It follows the same steps as pump (take, write, flush; tell the client
// when the server ended the stream) through the same sink, so framing and
// the stream's rules are shared; only who waits differs.
type driver struct {
	st       *chat.Stream
	out      sink
	interval time.Duration
	// hangUp ends the connection after a failed write or once the stream
	// has ended; the connection's reader then sees it and cleans up.
	hangUp func()

	running atomic.Bool // a writer goroutine is at work
	due     atomic.Bool // a keep-alive is due
	over    atomic.Bool // the connection is done: no more writers
	timer   *time.Timer
}

// drive starts delivering st to out. The caller's reader goroutine calls
// stop when the connection ends.
func drive(st *chat.Stream, out sink, interval time.Duration, hangUp func()) *driver {
	d := &driver{st: st, out: out, interval: interval, hangUp: hangUp}
	d.timer = time.AfterFunc(interval, d.tick)
	st.Notify(d.wake)
	d.wake() // the hello and replay were queued before Notify
	return d
}

// stop ends deliveries: no writer starts after it returns (one at work
// finishes its write, which fails on the closed connection).
func (d *driver) stop() {
	d.over.Store(true)
	d.timer.Stop()
}

func (d *driver) tick() {
	if d.over.Load() {
		return
	}
	d.due.Store(true)
	d.wake()
	d.timer.Reset(d.interval)
}

// wake starts a writer unless one is at work; that one will see what
// caused the wake-up, because it checks the stream again after it stops.
func (d *driver) wake() {
	if !d.over.Load() && d.running.CompareAndSwap(false, true) {
		go d.write()
	}
}

// batchPool holds the writers' batches: a connection holds none while
// idle.
var batchPool = sync.Pool{New: func() any { b := make([]*chat.Entry, 0, 16); return &b }}

func (d *driver) write() {
	bp := batchPool.Get().(*[]*chat.Entry)
	defer batchPool.Put(bp)
	for !d.over.Load() {
		batch, done := d.st.Take((*bp)[:0], maxBatch)
		*bp = batch[:0]
		if len(batch) > 0 {
			err := d.out.write(batch)
			if err == nil {
				err = d.out.flush()
			}
			clear(batch)
			if err != nil {
				d.fail()
				return
			}
		}
		if done {
			d.out.ended(d.st.Reason())
			d.fail()
			return
		}
		if d.due.Swap(false) {
			if err := d.out.idle(true); err != nil {
				d.fail()
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		// Nothing was ready: stop, then look once more, since a wake-up
		// between the Take and the Store found this writer still running.
		d.running.Store(false)
		if d.st.Idle() && !d.due.Load() {
			return
		}
		if !d.running.CompareAndSwap(false, true) {
			return // a newer writer has it
		}
	}
}

// fail gives the connection up; running stays set, so no writer starts
// again.
func (d *driver) fail() {
	d.stop()
	d.hangUp()
}
