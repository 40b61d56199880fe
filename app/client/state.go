package client

import (
	"slices"
	"sort"
	"time"

	"hark/app/protocol"
)

// ConnState is where the connection stands.
type ConnState string

// Connection states.
const (
	// Connecting: Run started and the first stream is opening.
	Connecting ConnState = "connecting"
	// Connected: a stream is open and delivering.
	Connected ConnState = "connected"
	// Reconnecting: the stream ended; the next attempt is at State.RetryAt.
	Reconnecting ConnState = "reconnecting"
	// Offline: the last attempt could not reach the server at all; the
	// next one is at State.RetryAt. Sends wait in the outbox.
	Offline ConnState = "offline"
	// Stopped: Run is not running (not started, left, or the session
	// expired, in which case State.LastError says so).
	Stopped ConnState = "stopped"
)

// ItemStatus is the delivery state of one's own message.
type ItemStatus string

// Statuses of own messages; others' events have "".
const (
	Pending ItemStatus = "pending"
	Sent    ItemStatus = "sent"
	Failed  ItemStatus = "failed"
)

// State is a snapshot of the client for rendering. It is a copy: holding
// it or changing it does not touch the Client.
type State struct {
	Name      string
	Chosen    Transport // what the picker says (may be Auto)
	Active    Transport // transport in use now ("" when none)
	Conn      ConnState
	RetryAt   time.Time // when reconnecting or offline: the next attempt
	Online    int
	Users     []string // roster, in the server's order (nil in counts mode)
	Counts    bool     // true above the presence threshold (roster not kept)
	Epoch     string
	Seq       uint64          // last seq seen
	Messages  []Item          // oldest first: messages, joins, leaves, own pending ones
	LastError *protocol.Error // last refusal (of a send, or of the session), for display
	// Typing lists who is typing now, oldest first, one entry per person
	// and conversation (see TypingIn, and TypingInRoom for a room's). An
	// entry lapses protocol.TypingLasts after the last typing event (State
	// changes then, and OnChange is called), or when that person's
	// message in that conversation, their leaving its room, or their
	// leave, arrives. One's own typing is never listed.
	Typing []Typist
	// Read is how far this person has read each conversation, as the
	// server keeps it for all their devices (GET /api/read after each
	// hello, then read events), by conversation: "" for everyone's,
	// RoomKey(id) for the room id's, else the other person's name key
	// (protocol.NameKey). Positions only move
	// forward. The map is shared between snapshots: do not change it.
	Read map[string]protocol.ReadMark
}

// Item is one line of the conversation.
type Item struct {
	// Event is the event; for a pending message it is Type message with no
	// Seq and ID set to the client id.
	Event  protocol.Event
	Own    bool
	Status ItemStatus // "" for others' events
	Error  string     // the refusal's message when Failed
	// Reactions and Edited are what actions made of a message, as a
	// conversation shows it (app/convo sets them; a deleted message is
	// Event.Deleted, without its text).
	Reactions []Reaction `json:",omitempty"`
	Edited    bool       `json:",omitempty"`
	// Quote is the message a reply answers, as the conversation holds it
	// (nil when it does not: not loaded yet, or no longer kept).
	Quote *Quote `json:",omitempty"`
}

// Quote is what a reply shows of the message it answers.
type Quote struct {
	From    string
	Text    string // its first line, shortened
	Deleted bool
}

// Reaction is one emoji on a message and who reacted with it, in the
// order they did.
type Reaction struct {
	Emoji string
	Names []string
}

// copyState returns a deep copy of s, so callers never share slices with
// the Client.
func copyState(s *State) State {
	out := *s
	out.Users = slices.Clone(s.Users)
	// Items hold only immutable pointers (Time), so a shallow clone is a
	// copy (Reactions and Quote are app/convo's, set on its own copies).
	out.Messages = slices.Clone(s.Messages)
	out.Typing = slices.Clone(s.Typing)
	if s.LastError != nil {
		e := *s.LastError
		out.LastError = &e
	}
	return out
}

// The message list keeps sequenced items sorted by seq, followed by own
// items that have no seq yet (pending or failed), in the order written.
// All of the following run with c.mu held.

// tail is the index of the first item without a seq.
func (c *Client) tail() int {
	m := c.st.Messages
	i := len(m)
	for i > 0 && m[i-1].Event.Seq == 0 {
		i--
	}
	return i
}

// place puts a sequenced item in seq order. An item whose seq is already
// listed is dropped: that is the dedupe of history against the stream.
func (c *Client) place(it Item) {
	if c.keep < 0 {
		return
	}
	t := c.tail()
	m := c.st.Messages
	i := sort.Search(t, func(i int) bool { return m[i].Event.Seq >= it.Event.Seq })
	if i < t && m[i].Event.Seq == it.Event.Seq {
		return
	}
	c.st.Messages = slices.Insert(m, i, it)
	c.trim()
}

// appendUnsent adds an own item that has no seq yet.
func (c *Client) appendUnsent(it Item) {
	if c.keep < 0 {
		return
	}
	c.st.Messages = append(c.st.Messages, it)
	c.trim()
}

// trim keeps the list within KeepMessages, dropping the oldest sequenced
// items; unsent own items are never dropped, as they are still news.
func (c *Client) trim() {
	m := c.st.Messages
	drop := 0
	for len(m)-drop > c.keep && drop < len(m) && m[drop].Event.Seq != 0 {
		drop++
	}
	if drop > 0 {
		clear(m[:drop])
		c.st.Messages = m[drop:]
	}
}

// findOwn returns the index of the own item with client id, or -1.
func (c *Client) findOwn(id string) int {
	m := c.st.Messages
	for i := len(m) - 1; i >= 0; i-- {
		if m[i].Own && m[i].Event.ID == id {
			return i
		}
	}
	return -1
}

// settle records that the own message id is in the log at seq: its item
// takes seq (and the server's event, if ev is set) and moves into order.
func (c *Client) settle(id string, seq uint64, ev *protocol.Event) {
	c.dropOutbox(id)
	i := c.findOwn(id)
	if i < 0 {
		if ev != nil {
			c.place(Item{Event: *ev, Own: true, Status: Sent})
		}
		return
	}
	it := c.st.Messages[i]
	c.st.Messages = slices.Delete(c.st.Messages, i, i+1)
	if ev != nil {
		it.Event = *ev
	}
	it.Event.Seq = seq
	it.Status, it.Error = Sent, ""
	c.place(it)
}

// dropSequenced removes every sequenced item, for an epoch change, after
// which old seqs mean nothing.
func (c *Client) dropSequenced() {
	t := c.tail()
	clear(c.st.Messages[:t])
	c.st.Messages = slices.Delete(c.st.Messages, 0, t)
}

// Roster upkeep, with c.mu held.

func (c *Client) rosterAdd(name string) {
	if c.st.Counts || slices.Contains(c.st.Users, name) {
		return
	}
	// The server lists names in compare-key order; keep it.
	k := protocol.NameKey(name)
	i := sort.Search(len(c.st.Users), func(i int) bool { return protocol.NameKey(c.st.Users[i]) >= k })
	c.st.Users = slices.Insert(c.st.Users, i, name)
	c.st.Online = len(c.st.Users)
}

func (c *Client) rosterRemove(name string) {
	if c.st.Counts {
		return
	}
	if i := slices.Index(c.st.Users, name); i >= 0 {
		c.st.Users = slices.Delete(c.st.Users, i, i+1)
	}
	c.st.Online = len(c.st.Users)
}
