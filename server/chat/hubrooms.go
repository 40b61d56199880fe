package chat

import (
	"sync"

	"hark/app/protocol"
)

// roomIndex is who is in each room, for the hub: a room's members by hub
// shard, so that a room's entry goes to its members' streams at the cost
// of its members (one shard lock for each shard that holds any, one
// look-up for each member), however many streams are open. It follows
// the log: the fan-out applies a room_join before handing it out (the new
// member gets it, and everything after it) and a room_leave or a room's
// deletion after (the one leaving is told), so a member gets live exactly
// the room's entries logged while they were in it, on every node alike.
type roomIndex struct {
	mu    sync.RWMutex
	rooms map[string]*roomRegs
}

// roomRegs are one room's members: regs[i] those of hub shard i, and
// where each is in its shard's list.
type roomRegs struct {
	regs [hubShards][]RegID
	at   map[RegID]int
	n    int
}

// add makes reg a member of room; adding a member again changes nothing.
func (x *roomIndex) add(room string, reg RegID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.rooms == nil {
		x.rooms = make(map[string]*roomRegs)
	}
	r := x.rooms[room]
	if r == nil {
		r = &roomRegs{at: make(map[RegID]int)}
		x.rooms[room] = r
	}
	if _, ok := r.at[reg]; ok {
		return
	}
	i := uint64(reg) % hubShards
	r.at[reg] = len(r.regs[i])
	r.regs[i] = append(r.regs[i], reg)
	r.n++
}

// remove takes reg out of room.
func (x *roomIndex) remove(room string, reg RegID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.rooms[room]
	if r == nil {
		return
	}
	k, ok := r.at[reg]
	if !ok {
		return
	}
	i := uint64(reg) % hubShards
	list := r.regs[i]
	last := len(list) - 1
	list[k] = list[last]
	r.at[list[k]] = k
	r.regs[i] = list[:last]
	delete(r.at, reg)
	if r.n--; r.n == 0 {
		delete(x.rooms, room)
	}
}

// drop forgets room.
func (x *roomIndex) drop(room string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.rooms, room)
}

// room delivers a room's entry: applying what it changes of the index
// around handing it to the members' streams (see roomIndex).
func (h *Hub) room(run []*Entry) {
	e := run[0]
	switch e.kind {
	case protocol.TypeRoomJoin:
		h.rooms.add(e.room, e.from)
	case protocol.TypeRoomLeave:
		// The one leaving is told, then taken out; told directly if
		// the index no longer has them (a leave logged twice).
		defer h.rooms.remove(e.room, e.from)
		if !h.inRoom(e.room, e.from) {
			h.Delivered.Add(h.offerReg(e.from, run))
		}
	case protocol.TypeRoom:
		if e.Event().Change == protocol.RoomDeleted {
			defer h.rooms.drop(e.room)
		}
	}
	h.toRoom(e.room, run)
}

// publicRoomDeleted forgets the room a public room's deletion names: an
// entry for everyone, which names its room in its JSON only.
func (h *Hub) publicRoomDeleted(e *Entry) {
	if e.kind != protocol.TypeRoom {
		return
	}
	if ev := e.Event(); ev.Change == protocol.RoomDeleted {
		h.rooms.drop(ev.Room)
	}
}

// inRoom reports whether reg is in room's index.
func (h *Hub) inRoom(room string, reg RegID) bool {
	h.rooms.mu.RLock()
	defer h.rooms.mu.RUnlock()
	r := h.rooms.rooms[room]
	if r == nil {
		return false
	}
	_, ok := r.at[reg]
	return ok
}

// toRoom queues run on the streams of room's members, a shard at a time.
// Lock order: roomIndex.mu, then hubShard.mu, then Stream.mu.
func (h *Hub) toRoom(room string, run []*Entry) {
	h.rooms.mu.RLock()
	defer h.rooms.mu.RUnlock()
	r := h.rooms.rooms[room]
	if r == nil {
		return
	}
	var n uint64
	for i := range r.regs {
		regs := r.regs[i]
		if len(regs) == 0 {
			continue
		}
		sh := &h.shards[i]
		sh.mu.RLock()
		for _, reg := range regs {
			for _, s := range sh.byReg[reg] {
				n += h.offer(s, run)
			}
		}
		sh.mu.RUnlock()
	}
	h.Delivered.Add(n)
}
