package client

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"hark/app/protocol"
)

// TypingEvery is the most often Typing tells the server, per
// conversation: a little over the server's protocol.TypingEvery, so
// notices spaced by it are never refused for coming early.
const TypingEvery = protocol.TypingEvery + 500*time.Millisecond

// Typist is someone typing now, as State.Typing lists them.
type Typist struct {
	// Name is who is typing, as the server shows it.
	Name string
	// Direct is set when they are typing to this session: in the direct
	// conversation with Name. Unset, they are typing to everyone, or in
	// Room.
	Direct bool
	// Room is the id of the room they are typing in, "" for none.
	Room string
	// Until is when the indicator lapses unless another typing event from
	// them comes first.
	Until time.Time
}

// TypingIn returns who is typing in the conversation with with: "" for
// everyone's conversation, else the direct one with that person (names
// compared as the server compares them). The names come in the order
// they started typing. Typing in a room is TypingInRoom's.
func (s State) TypingIn(with string) []string {
	var out []string
	key := protocol.NameKey(with)
	for _, t := range s.Typing {
		if t.Room == "" && t.Direct == (with != "") && (!t.Direct || protocol.NameKey(t.Name) == key) {
			out = append(out, t.Name)
		}
	}
	return out
}

// TypingInRoom returns who is typing in the room id, in the order they
// started.
func (s State) TypingInRoom(id string) []string {
	var out []string
	for _, t := range s.Typing {
		if id != "" && t.Room == id {
			out = append(out, t.Name)
		}
	}
	return out
}

// typingSender is a stream that can carry typing notices itself
// (WebSocket); others are told by POST /api/typing.
type typingSender interface {
	typing(ctx context.Context, t protocol.Typing) error
}

// Typing tells others that this person is typing: to everyone (to "") or
// to one person. Call it on every keystroke: it tells the server at most
// once per conversation every TypingEvery and returns nil at once
// otherwise. Over WebSocket the notice is a frame with no answer (a
// refusal comes back as an error frame, which is dropped: typing is a
// courtesy); over the other transports, or with no stream, it is
// POST /api/typing, and a refusal is returned as the server's
// *protocol.Error (no_such_user, rate_limited when notices for several
// conversations come within the server's 2 s per person, unauthorized).
// Without a session it returns ErrNoSession.
func (c *Client) Typing(ctx context.Context, to string) error {
	return c.sayTyping(ctx, conversationKey(to), protocol.Typing{To: to})
}

// TypingRoom is Typing in the room id, which this person is in: its
// members are told, at most once every TypingEvery for the room. A
// refusal over POST is not_found or forbidden as for a send to the room,
// or one of Typing's.
func (c *Client) TypingRoom(ctx context.Context, id string) error {
	return c.sayTyping(ctx, RoomKey(id), protocol.Typing{Room: id})
}

// sayTyping tells the server t unless the conversation key was told less
// than TypingEvery ago.
func (c *Client) sayTyping(ctx context.Context, key string, t protocol.Typing) error {
	c.mu.Lock()
	if c.tok == "" {
		c.mu.Unlock()
		return ErrNoSession
	}
	now := c.now()
	if last, ok := c.typedAt[key]; ok && now.Sub(last) < TypingEvery {
		c.mu.Unlock()
		return nil
	}
	for k, t := range c.typedAt { // keep only what still throttles
		if now.Sub(t) >= TypingEvery {
			delete(c.typedAt, k)
		}
	}
	c.typedAt[key] = now
	st := c.cur
	c.mu.Unlock()
	if ts, ok := st.(typingSender); ok {
		if err := ts.typing(ctx, t); err == nil {
			return nil
		}
		// The socket failed: say it by POST instead.
	}
	return c.do(ctx, http.MethodPost, "/api/typing", nil, t, nil)
}

// RoomKey is the key of the room id's conversation, among Typing's
// conversations and State.Read's, and what MarkRead takes for it: " #"
// and the id. A name key never starts with a space, so it is nobody's.
// The conversations (convo) key rooms with it too.
func RoomKey(id string) string { return roomMark + id }

const roomMark = " #"

// RoomOf is the id of the room whose conversation key is with, "" when
// with names no room.
func RoomOf(with string) string {
	if id, ok := strings.CutPrefix(with, roomMark); ok {
		return id
	}
	return ""
}

// conversationKey names a conversation: "" for everyone's, else the
// other person's name key (or the name as typed, if it is none).
func conversationKey(with string) string {
	if k := protocol.NameKey(with); k != "" {
		return k
	}
	return with
}

// The typing indicators of State, with c.mu held.

// typingEvent records that someone is typing: ev.To set means to this
// session, ev.Room in that room. One's own (a broadcast comes back to its
// sender) is ignored.
func (c *Client) typingEvent(ev protocol.Event) {
	if ev.From == "" || protocol.NameKey(ev.From) == c.nameKey {
		return
	}
	t := Typist{Name: ev.From, Direct: ev.To != "" && ev.Room == "", Room: ev.Room, Until: c.now().Add(c.typingLasts)}
	c.dropTypist(t.Name, func(o Typist) bool { return o.Direct == t.Direct && o.Room == t.Room })
	c.st.Typing = append(c.st.Typing, t)
	c.armTyping()
}

// dropTypist removes name's indicators in the conversations in says
// are theirs.
func (c *Client) dropTypist(name string, in func(Typist) bool) {
	key := protocol.NameKey(name)
	c.st.Typing = slices.DeleteFunc(c.st.Typing, func(t Typist) bool {
		return in(t) && (t.Name == name || protocol.NameKey(t.Name) == key)
	})
}

// typingDone clears indicators that an event ends: a message ends its
// sender's typing in its conversation (a room's in its room), leaving a
// room their typing there, a leave all of the person's.
func (c *Client) typingDone(ev protocol.Event) {
	if len(c.st.Typing) == 0 {
		return
	}
	switch ev.Type {
	case protocol.TypeMessage:
		direct := ev.To != ""
		c.dropTypist(ev.From, func(t Typist) bool { return t.Room == "" && t.Direct == direct })
	case protocol.TypeRoomMessage, protocol.TypeRoomLeave:
		c.dropTypist(ev.From, func(t Typist) bool { return t.Room == ev.Room })
	case protocol.TypeLeave:
		c.dropTypist(ev.From, func(Typist) bool { return true })
	}
	c.armTyping()
}

// armTyping sets the timer that clears the next indicator to lapse.
func (c *Client) armTyping() {
	if len(c.st.Typing) == 0 {
		if c.typingTimer != nil {
			c.typingTimer.Stop()
		}
		return
	}
	next := c.st.Typing[0].Until
	for _, t := range c.st.Typing[1:] {
		if t.Until.Before(next) {
			next = t.Until
		}
	}
	d := max(next.Sub(c.now()), 0)
	if c.typingTimer == nil {
		c.typingTimer = time.AfterFunc(d, c.lapseTyping)
		return
	}
	c.typingTimer.Reset(d)
}

// lapseTyping clears the indicators whose time is up and tells the owner.
func (c *Client) lapseTyping() {
	c.mu.Lock()
	now := c.now()
	n := len(c.st.Typing)
	c.st.Typing = slices.DeleteFunc(c.st.Typing, func(t Typist) bool { return !now.Before(t.Until) })
	changed := len(c.st.Typing) != n
	c.armTyping()
	c.mu.Unlock()
	if changed {
		c.changed()
	}
}
