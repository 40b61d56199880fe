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

var typingTooOften = "typing is passed on at most once every " + protocol.TypingEvery.String() + " per person; say it again in a moment"

// deliverSignal queues a signal from any node for this node's streams.
func (c *Chat) deliverSignal(sig Signal) { c.fan.push(sig.entry()) }
