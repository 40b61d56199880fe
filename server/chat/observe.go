package chat

import (
	"log/slog"
	"slices"
	"sync"
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

func (f *fanout) addObserver(o *observer) {
	f.obsMu.Lock()
	defer f.obsMu.Unlock()
	if f.obsClosed {
		o.halt() // the chat has closed: it sees nothing
		return
	}
	f.obs = append(f.obs, o)
}

func (f *fanout) removeObserver(o *observer) {
	f.obsMu.Lock()
	defer f.obsMu.Unlock()
	f.obs = slices.DeleteFunc(f.obs, func(x *observer) bool { return x == o })
}

// observe hands the log's entries of batch to every observer. Offering
// never blocks, so the lock is held a moment.
func (f *fanout) observe(batch []*Entry) {
	f.obsMu.Lock()
	defer f.obsMu.Unlock()
	for _, o := range f.obs {
		o.offer(batch)
	}
}

// closeObservers tells every observer to stop, when the chat closes. It
// does not wait for them: an observer stuck in see must not hold up a
// shutdown (stop, which its owner calls, does wait).
func (f *fanout) closeObservers() {
	f.obsMu.Lock()
	defer f.obsMu.Unlock()
	f.obsClosed = true
	for _, o := range f.obs {
		o.halt()
	}
	f.obs = nil
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
