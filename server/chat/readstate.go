package chat

import (
	"context"
	"sync"
	"time"

	"hark/app/protocol"
)

// ReadState keeps how far each person (registration) has read each of
// its conversations, where every node finds it, so that what one device
// reads is read on all. A conversation is named by its key: "" for
// Everyone's, RoomReadKey(id) for a room's, else the compare key of the other person's name, as
// history's with= names it (a direct conversation is the registration's
// messages with whoever held that name). Positions only move forward.
type ReadState interface {
	// Mark moves reg's position in the conversation conv forward to
	// m.Seq, keeping m (the conversation as the wire names it, and the
	// seq). It returns the position kept after the call, and whether this
	// call moved it: a seq at or below the one kept changes nothing. Of
	// marks racing on any nodes, the highest is kept.
	Mark(ctx context.Context, reg RegID, conv string, m protocol.ReadMark) (kept protocol.ReadMark, moved bool, err error)
	// Positions returns every position of reg, in no particular order,
	// as the store holds them now (a mark acknowledged on any node is in
	// it).
	Positions(ctx context.Context, reg RegID) ([]protocol.ReadMark, error)
	// Forget drops every position of reg: its person is gone, and a
	// later holder of the name is another registration.
	Forget(ctx context.Context, reg RegID) error
}

// MemoryReadState is ReadState held in this process.
type MemoryReadState struct {
	mu  sync.Mutex
	pos map[RegID]map[string]protocol.ReadMark
}

// NewMemoryReadState returns a ReadState with no positions.
func NewMemoryReadState() *MemoryReadState {
	return &MemoryReadState{pos: make(map[RegID]map[string]protocol.ReadMark)}
}

// Mark implements ReadState.
func (m *MemoryReadState) Mark(_ context.Context, reg RegID, conv string, mark protocol.ReadMark) (protocol.ReadMark, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mine := m.pos[reg]
	if old, ok := mine[conv]; ok && old.Seq >= mark.Seq {
		return old, false, nil
	}
	if mine == nil {
		mine = make(map[string]protocol.ReadMark)
		m.pos[reg] = mine
	}
	mine[conv] = mark
	return mark, true, nil
}

// Positions implements ReadState.
func (m *MemoryReadState) Positions(_ context.Context, reg RegID) ([]protocol.ReadMark, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]protocol.ReadMark, 0, len(m.pos[reg]))
	for _, p := range m.pos[reg] {
		out = append(out, p)
	}
	return out, nil
}

// Forget implements ReadState.
func (m *MemoryReadState) Forget(_ context.Context, reg RegID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pos, reg)
	return nil
}

// ReadKey is the key of the conversation a mark names: "" for
// Everyone's, RoomReadKey(m.Room) for a room's, else the compare key of
// With.
func ReadKey(m protocol.ReadMark) string {
	switch {
	case m.Everyone:
		return ""
	case m.Room != "":
		return RoomReadKey(m.Room)
	}
	return toKey(m.With)
}

// RoomReadKey is the key of the room id's conversation among a person's
// read positions: " #" and the id. A name's compare key never starts with
// a space (the name rules trim it), so no room's key is a person's,
// whatever the person is called ("#go" is a valid name). Clients key
// rooms the same way (convo.RoomKey).
func RoomReadKey(id string) string { return " #" + id }

// markBudget is each session's budget of read marks: a client sends at
// most one per conversation every protocol.ReadEvery, so this leaves room
// for a person going through several conversations quickly. It is not
// taken from the address's budget of reads: a busy room seen by many
// people behind one address would then starve their history.
var markBudget = budget{rate: 4, burst: 12}

// MarkRead records that s's person has read the conversation m names up
// to m.Seq, and tells every device of the person (every stream of its
// registration, on every node) with a read event, never logged. The
// position kept is the seq of the conversation's newest message s may
// see at or before m.Seq, so a seq past the conversation's end marks its
// end, no further. A mark at or below the one kept changes nothing and
// tells no one.
//
// A room's mark is its member's only, refused as a send to the room is
// otherwise (not_found for a room s may not know of, forbidden for a
// public room s is not in), and the position kept is the newest entry of
// the room s may see, as its history shows it.
//
// Refusals are *protocol.Error: bad_request for a mark that names no
// conversation, more than one, or no seq; unauthorized for a released
// session; not_found for a conversation in which s's person has no
// message kept at or before m.Seq; rate_limited past the session's budget
// of marks.
func (c *Chat) MarkRead(ctx context.Context, s *Session, m protocol.ReadMark) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if c.isClosed() {
		return errUnavailable
	}
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return errUnauthorized
	}
	if s.marks == nil {
		s.marks = markBudget.limiter()
	}
	err := take(s.marks, c.cfg.Clock.Now(), "too many read marks; a client sends one per conversation every half second at most")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	// A mark made on a faster node's copy: wait, briefly, for this one's.
	c.reach(ctx, m.Seq, sendReadBack)
	key := ReadKey(m)
	var conv Conversation
	switch {
	case m.Room != "":
		// The refusal a send to the room gets.
		if _, err := c.roomMessage(s, m.Room); err != nil {
			return err
		}
		conv.Room = m.Room
	case m.Everyone:
		conv.Everyone = true
	default:
		conv = Conversation{Reg: s.reg, Peer: key}
	}
	var at *Entry
	c.log.Messages(m.Seq+1, conv, func(e *Entry) bool {
		if c.sees(e, s.reg) {
			at = e
			return false
		}
		return true
	})
	if at == nil {
		return protocol.Errorf(protocol.CodeNotFound, "no message of that conversation is kept at or before %d", m.Seq)
	}
	pos := protocol.ReadMark{Everyone: m.Everyone, Room: m.Room, Seq: at.seq}
	if m.With != "" {
		// The other person's name as the server shows it.
		ev := at.Event()
		if pos.With = ev.From; toKey(ev.From) == s.name.Key {
			pos.With = ev.To
		}
	}
	kept, moved, err := c.reads.Mark(ctx, s.reg, key, pos)
	if err != nil {
		c.cfg.Logger.Warn("chat: keeping a read position", "name", s.name.Display, "err", err)
		return errStoreDown
	}
	if !moved {
		return nil
	}
	ev := protocol.Event{Type: protocol.TypeRead, With: kept.With, Everyone: kept.Everyone, Room: kept.Room, Seq: kept.Seq}
	return c.signals.Publish(Signal{Kind: protocol.TypeRead, To: s.reg, JSON: encodeEvent(&ev)})
}

// ReadPositions returns the read positions of s's person, one per
// conversation marked: what a device that was not listening missed. It
// is a read of s's budget (rate_limited beyond it).
func (c *Chat) ReadPositions(ctx context.Context, s *Session) ([]protocol.ReadMark, error) {
	if !s.Live() {
		return nil, errUnauthorized
	}
	if c.isClosed() {
		return nil, errUnavailable
	}
	if err := c.Read(s); err != nil {
		return nil, err
	}
	out, err := c.reads.Positions(ctx, s.reg)
	if err != nil {
		c.cfg.Logger.Warn("chat: reading read positions", "name", s.name.Display, "err", err)
		return nil, errStoreDown
	}
	return out, nil
}

// forgetReads drops the read positions of registration reg, whose name
// was just freed: nobody reads as it again. A store that does not answer
// leaves them behind; a shared store forgets them at its own bound (see
// natsstore's ReadBucket).
func (c *Chat) forgetReads(ctx context.Context, reg RegID) {
	ctx, cancel := context.WithTimeout(ctx, forgetReadsWait)
	defer cancel()
	if err := c.reads.Forget(ctx, reg); err != nil {
		c.cfg.Logger.Warn("chat: forgetting the read positions of a freed name", "err", err)
	}
}

// forgetReadsWait bounds how long freeing a name waits to drop its read
// positions.
const forgetReadsWait = 2 * time.Second
