package convo

import (
	"slices"
	"strconv"

	"hark/app/client"
	"hark/app/protocol"
)

// Model is one person's conversations. It is not safe for concurrent use:
// the UI calls it from its own goroutine only.
type Model struct {
	me, meKey string
	epoch     string
	everyone  *Conversation
	direct    map[string]*Conversation // by the other person's name key, or RoomKey
	// active is the key of the conversation in view; hidden is set while
	// the page is not visible (another tab, minimised).
	active string
	hidden bool
	// seen holds every seq merged, so the client's window, which repeats
	// the same recent items on every change, costs a map look-up each.
	seen map[uint64]struct{}
	// keys caches name keys: computing one is a PRECIS pass.
	keys map[string]string
	// reads are the server's read positions (client.State.Read), by
	// conversation key, kept for conversations not made yet.
	reads map[string]uint64
}

// New returns the conversations of the person named me, with Everyone's
// open.
func New(me string) *Model {
	return &Model{
		me:       me,
		meKey:    protocol.NameKey(me),
		everyone: &Conversation{More: true},
		direct:   make(map[string]*Conversation),
		seen:     make(map[uint64]struct{}),
		keys:     make(map[string]string),
		reads:    make(map[string]uint64),
	}
}

// Me is the name the model was made for.
func (m *Model) Me() string { return m.me }

// MeKey is the name key of Me, for comparing names with it.
func (m *Model) MeKey() string { return m.meKey }

// key is the name key of name, cached.
func (m *Model) key(name string) string {
	k, ok := m.keys[name]
	if !ok && IsRoomKey(name) {
		return name
	}
	if !ok {
		k = protocol.NameKey(name)
		if k == "" {
			k = name // not a name the server would send; keep it apart
		}
		m.keys[name] = k
	}
	return k
}

// Route names the conversation an event belongs to: "" for Everyone's
// (broadcasts, joins, leaves), RoomKey of a room's message (or action),
// else the other party of a direct message (oneself for a note to
// oneself).
func (m *Model) Route(ev protocol.Event) (with string) {
	if ev.InRoom() {
		return RoomKey(ev.Room)
	}
	if !ev.Direct() {
		return ""
	}
	if m.key(ev.From) == m.meKey {
		return ev.To
	}
	return ev.From
}

// Get returns the conversation with with ("" for Everyone), or nil.
func (m *Model) Get(with string) *Conversation {
	if with == "" {
		return m.everyone
	}
	return m.direct[m.key(with)]
}

// conversation returns the conversation with with, made if missing. A
// name the other person used themselves (a message from them) replaces
// the one it was first known by, as the server shows names.
func (m *Model) conversation(with string, theirs bool) *Conversation {
	if with == "" {
		return m.everyone
	}
	k := m.key(with)
	c := m.direct[k]
	if c == nil {
		c = &Conversation{With: with, Key: k, More: true, Read: m.reads[k]}
		if IsRoomKey(with) {
			// Its name comes with the room's events (or SetRooms).
			c.Room = &protocol.Room{ID: client.RoomOf(with)}
		}
		m.direct[k] = c
	} else if theirs && c.With != with {
		c.With = with
		c.Version++
	}
	return c
}

// Sync merges the client's state: its short window of recent items
// (history, live events, one's own messages as they are written, sent or
// refused). It reports whether any conversation changed. Items seen
// before cost a map look-up each, so calling it on every change is cheap
// however long the conversations are.
func (m *Model) Sync(s client.State) bool {
	changed := false
	if s.Epoch != "" && s.Epoch != m.epoch {
		if m.epoch != "" {
			// A new log: our seqs mean nothing in it.
			for _, c := range m.all() {
				c.dropSequenced()
			}
			clear(m.seen)
			clear(m.reads)
			changed = true
		}
		m.epoch = s.Epoch
	}
	for key, r := range s.Read {
		changed = m.setRead(key, r.Seq) || changed
	}
	unsent := make(map[string]bool)
	for _, it := range s.Messages {
		ev := it.Event
		if ev.Seq == 0 {
			if ev.Type != protocol.TypeMessage && ev.Type != protocol.TypeRoomMessage {
				continue
			}
			unsent[ev.ID] = true
			changed = m.conversation(m.Route(ev), false).putUnsent(it) || changed
			continue
		}
		if _, ok := m.seen[ev.Seq]; ok {
			continue
		}
		changed = m.put(it) || changed
	}
	// One's own messages that left the client's unsent tail were sent
	// (their sequenced version was merged above) or are gone.
	for _, c := range m.all() {
		for _, u := range c.unsent {
			if !unsent[u.Event.ID] {
				changed = c.dropUnsent(u.Event.ID) || changed
			}
		}
	}
	// What came into the conversation in view was seen.
	return m.markRead() || changed
}

// put merges one sequenced item and reports whether it was new.
func (m *Model) put(it client.Item) bool {
	m.seen[it.Event.Seq] = struct{}{}
	if isRoomEvent(&it.Event) {
		return m.roomEvent(it.Event)
	}
	with := m.Route(it.Event)
	if it.Event.IsAction() {
		// An action belongs to its message's conversation; one that is
		// not here yet gets it, and its actions, with its history.
		if c := m.Get(with); c != nil {
			return c.act(it.Event)
		}
		return false
	}
	theirs := with != "" && m.key(it.Event.From) != m.meKey
	c := m.conversation(with, theirs)
	if !c.place(it) {
		return false
	}
	c.recount(m.theirs)
	return true
}

// Older merges a scrollback page of the conversation with with ("" for
// Everyone), as GET /api/history answered it: each message once, however
// the page overlaps what is held. A page that reaches the start of what
// the server keeps clears More. Own messages are marked as such.
func (m *Model) Older(with string, h protocol.History) {
	c := m.conversation(with, false)
	for _, ev := range h.Events {
		if !ev.Sequenced() || m.key(m.Route(ev)) != c.Key {
			continue // not this conversation's (a server that ignored a filter)
		}
		own := m.key(ev.From) == m.meKey
		it := client.Item{Event: ev, Own: own}
		if own {
			it.Status = client.Sent
		}
		if _, ok := m.seen[ev.Seq]; !ok {
			m.put(it)
		}
	}
	if !h.More && c.More {
		c.More = false
		c.Version++
	}
}

// Arrived counts a live event (one the stream delivered, not history) as
// unread when its conversation is not in view, and returns the
// conversation it belongs to. Others' messages count; one's own, joins and
// leaves do not. One in view is read.
func (m *Model) Arrived(ev protocol.Event) *Conversation {
	with := m.Route(ev)
	theirs := m.theirs(&ev)
	c := m.conversation(with, theirs && with != "")
	if !m.hidden && c.Key == m.active {
		if ev.Seq > c.Read {
			c.Read = ev.Seq
			c.recount(m.theirs)
		}
		return c
	}
	// With a read position, merging the message counts it (see put); one
	// not merged yet is counted here, as without one.
	if _, merged := m.seen[ev.Seq]; theirs && (c.Read == 0 || !merged) {
		c.Unread++
		c.Version++
	}
	return c
}

// setRead applies the server's read position seq of the conversation key
// ("" for Everyone's): one of this person's devices read it up to seq. It
// reports whether anything shown changed.
func (m *Model) setRead(key string, seq uint64) bool {
	if seq <= m.reads[key] {
		return false
	}
	m.reads[key] = seq
	c := m.everyone
	if key != "" {
		if c = m.direct[key]; c == nil {
			return false // made with it when its first message comes
		}
	}
	if seq <= c.Read {
		return false
	}
	c.Read = seq
	c.recount(m.theirs)
	c.Version++
	return true
}

// Open puts the conversation with with ("" for Everyone) in view, making
// it if needed (a name clicked in the roster), notes where its unread
// messages start (NewFrom), and marks it read.
func (m *Model) Open(with string) *Conversation {
	c := m.conversation(with, false)
	m.active = c.Key
	if from := c.firstOfLast(c.Unread, m.theirs); from != c.NewFrom {
		c.NewFrom = from
		c.Version++
	}
	m.markRead()
	return c
}

// theirs reports whether ev is a message someone else wrote: what counts
// as unread.
func (m *Model) theirs(ev *protocol.Event) bool {
	return (ev.Type == protocol.TypeMessage || ev.Type == protocol.TypeRoomMessage) && m.key(ev.From) != m.meKey
}

// Active returns the conversation in view.
func (m *Model) Active() *Conversation {
	if c := m.direct[m.active]; c != nil {
		return c
	}
	return m.everyone
}

// SetHidden notes whether the page is hidden; coming back marks the
// conversation in view read.
func (m *Model) SetHidden(hidden bool) {
	m.hidden = hidden
	if !hidden {
		m.markRead()
	}
}

// Hidden reports whether the page is hidden, as last set.
func (m *Model) Hidden() bool { return m.hidden }

// markRead reads the conversation in view, while the page is visible, up
// to its newest message (not a join or leave after it: the server keeps
// positions at messages), and reports whether that changed anything.
func (m *Model) markRead() bool {
	c := m.Active()
	if m.hidden {
		return false
	}
	changed := false
	if n := c.newestMessage(); n > c.Read {
		c.Read = n
		changed = true
	}
	if c.Unread != 0 {
		c.Unread = 0
		changed = true
	}
	if changed {
		c.Version++
	}
	return changed
}

// List returns Everyone's conversation, then the direct ones, the most
// recent first (by their newest message; ties by name).
func (m *Model) List() []*Conversation {
	out := make([]*Conversation, 0, len(m.direct)+1)
	out = append(out, m.everyone)
	for _, c := range m.direct {
		out = append(out, c)
	}
	slices.SortFunc(out[1:], func(a, b *Conversation) int {
		if c := b.Last.Compare(a.Last); c != 0 {
			return c
		}
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
	return out
}

// all returns every conversation, in no particular order.
func (m *Model) all() []*Conversation {
	out := make([]*Conversation, 0, len(m.direct)+1)
	out = append(out, m.everyone)
	for _, c := range m.direct {
		out = append(out, c)
	}
	return out
}

// Unread is the total of unread messages.
func (m *Model) Unread() int {
	n := 0
	for _, c := range m.all() {
		n += c.Unread
	}
	return n
}

// Title is the page title for a number of unread messages: "(3) Hark",
// or "Hark" when there are none.
func Title(unread int) string {
	if unread <= 0 {
		return "Hark"
	}
	return "(" + strconv.Itoa(unread) + ") Hark"
}
