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

// hubShards spreads streams over locks, so connecting and disconnecting
// lock one shard while a broadcast walks the others, and a broadcast holds
// each shard's read lock only while it queues to that shard's streams.
const hubShards = 64

// Hub fans entries out to the streams that may see them. Broadcasts go to
// every stream; a direct message only to the streams of its two
// registrations, found by registration without scanning everyone.
type Hub struct {
	shards [hubShards]hubShard
	// rooms is who is in each room; the shards hold their streams.
	rooms roomIndex

	// onOverflow, if set, is told of each stream a full queue ended and
	// how many entries of the run it could not take. It runs on the
	// delivering goroutine.
	onOverflow func(dropped int)
	// Delivered counts entries queued to streams.
	Delivered atomic.Uint64
}

type hubShard struct {
	mu    sync.RWMutex
	all   []*Stream           // the shard's streams; Stream.index is the place
	byReg map[RegID][]*Stream // streams of each registration
	// rooms are the shard's streams of each room's members (see
	// roomIndex); Stream.rooms are the lists a stream is on.
	rooms map[string][]*Stream
}

// NewHub returns a hub with no streams.
func NewHub() *Hub {
	h := &Hub{}
	for i := range h.shards {
		h.shards[i].byReg = make(map[RegID][]*Stream)
	}
	return h
}

func (h *Hub) shard(r RegID) *hubShard { return &h.shards[uint64(r)%hubShards] }

// add starts delivering to s, putting it on the lists of its
// registration's rooms in its shard (see roomIndex).
// Lock order: roomIndex.mu (read), then hubShard.mu.
func (h *Hub) add(s *Stream) {
	h.rooms.mu.RLock()
	defer h.rooms.mu.RUnlock()
	sh := h.shard(s.reg)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s.index = len(sh.all)
	sh.all = append(sh.all, s)
	sh.byReg[s.reg] = append(sh.byReg[s.reg], s)
	for _, room := range h.rooms.of[s.reg] {
		sh.enter(room, s)
	}
}

// remove stops delivering to s. It is safe to call more than once.
func (h *Hub) remove(s *Stream) {
	sh := h.shard(s.reg)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.removeLocked(s)
}

func (sh *hubShard) removeLocked(s *Stream) {
	if s.index < 0 {
		return
	}
	last := len(sh.all) - 1
	sh.all[s.index] = sh.all[last]
	sh.all[s.index].index = s.index
	sh.all[last] = nil
	sh.all = sh.all[:last]
	s.index = -1
	for _, room := range s.rooms {
		sh.offList(room, s)
	}
	s.rooms = nil

	if mine := without(sh.byReg[s.reg], s); len(mine) == 0 {
		delete(sh.byReg, s.reg)
	} else {
		sh.byReg[s.reg] = mine
	}
}

// Deliver queues entries, in order, on every stream that may see each. It
// never blocks: a stream whose queue is full is ended with Overflow and
// resumes later from the log, so one slow reader cannot delay the rest.
// Runs of broadcasts go to each stream in one step (one lock, one wake-up);
// a direct message goes only to its parties' streams, a room's entry only
// to its members' (see roomIndex).
func (h *Hub) Deliver(entries []*Entry) {
	for len(entries) > 0 {
		n := 1
		switch e := entries[0]; {
		case e.everyones():
			for n < len(entries) && entries[n].everyones() {
				n++
			}
			h.broadcast(entries[:n])
			for _, e := range entries[:n] {
				h.publicRoomDeleted(e)
			}
		case e.room != "":
			h.room(entries[:1])
		default:
			h.direct(entries[:1])
		}
		entries = entries[n:]
	}
}

func (h *Hub) broadcast(run []*Entry) {
	var n uint64
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.RLock()
		for _, s := range sh.all {
			n += h.offer(s, run)
		}
		sh.mu.RUnlock()
	}
	h.Delivered.Add(n)
}

// direct delivers a run of one direct message to its parties (a direct
// signal has only its recipient).
func (h *Hub) direct(run []*Entry) {
	e := run[0]
	var n uint64
	if e.from != 0 {
		n = h.offerReg(e.from, run)
	}
	if e.to != e.from {
		n += h.offerReg(e.to, run)
	}
	h.Delivered.Add(n)
}

func (h *Hub) offerReg(r RegID, run []*Entry) (n uint64) {
	sh := h.shard(r)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	for _, s := range sh.byReg[r] {
		n += h.offer(s, run)
	}
	return n
}

func (h *Hub) offer(s *Stream, run []*Entry) uint64 {
	n, dropped := s.offer(run)
	if dropped > 0 && h.onOverflow != nil {
		h.onOverflow(dropped)
	}
	return uint64(n)
}

// EndAll ends every stream with reason, after taking them out of the hub.
func (h *Hub) EndAll(reason CloseReason) {
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.Lock()
		taken := sh.all
		sh.all = nil
		clear(sh.byReg)
		clear(sh.rooms)
		for _, s := range taken {
			s.index = -1
			s.rooms = nil
		}
		sh.mu.Unlock()
		for _, s := range taken {
			s.end(reason)
		}
	}
}

// endSession takes every stream of session s (of registration r) out of
// the hub, then ends each with reason: once it returns, nothing more is
// queued to them. The streams of the registration's other sessions (its
// person's other devices) go on.
func (h *Hub) endSession(r RegID, s *Session, reason CloseReason) {
	sh := h.shard(r)
	sh.mu.Lock()
	var taken []*Stream
	for _, st := range sh.byReg[r] {
		if st.session == s {
			taken = append(taken, st)
		}
	}
	for _, st := range taken {
		sh.removeLocked(st)
	}
	sh.mu.Unlock()
	for _, st := range taken {
		st.end(reason)
	}
}

// Len is the number of streams in the hub.
func (h *Hub) Len() int {
	n := 0
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.RLock()
		n += len(sh.all)
		sh.mu.RUnlock()
	}
	return n
}
