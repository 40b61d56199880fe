package chat

import (
	"golang.org/x/time/rate"

	"hark/app/protocol"
)

// typingLimit is each registration's budget of typing events: one per
// protocol.TypingEvery, none saved up.
func typingLimit() *rate.Limiter { return rate.NewLimiter(rate.Every(protocol.TypingEvery), 1) }

// Typing tells others that s is typing: everyone when to is empty, else
// the person holding the name to (compared by its compare key). The event
// is never logged: it goes, live only, to every stream of every node (to
// everyone) or to the recipient's streams alone (a direct one; the
// sender's other streams have nothing to show for it). Above the presence
// threshold a typing to everyone is accepted and dropped, as it would
// reach too many; a direct one still goes.
//
// Refusals are *protocol.Error: unauthorized for a released session,
// no_such_user for a name not online, and rate_limited, with the seconds
// to wait, for more than one typing event per registration every
// protocol.TypingEvery (per node: a session's requests normally all reach
// one).
func (c *Chat) Typing(s *Session, to string) error {
	if !s.Live() {
		return errUnauthorized
	}
	if c.isClosed() {
		return errUnavailable
	}
	ev := protocol.Event{Type: protocol.TypeTyping, From: s.name.Display}
	sig := Signal{Kind: protocol.TypeTyping}
	if to != "" {
		h, ok := c.registry.Lookup(toKey(to))
		if !ok {
			return protocol.Errorf(protocol.CodeNoSuchUser, "%q is not online", to)
		}
		ev.To, sig.To = h.Display, h.Reg
	}
	if err := take(s.typing, c.cfg.Clock.Now(), typingTooOften); err != nil {
		return err
	}
	if sig.To == 0 && c.counts(c.registry.Count()) {
		return nil // too many online to tell everyone of every keystroke
	}
	sig.JSON = encodeEvent(&ev)
	return c.signals.Publish(sig)
}

// RoomTyping tells the members of room id that s is typing there: live
// only, never logged, to every member's streams on every node but s's
// own (see Hub.room). It goes whatever the presence threshold: a room's
// members are all it reaches.
//
// Refusals are *protocol.Error: unauthorized for a released session;
// not_found and forbidden as a send to the room gets them (a room s may
// not know of, a public one s is not in); rate_limited as for Typing,
// whose budget it shares.
func (c *Chat) RoomTyping(s *Session, id string) error {
	if !s.Live() {
		return errUnauthorized
	}
	if c.isClosed() {
		return errUnavailable
	}
	if _, err := c.roomMessage(s, id); err != nil {
		return err
	}
	if err := take(s.typing, c.cfg.Clock.Now(), typingTooOften); err != nil {
		return err
	}
	ev := protocol.Event{Type: protocol.TypeTyping, From: s.name.Display, Room: id}
	return c.signals.Publish(Signal{Kind: protocol.TypeTyping, Room: id, From: s.reg, JSON: encodeEvent(&ev)})
}

var typingTooOften = "typing is passed on at most once every " + protocol.TypingEvery.String() + " per person; say it again in a moment"

// deliverSignal queues a signal from any node for this node's streams.
func (c *Chat) deliverSignal(sig Signal) { c.fan.push(sig.entry()) }
