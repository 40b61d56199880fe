package chat

import (
	"sync"
	"sync/atomic"
)

// CloseReason says why the hub ended a stream.
type CloseReason int32

// Reasons a stream ends from the server's side.
const (
	// Open: the stream has not been ended by the server.
	Open CloseReason = iota
	// Overflow: the client did not keep up and its queue filled.
	Overflow
	// Shutdown: the server is stopping; the client should reconnect.
	Shutdown
	// Released: the session left or its name was released.
	Released
)

// Hub fans entries out to the streams that may see them. Broadcasts go to
// every stream; a direct message only to the streams of its two parties,
// found by key without scanning everyone.
type Hub struct {
	mu    sync.RWMutex
	all   []*Stream            // every open stream; Stream.index is its place
	byKey map[string][]*Stream // streams of each person, by compare key

	// onDrop, if set, is told of each entry a full queue refused, and
	// whether that ended the stream. It runs on the delivering goroutine.
	onDrop func(ended bool)
	// Delivered counts entries queued to streams.
	Delivered atomic.Uint64
}

// NewHub returns a hub with no streams.
func NewHub() *Hub { return &Hub{byKey: make(map[string][]*Stream)} }

// add starts delivering to s.
func (h *Hub) add(s *Stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.index = len(h.all)
	h.all = append(h.all, s)
	h.byKey[s.key] = append(h.byKey[s.key], s)
}

// remove stops delivering to s. It is safe to call more than once.
func (h *Hub) remove(s *Stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.index < 0 {
		return
	}
	last := len(h.all) - 1
	h.all[s.index] = h.all[last]
	h.all[s.index].index = s.index
	h.all[last] = nil
	h.all = h.all[:last]
	s.index = -1

	mine := h.byKey[s.key]
	for i, o := range mine {
		if o == s {
			mine[i] = mine[len(mine)-1]
			mine[len(mine)-1] = nil
			mine = mine[:len(mine)-1]
			break
		}
	}
	if len(mine) == 0 {
		delete(h.byKey, s.key)
	} else {
		h.byKey[s.key] = mine
	}
}

// Deliver queues e on every stream that may see it. It never blocks: a
// stream whose queue is full is ended with Overflow and resumes later from
// the log, so one slow reader cannot delay the rest.
func (h *Hub) Deliver(e *Entry) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var n uint64
	if e.toKey == "" {
		n = h.offerAll(h.all, e)
	} else {
		n = h.offerAll(h.byKey[e.fromKey], e)
		if e.toKey != e.fromKey {
			n += h.offerAll(h.byKey[e.toKey], e)
		}
	}
	h.Delivered.Add(n)
}

// CloseAll ends every stream with reason.
func (h *Hub) CloseAll(reason CloseReason) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.all {
		s.end(reason)
	}
}

// CloseKey ends every stream of the person with key.
func (h *Hub) CloseKey(key string, reason CloseReason) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.byKey[key] {
		s.end(reason)
	}
}

// Len is the number of open streams.
func (h *Hub) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.all)
}

// offerAll queues e on each of streams and returns how many took it.
func (h *Hub) offerAll(streams []*Stream, e *Entry) (n uint64) {
	for _, s := range streams {
		select {
		case s.queue <- e:
			n++
		default:
			ended := s.end(Overflow)
			if h.onDrop != nil {
				h.onDrop(ended)
			}
		}
	}
	return n
}
