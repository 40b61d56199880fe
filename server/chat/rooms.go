package chat

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// ErrRoomTaken is what Rooms.Create and Rooms.Update return for a name
// another room has (by compare key).
var ErrRoomTaken = errors.New("chat: a room of that name exists")

// ErrNoRoom is what Rooms.Update returns for a room that is gone.
var ErrNoRoom = errors.New("chat: no such room")

// Rooms keeps the rooms and who is in them, where every node finds them:
// the store's part for rooms. Writes decide races (of two creators of
// one name, on any nodes, one wins); reads are of this node's copy,
// which Current brings up to date.
type Rooms interface {
	// Create keeps r, unless a room whose name has r.Key exists:
	// ErrRoomTaken.
	Create(ctx context.Context, r RoomRecord) error
	// Update replaces room r.ID's record with r. A new name must be
	// free (ErrRoomTaken); the old one is freed. A room that is gone is
	// ErrNoRoom.
	Update(ctx context.Context, r RoomRecord) error
	// Delete forgets room id, its name and its members.
	Delete(ctx context.Context, id string) error
	// PutMember keeps m as a member of room id, replacing what was kept
	// for its registration.
	PutMember(ctx context.Context, id string, m Member) error
	// RemoveMember forgets reg's membership of room id, and reports
	// whether it was one.
	RemoveMember(ctx context.Context, id string, reg RegID) (bool, error)

	// Room is room id's record, from this node's copy.
	Room(id string) (RoomRecord, bool)
	// Member is reg's membership of room id, from this node's copy.
	Member(id string, reg RegID) (Member, bool)
	// Members are room id's members, from this node's copy, in no
	// particular order.
	Members(id string) []Member
	// RoomsOf are the ids of the rooms reg is a member of, from this
	// node's copy.
	RoomsOf(reg RegID) []string
	// Public are up to limit public rooms whose name keys come after
	// after ("" for the first), in name key order, from this node's copy.
	Public(after string, limit int) []RoomRecord
	// Memberships calls visit with every membership of this node's copy.
	Memberships(visit func(room string, m Member))
	// Current returns once this node's copy holds every write the store
	// acknowledged before the call.
	Current(ctx context.Context) error
}

// RoomRecord is a room as the store keeps it.
type RoomRecord struct {
	ID   string `json:"id"`
	Name string `json:"name"` // the display form
	Key  string `json:"key"`  // the name's compare key
	// Topic is what the room is for, set by its owner.
	Topic   string `json:"topic,omitempty"`
	Private bool   `json:"private,omitempty"`
	// Owner is the registration that made the room, OwnerName its name
	// then.
	Owner     RegID     `json:"owner"`
	OwnerName string    `json:"owner_name"`
	Created   time.Time `json:"created"`
}

// Member is one registration's membership of a room.
type Member struct {
	Reg  RegID  `json:"reg"`
	Name string `json:"name"` // its display name when it joined
	// Since is the seq of its room_join in a private room: it sees the
	// room's events after it, none from before ("someone added sees
	// messages from then on"). NotYet while the join is being logged;
	// 0 in a public room, whose history is its members' whatever their
	// time of joining.
	Since uint64 `json:"since,omitempty"`
}

// NotYet is Member.Since while a member's join is being logged: it sees
// nothing of a private room's history until the join has its seq.
const NotYet = ^uint64(0)

// MemoryRooms is Rooms held in this process; a shared store's node keeps
// its copy in one, with SetRoom, DropRoom, SetMember and DropMember.
type MemoryRooms struct {
	mu      sync.RWMutex
	rooms   map[string]RoomRecord
	names   map[string]string // name key -> room id
	members map[string]map[RegID]Member
	of      map[RegID]map[string]struct{}
}

// NewMemoryRooms returns an empty Rooms.
func NewMemoryRooms() *MemoryRooms {
	return &MemoryRooms{
		rooms:   make(map[string]RoomRecord),
		names:   make(map[string]string),
		members: make(map[string]map[RegID]Member),
		of:      make(map[RegID]map[string]struct{}),
	}
}

// Create implements Rooms.
func (m *MemoryRooms) Create(_ context.Context, r RoomRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.names[r.Key]; ok {
		return ErrRoomTaken
	}
	m.setRoomLocked(r)
	return nil
}

// Update implements Rooms.
func (m *MemoryRooms) Update(_ context.Context, r RoomRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rooms[r.ID]; !ok {
		return ErrNoRoom
	}
	if id, ok := m.names[r.Key]; ok && id != r.ID {
		return ErrRoomTaken
	}
	m.setRoomLocked(r)
	return nil
}

// Delete implements Rooms.
func (m *MemoryRooms) Delete(_ context.Context, id string) error {
	m.DropRoom(id)
	return nil
}

// PutMember implements Rooms.
func (m *MemoryRooms) PutMember(_ context.Context, id string, mem Member) error {
	m.SetMember(id, mem)
	return nil
}

// RemoveMember implements Rooms.
func (m *MemoryRooms) RemoveMember(_ context.Context, id string, reg RegID) (bool, error) {
	return m.DropMember(id, reg), nil
}

// SetRoom keeps r as it is, for a node's copy of a shared store.
func (m *MemoryRooms) SetRoom(r RoomRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setRoomLocked(r)
}

func (m *MemoryRooms) setRoomLocked(r RoomRecord) {
	if old, ok := m.rooms[r.ID]; ok && m.names[old.Key] == r.ID {
		delete(m.names, old.Key)
	}
	m.rooms[r.ID] = r
	m.names[r.Key] = r.ID
}

// DropRoom forgets room id and its members.
func (m *MemoryRooms) DropRoom(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.rooms[id]; ok {
		if m.names[r.Key] == id {
			delete(m.names, r.Key)
		}
		delete(m.rooms, id)
	}
	for reg := range m.members[id] {
		m.unindexLocked(id, reg)
	}
	delete(m.members, id)
}

// SetMember keeps mem as a member of room id.
func (m *MemoryRooms) SetMember(id string, mem Member) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ms := m.members[id]
	if ms == nil {
		ms = make(map[RegID]Member)
		m.members[id] = ms
	}
	ms[mem.Reg] = mem
	rs := m.of[mem.Reg]
	if rs == nil {
		rs = make(map[string]struct{})
		m.of[mem.Reg] = rs
	}
	rs[id] = struct{}{}
}

// DropMember forgets reg's membership of room id, and reports whether it
// was one.
func (m *MemoryRooms) DropMember(id string, reg RegID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.members[id][reg]; !ok {
		return false
	}
	delete(m.members[id], reg)
	if len(m.members[id]) == 0 {
		delete(m.members, id)
	}
	m.unindexLocked(id, reg)
	return true
}

func (m *MemoryRooms) unindexLocked(id string, reg RegID) {
	delete(m.of[reg], id)
	if len(m.of[reg]) == 0 {
		delete(m.of, reg)
	}
}

// Room implements Rooms.
func (m *MemoryRooms) Room(id string) (RoomRecord, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.rooms[id]
	return r, ok
}

// Member implements Rooms.
func (m *MemoryRooms) Member(id string, reg RegID) (Member, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	mem, ok := m.members[id][reg]
	return mem, ok
}

// Members implements Rooms.
func (m *MemoryRooms) Members(id string) []Member {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Member, 0, len(m.members[id]))
	for _, mem := range m.members[id] {
		out = append(out, mem)
	}
	return out
}

// RoomsOf implements Rooms.
func (m *MemoryRooms) RoomsOf(reg RegID) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.of[reg]))
	for id := range m.of[reg] {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Public implements Rooms. It sorts the public rooms at each call: a page
// is read by people browsing, rarely, and rooms are far fewer than
// messages.
func (m *MemoryRooms) Public(after string, limit int) []RoomRecord {
	m.mu.RLock()
	var out []RoomRecord
	for _, r := range m.rooms {
		if !r.Private && r.Key > after {
			out = append(out, r)
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b RoomRecord) int { return cmp.Compare(a.Key, b.Key) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Memberships implements Rooms.
func (m *MemoryRooms) Memberships(visit func(room string, mem Member)) {
	m.mu.RLock()
	var all []struct {
		room string
		mem  Member
	}
	for id, ms := range m.members {
		for _, mem := range ms {
			all = append(all, struct {
				room string
				mem  Member
			}{id, mem})
		}
	}
	m.mu.RUnlock()
	for _, x := range all {
		visit(x.room, x.mem)
	}
}

// Current implements Rooms: a store in this process is always current.
func (m *MemoryRooms) Current(context.Context) error { return nil }
