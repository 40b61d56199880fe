package chat

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
)

// ObserveQueue is how many entries wait for one observer that is behind;
// past it the oldest waiting are dropped (and logged), so a stuck observer
// costs a bounded amount of memory and nothing else.
const ObserveQueue = 1 << 16

// Observe calls see with every entry the log gets from now on (appended by
// this node, or on a shared log by any node, as this node's copy gets
// it), in seq order, each once, until the returned stop is called or the
// chat closes. It is the seam where notifications, search indexes and bot
// feeds attach. see runs on a goroutine of the observer's own, fed by the
// fan-out after each delivery, so a slow observer never slows a send or a
// delivery: entries wait for it (at most ObserveQueue). Entries are
// shared: see must not modify them.
func (c *Chat) Observe(see func(*Entry)) (stop func()) {
	o := &observer{see: see, log: c.cfg.Logger, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	c.fan.addObserver(o)
	go o.run()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.fan.removeObserver(o)
			o.halt()
			<-o.done
		})
	}
}

// observers is the fan-out's list of observers, replaced whole when one
// comes or goes, so the fan-out reads it with one atomic load.
type observers = atomic.Pointer[[]*observer]

func (f *fanout) addObserver(o *observer) {
	f.obsMu.Lock()
	defer f.obsMu.Unlock()
	if f.obsClosed {
		o.halt() // the chat has closed: it sees nothing
		return
	}
	var list []*observer
	if p := f.obs.Load(); p != nil {
		list = slices.Clone(*p)
	}
	list = append(list, o)
	f.obs.Store(&list)
}

func (f *fanout) removeObserver(o *observer) {
	f.obsMu.Lock()
	defer f.obsMu.Unlock()
	p := f.obs.Load()
	if p == nil {
		return
	}
	list := slices.DeleteFunc(slices.Clone(*p), func(x *observer) bool { return x == o })
	f.obs.Store(&list)
}

// observe hands the log's entries of batch to every observer.
func (f *fanout) observe(batch []*Entry) {
	p := f.obs.Load()
	if p == nil || len(*p) == 0 {
		return
	}
	for _, o := range *p {
		o.offer(batch)
	}
}

// closeObservers tells every observer to stop, when the chat closes. It
// does not wait for them: an observer stuck in see must not hold up a
// shutdown (stop, which its owner calls, does wait).
func (f *fanout) closeObservers() {
	f.obsMu.Lock()
	p := f.obs.Swap(nil)
	f.obsClosed = true
	f.obsMu.Unlock()
	if p == nil {
		return
	}
	for _, o := range *p {
		o.halt()
	}
}

// observer is one Observe call's queue and goroutine.
type observer struct {
	see  func(*Entry)
	log  *slog.Logger
	wake chan struct{} // one token: something is queued
	stop chan struct{}
	done chan struct{}

	halted sync.Once

	mu      sync.Mutex // alone: see the lock order in entry.go
	queue   []*Entry
	dropped int // entries dropped since the observer last caught up
}

// offer queues the log's entries of batch (control events are not the
// log's) and wakes the observer. It never blocks.
func (o *observer) offer(batch []*Entry) {
	o.mu.Lock()
	for _, e := range batch {
		if e.seq == 0 {
			continue
		}
		if len(o.queue) == ObserveQueue {
			o.queue = o.queue[1:]
			o.dropped++
		}
		o.queue = append(o.queue, e)
	}
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// halt tells the observer's goroutine to stop, once.
func (o *observer) halt() { o.halted.Do(func() { close(o.stop) }) }

func (o *observer) run() {
	defer close(o.done)
	var batch []*Entry
	for {
		select {
		case <-o.wake:
		case <-o.stop:
			return
		}
		o.mu.Lock()
		batch, o.queue = o.queue, batch[:0]
		dropped := o.dropped
		o.dropped = 0
		o.mu.Unlock()
		if dropped > 0 {
			o.log.Warn("chat: an observer fell behind; entries were dropped", "dropped", dropped)
		}
		for _, e := range batch {
			select {
			case <-o.stop:
				return
			default:
			}
			o.see(e)
		}
		clear(batch)
	}
}
