package deliver

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"hark/server/chat"
)

// Driver runs a stream whose connection the server owns outright (a
// hijacked HTTP/1 connection: WebSocket, or SSE over HTTP/1.1) with no
// goroutine of its own while the stream is idle. The stream's wake-up
// starts a writer goroutine, which runs the delivery step until nothing
// more is ready, then exits; one timer asks the writer for a keep-alive
// every interval. An idle connection thus holds no writer, and a burst
// costs one wake-up and one write. On a busy stream (one whose writes the
// Coalescer holds back) the writer that wrote lingers until the
// coalescer's next tick (see linger), so the stream keeps one writer, and
// its grown stack, instead of starting one per burst.
//
// Its writer runs the same step as Pump (take, write, flush; tell the
// client when the server ended the stream; a keep-alive when due) through
// the same Sink, so framing, the stream's rules and the step itself are
// shared; only who waits differs.
//
// # Ordering
//
// A driver has no lock: its flags are atomics (sequentially consistent, as
// all of sync/atomic's are), and each is set and cleared by the parties
// named here, in the orders given.
//
//	running  set by the wake-up that finds it clear (CompareAndSwap), which
//	         then owns delivery: it starts a writer, or hands delivery to
//	         the coalescer (held); and by a writer's last look, which takes
//	         it back. Cleared only by the writer that owns it (Store), and
//	         then before its last look at the stream and at due. A failed
//	         or ended driver keeps it set, so that no writer starts again.
//	held     set by Coalescer.hold, called only by the owner of running (a
//	         wake-up, or a lingering writer), whose ownership it then holds.
//	         Cleared (CompareAndSwap) by exactly one of: the coalescer's
//	         tick, an urgent wake-up, Stop, or linger's own look after the
//	         hold; that one calls release, which passes ownership on to the
//	         parked writer or to a new one.
//	parked   a plain field, written only by the writer that owns running:
//	         set in linger before held is set, cleared after release woke
//	         it and before it can clear running. Read only by release, that
//	         is by whoever cleared held: the flag orders the field. A
//	         wake-up's hold finds it nil (the last writer cleared it before
//	         giving running up), and release starts a writer.
//	due      set by the timer's tick before its wake-up; cleared by the
//	         writer that sends the keep-alive (Swap, in the step), which
//	         also looks at it after clearing running.
//	over     set once, by Stop, before Stop stops the timer and clears
//	         held; never cleared. Read by wake-ups and ticks (which then do
//	         nothing), by the writer before each step, and by linger after
//	         its hold.
//	wrote    stored by the writer that owns running after a write; read by
//	         wake-ups (recent) unordered: a stale time only decides whether
//	         a wake-up is held back or written at once, and either is right.
//
// Three pairs of these orders are what lose no wake-up and leave no writer
// waiting; in each, both sides store and then load, so at least one sees
// the other's store:
//
//   - A writer clears running, then looks at the stream (Idle, under
//     Stream.mu) and at due; whoever queues to the stream or sets due
//     does so, then wakes, which looks at running. Either the writer sees
//     the work, or the wake-up finds running clear and starts a writer.
//   - linger sets held (in hold), then looks at over and at the stream's
//     fill; Stop sets over, and an urgent wake-up is sent after the queue
//     grew, then each looks at held. Either linger sees why to go on, or
//     the other clears held and releases it: a lingering writer never
//     waits for a tick after Stop or past an urgent fill.
//   - tick looks at over, then resets the timer, then looks at over again;
//     Stop sets over, then stops the timer. Either the second look sees
//     over and stops the timer, or Stop's comes after the reset.
//
// Locks: a wake-up may come from inside a Take (Stream.mu held), and may
// take Coalescer.mu (hold); Coalescer.mu is never held while anything else
// is taken.
type Driver struct {
	st       *chat.Stream
	out      Sink
	interval time.Duration
	// hangUp ends the connection after a failed write or once the stream
	// has ended; the connection's reader then sees it and cleans up.
	hangUp func()

	// co holds back the next write of a connection that has just
	// written; nil: every wake-up writes at once.
	co *Coalescer

	// See Ordering, above, for who sets and clears each of these.
	running atomic.Bool   // a writer goroutine is at work, or is held by co
	held    atomic.Bool   // held by co: whoever clears it calls release
	parked  chan struct{} // a lingering writer's wake-up while held; nil when none
	due     atomic.Bool   // a keep-alive is due
	over    atomic.Bool   // the connection is done: no more writers
	wrote   atomic.Int64  // when the last write ended, on co's clock; 0: never
	timer   *time.Timer
}

// Drive starts delivering st to out, a keep-alive every interval, with
// writes held back by co (nil: never held); hangUp is called once the
// stream has ended or a write failed. The caller's reader goroutine calls
// Stop when the connection ends.
func Drive(st *chat.Stream, out Sink, interval time.Duration, co *Coalescer, hangUp func()) *Driver {
	d := &Driver{st: st, out: out, interval: interval, co: co, hangUp: hangUp}
	d.timer = time.AfterFunc(firstKeepAlive(interval), d.tick)
	st.Notify(d.wake)
	d.wake(1) // the hello and replay were queued before Notify: at once
	return d
}

// firstKeepAlive is when a stream's first keep-alive is due: somewhere in
// the second half of the interval, the rest every interval after it.
// Connections opened together (a fleet, a reconnect storm) would
// otherwise ping together for good, and a WebSocket ping holds a
// goroutine until its answer: a wave of goroutines every interval, and
// the runtime keeps a record for every goroutine it ever had at once.
func firstKeepAlive(interval time.Duration) time.Duration {
	return interval/2 + rand.N(interval/2+1)
}

// Stop ends deliveries: no writer starts after it returns (one at work
// finishes its write, which fails on the closed connection).
func (d *Driver) Stop() {
	d.over.Store(true)
	d.timer.Stop()
	if d.held.CompareAndSwap(true, false) {
		d.release() // a lingering writer sees over and exits now, not at the tick
	}
}

func (d *Driver) tick() {
	if d.over.Load() {
		return
	}
	d.due.Store(true)
	d.wake(0)
	d.timer.Reset(d.interval)
	if d.over.Load() {
		// stop ran between the look above and the Reset, whose timer
		// would keep the connection reachable for one more interval.
		d.timer.Stop()
	}
}

// urgentFill is how full a stream's queue may get before its writes are
// no longer held back (16 of 256 events, or 64 KiB of 1 MiB): a stream
// flooded faster than that is written as fast as it can be, as it would
// be without the delay, so holding back never risks an overflow; the
// delay is for the steady rates of a busy room, where it halves the writes.
const urgentFill = 1.0 / 16

// wake starts a writer unless one is at work (that one will see what
// caused the wake-up, because it checks the stream again after it
// stops), or hands the connection to co if it wrote within co's delay
// and its queue has room to wait.
func (d *Driver) wake(fill float64) {
	if d.over.Load() {
		return
	}
	if !d.running.CompareAndSwap(false, true) {
		if fill >= urgentFill && d.held.CompareAndSwap(true, false) {
			d.release() // held by co, whose tick will now pass it by
		}
		return
	}
	if d.co != nil && fill < urgentFill && d.recent() {
		d.co.hold(d)
		return
	}
	go d.write(false)
}

// recent reports whether the stream wrote within co's delay. A stream
// that has not written yet has not written recently, even in a
// coalescer's first delay.
func (d *Driver) recent() bool {
	w := d.wrote.Load()
	return w != 0 && d.co.since(w) < d.co.delay
}

// batchPool holds the writers' batches: a connection holds none while
// idle.
var batchPool = sync.Pool{New: func() any { b := make([]*chat.Entry, 0, 16); return &b }}

// write is a writer goroutine. busy says the Coalescer started it: the
// stream wrote within the delay before, and is likely to again.
func (d *Driver) write(busy bool) {
	bp := batchPool.Get().(*[]*chat.Entry)
	defer batchPool.Put(bp)
	for !d.over.Load() {
		wrote, err := step(d.st, d.out, bp, d.keepAliveDue)
		if err != nil {
			d.fail() // the stream ended (the sink was told), or a write failed
			return
		}
		if wrote && d.co != nil {
			d.wrote.Store(max(d.co.now(), 1)) // 0 is never
			if busy {
				// What comes within the delay goes at the next tick,
				// with everything else that comes meanwhile (unless
				// the queue fills first): this writer waits for it.
				d.linger()
				continue
			}
			// A quiet stream's writer does not wait for a tick that
			// will most likely find nothing: at ten events a second
			// per client that would park a goroutine for up to a
			// delay after every delivery. Should the next event come
			// within the delay, the Coalescer holds it and starts a
			// busy writer.
		}
		// Stop, then look once more, since a wake-up between the Take
		// and the Store found this writer still running.
		d.running.Store(false)
		if d.st.Idle() && !d.due.Load() {
			return
		}
		if !d.running.CompareAndSwap(false, true) {
			return // a newer writer has it
		}
		busy = busy || wrote // more came while it wrote
	}
}

// keepAliveDue reports whether a keep-alive is due, and takes it.
func (d *Driver) keepAliveDue() bool { return d.due.Swap(false) }

// lingerPool holds the channels lingering writers wait on: a connection
// holds none while idle.
var lingerPool = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

// linger holds a busy stream's writer, whose running flag it keeps, in co
// until the next tick, or until the queue is filling (now, or at a
// wake-up) or Stop is called. The writer that wrote is the one that writes next: it has the
// stack the write path grew, where a new goroutine per burst would start
// small and grow it again (runtime.newstack was 7.5 % of a busy
// WebSocket server's CPU). A stream that goes quiet costs one wasted look
// at the tick; the writer then exits, and the next event finds the stream
// quiet.
func (d *Driver) linger() {
	ch := lingerPool.Get().(chan struct{})
	d.parked = ch
	d.co.hold(d)
	// Look at the queue, and for stop, once held, not before: a wake-up
	// that found the queue filling, or a stop, before the hold passed
	// the writer by, since it was not held yet (a writer stopped then
	// would wait for the tick).
	if (d.over.Load() || d.st.Fill() >= urgentFill) && d.held.CompareAndSwap(true, false) {
		d.release()
	}
	<-ch
	d.parked = nil
	lingerPool.Put(ch)
}

// release ends a hold: it wakes the lingering writer, or starts one if the
// hold was a wake-up's. Only the caller that cleared held calls it, so the
// send never blocks.
func (d *Driver) release() {
	if ch := d.parked; ch != nil {
		ch <- struct{}{}
		return
	}
	go d.write(true)
}

// fail gives the connection up; running stays set, so no writer starts
// again.
func (d *Driver) fail() {
	d.Stop()
	d.hangUp()
}

// Coalescer holds back the writes of busy connections: a connection that
// wrote less than delay ago has its next write started by the coalescer's
// next tick, with everything that arrived meanwhile, instead of at once.
// A quiet connection still writes at once, so a lone message is not
// delayed; a busy one writes at most once per delay, which turns a
// syscall per event into one per burst (the write is most of the cost of
// a delivery). One goroutine ticks while connections are held, none
// otherwise.
type Coalescer struct {
	delay time.Duration
	start time.Time

	mu      sync.Mutex
	held    []*Driver
	ticking bool
}

// NewCoalescer returns a coalescer that holds busy connections' writes for
// delay; nil (every write at once) if delay is not positive.
func NewCoalescer(delay time.Duration) *Coalescer {
	if delay <= 0 {
		return nil
	}
	return &Coalescer{delay: delay, start: time.Now()}
}

// now is the time on the Coalescer's clock.
func (c *Coalescer) now() int64 { return int64(time.Since(c.start)) }

// since is how long ago t, a time from now, was.
func (c *Coalescer) since(t int64) time.Duration { return time.Duration(c.now() - t) }

// hold queues d, whose running flag its caller holds, for the next tick.
func (c *Coalescer) hold(d *Driver) {
	d.held.Store(true)
	c.mu.Lock()
	c.held = append(c.held, d)
	start := !c.ticking
	c.ticking = true
	c.mu.Unlock()
	if start {
		go c.tick()
	}
}

func (c *Coalescer) tick() {
	var ready []*Driver
	for {
		time.Sleep(c.delay)
		c.mu.Lock()
		ready, c.held = c.held, ready[:0]
		if len(ready) == 0 {
			c.ticking = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		releaseAll(ready)
	}
}

// releaseAll ends the holds of ready, taken from a Coalescer's held, and
// clears it.
func releaseAll(ready []*Driver) {
	for i, d := range ready {
		if d.held.CompareAndSwap(true, false) {
			d.release()
		}
		ready[i] = nil
	}
}
