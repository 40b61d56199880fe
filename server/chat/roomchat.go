package chat

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hark/app/protocol"
)

// Rooms, as the chat runs them. A room's membership is the store's
// (Rooms), and every change of it is also an event of the log, after the
// store has it: a room_join, a room_leave. Who may see a room's entries
// in history, on resume and in actions is read from the store
// (Chat.sees); who gets them live is the hub's index, which follows the
// log (roomIndex). Changes of one room are one at a time on a node
// (roomLocks), so that its store and its log tell them in one order.

// newRoomID returns a room id: 8 characters of lower-case base 32, 40
// random bits, short enough for a URL and never guessed.
func newRoomID() string {
	var b [5]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// roomLock is the lock of room id's changes.
func (c *Chat) roomLock(id string) *sync.Mutex {
	return &c.roomLocks[maphash.String(sendSeed, id)%uint64(len(c.roomLocks))]
}

// sees reports whether registration r may see e: for a room's entry, its
// members (in a private room, those whose join came before it; in a
// public one, every member, whenever they joined), and the one a join or
// leave is of; for everything else, as Entry.VisibleTo says.
func (c *Chat) sees(e *Entry, r RegID) bool {
	if e.room == "" {
		return e.VisibleTo(r)
	}
	if e.from == r && (e.kind == protocol.TypeRoomJoin || e.kind == protocol.TypeRoomLeave) {
		return true
	}
	m, ok := c.rooms.Member(e.room, r)
	return ok && (m.Since == 0 || e.seq > m.Since)
}

// info is r as the wire shows it.
func (c *Chat) info(r RoomRecord) *protocol.Room {
	return &protocol.Room{ID: r.ID, Name: r.Name, Topic: r.Topic, Private: r.Private, Owner: r.OwnerName, Members: len(c.rooms.Members(r.ID))}
}

// room is the record of room id, reading the store's latest when this
// node's copy has not seen it (made on another node a moment ago).
func (c *Chat) room(ctx context.Context, id string) (RoomRecord, bool) {
	if r, ok := c.rooms.Room(id); ok {
		return r, true
	}
	ctx, cancel := context.WithTimeout(ctx, sendReadBack)
	defer cancel()
	if c.rooms.Current(ctx) != nil {
		return RoomRecord{}, false
	}
	return c.rooms.Room(id)
}

// member is reg's membership of room id, reading the store's latest
// when this node's copy has none: a join told by the log on this node may
// come before the store's copy here has it, and its member must not be
// refused for that.
func (c *Chat) member(ctx context.Context, id string, reg RegID) (Member, bool) {
	if m, ok := c.rooms.Member(id, reg); ok {
		return m, true
	}
	ctx, cancel := context.WithTimeout(ctx, sendReadBack)
	defer cancel()
	if c.rooms.Current(ctx) != nil {
		return Member{}, false
	}
	return c.rooms.Member(id, reg)
}

// visibleRoom is room id if s may know of it (every public room; a
// private one to its members and the operator), else not_found, so that
// nobody learns of a private room by its id.
func (c *Chat) visibleRoom(ctx context.Context, s *Session, id string, admin bool) (RoomRecord, error) {
	r, ok := c.room(ctx, id)
	if ok && r.Private && !admin {
		_, ok = c.member(ctx, id, s.reg)
	}
	if !ok {
		return RoomRecord{}, protocol.Errorf(protocol.CodeNotFound, "no room %q that you can see", id)
	}
	return r, nil
}

// CreateRoom makes a room of s's, s its owner and first member: public
// or private as req says, with the people req.Members names (a group
// conversation: private, MinGroup to MaxGroup people with its maker, each
// online). Every name is checked and the budgets taken before anything
// is stored. A name another room has is name_taken.
func (c *Chat) CreateRoom(ctx context.Context, s *Session, req protocol.RoomRequest) (protocol.Room, error) {
	if !s.Live() {
		return protocol.Room{}, errUnauthorized
	}
	n, err := protocol.ParseName(req.Name)
	if err != nil {
		return protocol.Room{}, err
	}
	if err := protocol.ValidTopic(req.Topic); err != nil {
		return protocol.Room{}, err
	}
	others, err := c.groupOf(s, req)
	if err != nil {
		return protocol.Room{}, err
	}
	if err := c.roomBudget.take(s.reg, s.addr, c.cfg.Clock.Now()); err != nil {
		return protocol.Room{}, err
	}
	now := c.cfg.Clock.Now()
	r := RoomRecord{ID: newRoomID(), Name: n.Display, Key: n.Key, Topic: req.Topic, Private: req.Private, Owner: s.reg, OwnerName: s.name.Display, Created: now}
	lock := c.roomLock(r.ID)
	lock.Lock()
	defer lock.Unlock()
	if err := c.rooms.Create(ctx, r); err != nil {
		if errors.Is(err, ErrRoomTaken) {
			return protocol.Room{}, protocol.Errorf(protocol.CodeNameTaken, "a room called %q exists", n.Display)
		}
		return protocol.Room{}, err
	}
	if err := c.join(ctx, r, s.reg, s.name.Display, ""); err != nil {
		return protocol.Room{}, err
	}
	for _, h := range others {
		if err := c.join(ctx, r, h.Reg, h.Display, s.name.Display); err != nil {
			return protocol.Room{}, err
		}
	}
	info := c.info(r)
	if err := c.roomEvent(ctx, s, r, protocol.RoomCreated, info); err != nil {
		return protocol.Room{}, err
	}
	return *info, nil
}

// groupOf checks the people a new room is made with, and returns them
// (online, each once, without its maker).
func (c *Chat) groupOf(s *Session, req protocol.RoomRequest) ([]Holder, error) {
	if len(req.Members) == 0 {
		return nil, nil
	}
	if !req.Private {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "members are for a private room (a group); a public room is joined")
	}
	if len(req.Members) > 2*protocol.MaxGroup {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "a group is %d to %d people with you", protocol.MinGroup, protocol.MaxGroup)
	}
	seen := map[string]bool{s.name.Key: true}
	var out []Holder
	for _, name := range req.Members {
		n, err := protocol.ParseName(name)
		if err != nil {
			return nil, err
		}
		if seen[n.Key] {
			continue
		}
		seen[n.Key] = true
		h, ok := c.registry.Lookup(n.Key)
		if !ok {
			return nil, protocol.Errorf(protocol.CodeNoSuchUser, "%q is not online", n.Display)
		}
		out = append(out, h)
	}
	if k := len(out) + 1; k < protocol.MinGroup || k > protocol.MaxGroup {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "a group is %d to %d people with you, not %d", protocol.MinGroup, protocol.MaxGroup, k)
	}
	return out, nil
}

// join makes reg (named name) a member of r, added by by ("" when it
// joined itself): stored, then logged (see roomIndex). In a private
// room the member sees nothing from before its join. The room's lock
// must be held.
func (c *Chat) join(ctx context.Context, r RoomRecord, reg RegID, name, by string) error {
	m := Member{Reg: reg, Name: name}
	if r.Private {
		m.Since = NotYet
	}
	if err := c.rooms.PutMember(ctx, r.ID, m); err != nil {
		return err
	}
	ev := protocol.Event{Type: protocol.TypeRoomJoin, Room: r.ID, From: name, By: by, RoomInfo: c.info(r), Time: protocol.NewTime(c.cfg.Clock.Now())}
	e := newEntry(ev, reg, 0)
	e.room = r.ID
	if err := c.append(ctx, e); err != nil {
		if _, derr := c.rooms.RemoveMember(ctx, r.ID, reg); derr != nil {
			c.cfg.Logger.Warn("chat: taking back a room member whose join was not logged", "room", r.ID, "err", derr)
		}
		return err
	}
	if r.Private {
		m.Since = e.seq
		return c.rooms.PutMember(ctx, r.ID, m)
	}
	return nil
}

// leave takes reg (named name) out of r, removed by by ("" when it left
// itself): forgotten, then logged. It reports false if reg was no
// member. The room's lock must be held.
func (c *Chat) leave(ctx context.Context, r RoomRecord, reg RegID, name, by string) (bool, error) {
	was, err := c.rooms.RemoveMember(ctx, r.ID, reg)
	if err != nil || !was {
		return false, err
	}
	ev := protocol.Event{Type: protocol.TypeRoomLeave, Room: r.ID, From: name, By: by, RoomInfo: c.info(r), Time: protocol.NewTime(c.cfg.Clock.Now())}
	e := newEntry(ev, reg, 0)
	e.room = r.ID
	return true, c.append(ctx, e)
}

// roomEvent logs a room's change by s: to everyone for a public room, so
// every list of rooms follows, to its members for a private one.
func (c *Chat) roomEvent(ctx context.Context, s *Session, r RoomRecord, change string, info *protocol.Room) error {
	ev := protocol.Event{Type: protocol.TypeRoom, Room: r.ID, From: s.name.Display, Change: change, RoomInfo: info, Time: protocol.NewTime(c.cfg.Clock.Now())}
	e := newEntry(ev, s.reg, 0)
	if r.Private {
		e.room = r.ID
	}
	return c.append(ctx, e)
}

// JoinRoom makes s a member of the public room id; joining a room one is
// in changes nothing. A private room is not_found to those not in it, as
// if it did not exist: it is joined when a member adds you.
func (c *Chat) JoinRoom(ctx context.Context, s *Session, id string) (protocol.Room, error) {
	if !s.Live() {
		return protocol.Room{}, errUnauthorized
	}
	r, err := c.visibleRoom(ctx, s, id, false)
	if err != nil {
		return protocol.Room{}, err
	}
	lock := c.roomLock(id)
	lock.Lock()
	defer lock.Unlock()
	if _, ok := c.rooms.Member(id, s.reg); !ok {
		if r.Private { // removed since visibleRoom looked
			return protocol.Room{}, protocol.Errorf(protocol.CodeNotFound, "no room %q that you can see", id)
		}
		if err := c.join(ctx, r, s.reg, s.name.Display, ""); err != nil {
			return protocol.Room{}, err
		}
	}
	return *c.info(r), nil
}

// LeaveRoom takes s out of room id. Leaving a room one is not in is
// not_found. Its owner may leave and stays its owner.
func (c *Chat) LeaveRoom(ctx context.Context, s *Session, id string) error {
	if !s.Live() {
		return errUnauthorized
	}
	r, err := c.visibleRoom(ctx, s, id, false)
	if err != nil {
		return err
	}
	lock := c.roomLock(id)
	lock.Lock()
	defer lock.Unlock()
	was, err := c.leave(ctx, r, s.reg, s.name.Display, "")
	if err != nil {
		return err
	}
	if !was {
		return protocol.Errorf(protocol.CodeNotFound, "you are not in the room %q", r.Name)
	}
	return nil
}

// AddMember adds the person online under name to room id. Any member may
// add someone (the operator too, admin); a group stays within MaxGroup.
// Adding a member again changes nothing.
func (c *Chat) AddMember(ctx context.Context, s *Session, id, name string, admin bool) (protocol.Room, error) {
	if !s.Live() {
		return protocol.Room{}, errUnauthorized
	}
	r, err := c.visibleRoom(ctx, s, id, admin)
	if err != nil {
		return protocol.Room{}, err
	}
	if _, ok := c.member(ctx, id, s.reg); !ok && !admin {
		return protocol.Room{}, protocol.Errorf(protocol.CodeForbidden, "only a member of the room may add someone to it")
	}
	n, err := protocol.ParseName(name)
	if err != nil {
		return protocol.Room{}, err
	}
	h, ok := c.registry.Lookup(n.Key)
	if !ok {
		return protocol.Room{}, protocol.Errorf(protocol.CodeNoSuchUser, "%q is not online", n.Display)
	}
	lock := c.roomLock(id)
	lock.Lock()
	defer lock.Unlock()
	if _, ok := c.rooms.Member(id, h.Reg); !ok {
		if r.Private && len(c.rooms.Members(id)) >= protocol.MaxGroup {
			return protocol.Room{}, protocol.Errorf(protocol.CodeForbidden, "a private room has at most %d people", protocol.MaxGroup)
		}
		if err := c.join(ctx, r, h.Reg, h.Display, s.name.Display); err != nil {
			return protocol.Room{}, err
		}
	}
	return *c.info(r), nil
}

// RemoveMember takes the member called name out of room id: its owner's
// (or the operator's, admin) to do, or the member's own (a leave).
func (c *Chat) RemoveMember(ctx context.Context, s *Session, id, name string, admin bool) error {
	if !s.Live() {
		return errUnauthorized
	}
	r, err := c.visibleRoom(ctx, s, id, admin)
	if err != nil {
		return err
	}
	key := toKey(name)
	if key != s.name.Key && r.Owner != s.reg && !admin {
		return protocol.Errorf(protocol.CodeForbidden, "only the room's owner may remove someone from it")
	}
	lock := c.roomLock(id)
	lock.Lock()
	defer lock.Unlock()
	for _, m := range c.rooms.Members(id) {
		if protocol.NameKey(m.Name) != key {
			continue
		}
		by := s.name.Display
		if m.Reg == s.reg {
			by = ""
		}
		_, err := c.leave(ctx, r, m.Reg, m.Name, by)
		return err
	}
	return protocol.Errorf(protocol.CodeNotFound, "nobody called %q is in the room %q", name, r.Name)
}

// UpdateRoom renames room id or sets its topic (a nil field is left as
// it is): its owner's to do, or the operator's (admin).
func (c *Chat) UpdateRoom(ctx context.Context, s *Session, id string, p protocol.RoomPatch, admin bool) (protocol.Room, error) {
	if !s.Live() {
		return protocol.Room{}, errUnauthorized
	}
	r, err := c.visibleRoom(ctx, s, id, admin)
	if err != nil {
		return protocol.Room{}, err
	}
	if r.Owner != s.reg && !admin {
		return protocol.Room{}, protocol.Errorf(protocol.CodeForbidden, "only the room's owner may change it")
	}
	if p.Name != nil {
		n, err := protocol.ParseName(*p.Name)
		if err != nil {
			return protocol.Room{}, err
		}
		r.Name, r.Key = n.Display, n.Key
	}
	if p.Topic != nil {
		if err := protocol.ValidTopic(*p.Topic); err != nil {
			return protocol.Room{}, err
		}
		r.Topic = *p.Topic
	}
	lock := c.roomLock(id)
	lock.Lock()
	defer lock.Unlock()
	switch err := c.rooms.Update(ctx, r); {
	case errors.Is(err, ErrRoomTaken):
		return protocol.Room{}, protocol.Errorf(protocol.CodeNameTaken, "a room called %q exists", r.Name)
	case errors.Is(err, ErrNoRoom):
		return protocol.Room{}, protocol.Errorf(protocol.CodeNotFound, "no room %q that you can see", id)
	case err != nil:
		return protocol.Room{}, err
	}
	info := c.info(r)
	return *info, c.roomEvent(ctx, s, r, protocol.RoomUpdated, info)
}

// DeleteRoom deletes room id, its name and its membership: its owner's to
// do, or the operator's (admin). Its messages stay in the log, seen by
// nobody: membership is what shows them.
func (c *Chat) DeleteRoom(ctx context.Context, s *Session, id string, admin bool) error {
	if !s.Live() {
		return errUnauthorized
	}
	r, err := c.visibleRoom(ctx, s, id, admin)
	if err != nil {
		return err
	}
	if r.Owner != s.reg && !admin {
		return protocol.Errorf(protocol.CodeForbidden, "only the room's owner may delete it")
	}
	lock := c.roomLock(id)
	lock.Lock()
	defer lock.Unlock()
	info := c.info(r)
	// Told first, while its members are its members; then forgotten.
	if err := c.roomEvent(ctx, s, r, protocol.RoomDeleted, info); err != nil {
		return err
	}
	return c.rooms.Delete(ctx, id)
}

// RoomList is a page of public rooms (Next: the after of the next page,
// "" at the end) and every room of the asker's.
func (c *Chat) RoomList(s *Session, after string, limit int) protocol.Rooms {
	if limit <= 0 || limit > protocol.MaxRooms {
		limit = protocol.MaxRooms
	}
	out := protocol.Rooms{Rooms: []protocol.Room{}, Mine: []protocol.Room{}}
	page := c.rooms.Public(after, limit+1)
	if len(page) > limit {
		page = page[:limit]
		out.Next = page[limit-1].Key
	}
	for _, r := range page {
		out.Rooms = append(out.Rooms, *c.info(r))
	}
	for _, id := range c.rooms.RoomsOf(s.reg) {
		if r, ok := c.rooms.Room(id); ok {
			out.Mine = append(out.Mine, *c.info(r))
		}
	}
	return out
}

// loadRooms fills the hub's index from the store, once, as the chat
// starts: after the log's feed is set, so a join logged meanwhile is
// applied twice rather than missed (adding is idempotent).
func (c *Chat) loadRooms() {
	ctx, cancel := context.WithTimeout(c.life, 10*time.Second)
	defer cancel()
	if err := c.rooms.Current(ctx); err != nil {
		c.cfg.Logger.Warn("chat: reading the rooms' members", "err", err)
	}
	c.rooms.Memberships(func(room string, m Member) { c.hub.addMember(room, m.Reg) })
}

// roomMessage checks that s may send to room id, and returns its record.
// A room s may not know of is not_found; a public one s is not in,
// forbidden.
func (c *Chat) roomMessage(s *Session, id string) (RoomRecord, error) {
	r, err := c.visibleRoom(context.Background(), s, id, false)
	if err != nil {
		return RoomRecord{}, err
	}
	if _, ok := c.member(context.Background(), id, s.reg); !ok {
		return RoomRecord{}, protocol.Errorf(protocol.CodeForbidden, "join the room %q before you send to it", r.Name)
	}
	return r, nil
}

// roomBudgets bound how often rooms are made: per person (registration)
// and per client address. A refusal by the address gives the person's
// token back.
type roomBudgets struct {
	person, addr budget
	mu           sync.Mutex // alone in the lock order
	people       map[RegID]*rate.Limiter
	addrs        map[string]*rate.Limiter
}

func newRoomBudgets(cfg *Config) *roomBudgets {
	return &roomBudgets{
		person: budget{cfg.RoomRate, cfg.RoomBurst}, addr: budget{cfg.AddrRoomRate, cfg.AddrRoomBurst},
		people: make(map[RegID]*rate.Limiter), addrs: make(map[string]*rate.Limiter),
	}
}

// roomBudgetsKept is how many limiters each map holds before the full
// ones are forgotten (a full limiter is as good as none).
const roomBudgetsKept = 4096

func (b *roomBudgets) take(reg RegID, addr string, now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := limiterOf(b.people, reg, b.person, now)
	r, err := reserve(p, now, "you made many rooms just now; wait a moment before making another")
	if err != nil {
		return err
	}
	if addr == "" {
		return nil
	}
	if err := take(limiterOf(b.addrs, addr, b.addr, now), now, "many rooms were made from your address just now; wait a moment"); err != nil {
		if r != nil {
			r.CancelAt(now)
		}
		return err
	}
	return nil
}

// limiterOf is k's limiter in m (made on b), nil when b is no budget.
func limiterOf[K comparable](m map[K]*rate.Limiter, k K, b budget, now time.Time) *rate.Limiter {
	if b.rate <= 0 {
		return nil
	}
	l := m[k]
	if l == nil {
		if len(m) >= roomBudgetsKept {
			for old, ol := range m {
				if full(ol, now) {
					delete(m, old)
				}
			}
		}
		l = b.limiter()
		m[k] = l
	}
	return l
}
