package chat

import (
	"slices"
	"sync"

	"hark/app/protocol"
)

// roomIndex is who is in each room, for the hub: a room's members by hub
// shard, and the rooms of each member. The streams themselves are kept
// in the shards: each shard holds, for each room, the open streams of
// the room's members that are its own (hubShard.rooms), so a room's entry
// walks its members' streams directly, at the cost of its members (one
// shard lock for each shard that holds any, no look-up per member),
// however many streams are open. Both are changed together, under
// roomIndex.mu and then the shard's lock: a stream joins its member's
// rooms' lists as it opens (Hub.add) and leaves them as it closes, and a
// member's open streams join or leave a room's list with the member
// (Hub.addMember, removeMember, dropRoom).
//
// It follows the log: the fan-out applies a room_join before handing it
// out (the new member gets it, and everything after it) and a room_leave
// or a room's deletion after (the one leaving is told), so a member gets
// live exactly the room's entries logged while they were in it, on every
// node alike.
type roomIndex struct {
	mu    sync.RWMutex
	rooms map[string]*roomRegs
	of    map[RegID][]string // the rooms of each member
}

// roomRegs are one room's members: regs[i] those of hub shard i, and
// where each is in its shard's list.
type roomRegs struct {
	regs [hubShards][]RegID
	at   map[RegID]int
	n    int
}

// addMember makes reg a member of room, and its open streams the room's;
// adding a member again changes nothing.
func (h *Hub) addMember(room string, reg RegID) {
	x := &h.rooms
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.rooms == nil {
		x.rooms = make(map[string]*roomRegs)
		x.of = make(map[RegID][]string)
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
	x.of[reg] = append(x.of[reg], room)

	sh := &h.shards[i]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, s := range sh.byReg[reg] {
		sh.enter(room, s)
	}
}

// removeMember takes reg, and its open streams, out of room.
func (h *Hub) removeMember(room string, reg RegID) {
	x := &h.rooms
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
	x.forget(reg, room)

	sh := &h.shards[i]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, s := range sh.byReg[reg] {
		sh.leave(room, s)
	}
}

// dropRoom forgets room, its members and their streams' places in it.
func (h *Hub) dropRoom(room string) {
	x := &h.rooms
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.rooms[room]
	if r == nil {
		return
	}
	delete(x.rooms, room)
	for i, regs := range r.regs {
		if len(regs) == 0 {
			continue
		}
		for _, reg := range regs {
			x.forget(reg, room)
		}
		sh := &h.shards[i]
		sh.mu.Lock()
		for _, s := range sh.rooms[room] {
			s.rooms = without(s.rooms, room)
		}
		delete(sh.rooms, room)
		sh.mu.Unlock()
	}
}

// forget takes room out of reg's rooms.
func (x *roomIndex) forget(reg RegID, room string) {
	if rooms := without(x.of[reg], room); len(rooms) > 0 {
		x.of[reg] = rooms
	} else {
		delete(x.of, reg)
	}
}

// enter puts s, a stream of the shard, on room's list.
func (sh *hubShard) enter(room string, s *Stream) {
	if sh.rooms == nil {
		sh.rooms = make(map[string][]*Stream)
	}
	sh.rooms[room] = append(sh.rooms[room], s)
	s.rooms = append(s.rooms, room)
}

// leave takes s, a stream of the shard, off room's list.
func (sh *hubShard) leave(room string, s *Stream) {
	sh.offList(room, s)
	s.rooms = without(s.rooms, room)
}

// offList takes s off room's list, leaving s.rooms as it is. The list is
// searched: it holds only the shard's streams of the room's members.
func (sh *hubShard) offList(room string, s *Stream) {
	if list := without(sh.rooms[room], s); len(list) > 0 {
		sh.rooms[room] = list
	} else {
		delete(sh.rooms, room)
	}
}

// without is list with its first x taken out, the last element put in
// its place (order does not matter to its users).
func without[T comparable](list []T, x T) []T {
	i := slices.Index(list, x)
	if i < 0 {
		return list
	}
	last := len(list) - 1
	list[i] = list[last]
	var zero T
	list[last] = zero
	return list[:last]
}

// room delivers a room's entry: applying what it changes of the index
// around handing it to the members' streams (see roomIndex). A room's
// typing (a signal) goes to every member's streams but its sender's.
func (h *Hub) room(run []*Entry) {
	e := run[0]
	var skip RegID
	switch e.kind {
	case protocol.TypeTyping:
		skip = e.from
	case protocol.TypeRoomJoin:
		h.addMember(e.room, e.from)
	case protocol.TypeRoomLeave:
		// The one leaving is told, then taken out; told directly if
		// the index no longer has them (a leave logged twice).
		defer h.removeMember(e.room, e.from)
		if !h.inRoom(e.room, e.from) {
			h.Delivered.Add(h.offerReg(e.from, run))
		}
	case protocol.TypeRoom:
		if e.Event().Change == protocol.RoomDeleted {
			defer h.dropRoom(e.room)
		}
	}
	h.toRoom(e.room, run, skip)
}

// publicRoomDeleted forgets the room a public room's deletion names: an
// entry for everyone, which names its room in its JSON only.
func (h *Hub) publicRoomDeleted(e *Entry) {
	if e.kind != protocol.TypeRoom {
		return
	}
	if ev := e.Event(); ev.Change == protocol.RoomDeleted {
		h.dropRoom(ev.Room)
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

// toRoom queues run on the streams of room's members but skip's (0: none),
// a shard at a time, walking each shard's list of the room's streams.
// Lock order: roomIndex.mu, then hubShard.mu, then Stream.mu.
func (h *Hub) toRoom(room string, run []*Entry, skip RegID) {
	h.rooms.mu.RLock()
	defer h.rooms.mu.RUnlock()
	r := h.rooms.rooms[room]
	if r == nil {
		return
	}
	var n uint64
	for i := range r.regs {
		if len(r.regs[i]) == 0 {
			continue
		}
		sh := &h.shards[i]
		sh.mu.RLock()
		for _, s := range sh.rooms[room] {
			if s.reg != skip {
				n += h.offer(s, run)
			}
		}
		sh.mu.RUnlock()
	}
	h.Delivered.Add(n)
}
