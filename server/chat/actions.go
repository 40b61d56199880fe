package chat

import (
	"context"
	"time"

	"hark/app/protocol"
)

// Act appends an action of s's on a message: a reaction added or taken
// back, an edit, a delete. The action goes where its message went: the
// same people may see it, in the same conversation, so a direct
// message's reactions stay between its two people. Edits and deletes are
// its author's alone (the registration that sent it, not a later holder
// of the name), edits within the edit window. A retry of an id returns
// the first seq, as a send's does. Refusals are *protocol.Error.
func (c *Chat) Act(ctx context.Context, s *Session, a protocol.Action) (uint64, error) {
	return c.act(ctx, s, a, false)
}

// Moderate is Act with the operator's powers (the admin credential): any
// message may be deleted, as its room's owner may delete any in the
// room.
func (c *Chat) Moderate(ctx context.Context, s *Session, a protocol.Action) (uint64, error) {
	return c.act(ctx, s, a, true)
}

func (c *Chat) act(ctx context.Context, s *Session, a protocol.Action, admin bool) (uint64, error) {
	if err := a.Validate(); err != nil {
		return 0, err
	}
	// A message someone saw on a faster node is looked for once this
	// node has it: waited for here, before the name's send lock.
	c.reach(ctx, a.Target, sendReadBack)
	var file string // the file of a message deleted
	seq, err := c.appendOnce(ctx, s, a.ID, func(now time.Time) (*Entry, error) {
		e, msg, err := c.action(s, a, now, admin)
		if err == nil && a.Type == protocol.TypeDelete {
			if f := msg.Event().File; f != nil {
				file = f.ID
			}
		}
		return e, err
	})
	if err == nil {
		// After the append, under no lock: the delete is in the log
		// whatever the file store does.
		c.dropFile(ctx, file)
	}
	return seq, err
}

// action is the entry of a from s (with the operator's powers: admin),
// not yet appended, and the message it acts on.
func (c *Chat) action(s *Session, a protocol.Action, now time.Time, admin bool) (*Entry, *Entry, error) {
	msg, err := c.target(s, a.Target, a.Type)
	if err != nil {
		return nil, nil, err
	}
	if a.Type != protocol.TypeReact && msg.from != s.reg && !(a.Type == protocol.TypeDelete && (admin || c.owns(s, msg))) {
		return nil, nil, protocol.Errorf(protocol.CodeForbidden, "only its author may %s a message", a.Type)
	}
	if a.Type == protocol.TypeEdit && c.cfg.EditWindow > 0 && now.Sub(time.UnixMilli(msg.at)) > c.cfg.EditWindow {
		return nil, nil, protocol.Errorf(protocol.CodeForbidden, "a message can be edited for %v after it is sent", c.cfg.EditWindow)
	}
	ev := protocol.Event{Type: a.Type, ID: a.ID, From: s.name.Display, Target: a.Target, Room: msg.room, Time: protocol.NewTime(now)}
	switch a.Type {
	case protocol.TypeReact:
		ev.Emoji, ev.On = a.Emoji, a.On
	case protocol.TypeEdit:
		ev.Text = a.Text
	}
	if msg.to != 0 {
		// To is the other person of the conversation, as the actor sees
		// it, so clients route the action where they route the message.
		m := msg.Event()
		ev.To = m.To
		if msg.to == s.reg {
			ev.To = m.From
		}
	}
	// Kept and seen as its message is: the same parties and keys.
	e := newEntry(ev, msg.from, msg.to)
	e.fromKey, e.toKey, e.room = msg.fromKey, msg.toKey, msg.room
	return e, msg, nil
}

// target is the message at seq that s means to act on (what says how),
// or a not_found refusal: one that is not kept, that s may not see, or
// that was deleted, all told alike so none of them tells of the others.
func (c *Chat) target(s *Session, seq uint64, what string) (*Entry, error) {
	msg, ok := c.log.Message(seq)
	if !ok || !c.sees(msg, s.reg) {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no message %d that you can see to %s", seq, what)
	}
	if msg.deleted {
		return nil, protocol.Errorf(protocol.CodeNotFound, "message %d was deleted", seq)
	}
	return msg, nil
}

// owns reports whether s owns the room the message msg is in.
func (c *Chat) owns(s *Session, msg *Entry) bool {
	if msg.room == "" {
		return false
	}
	r, ok := c.rooms.Room(msg.room)
	return ok && r.Owner == s.reg
}

// between reports whether the message is in the conversation of a and b,
// or of room: the room's when room is set, else everyone's when b is 0,
// else the direct messages of the two (a's notes to themselves when a is
// b).
func (e *Entry) between(a, b RegID, room string) bool {
	if room != "" || e.room != "" {
		return e.room == room
	}
	if b == 0 {
		return e.to == 0
	}
	return e.to != 0 && (e.from == a && e.to == b || e.from == b && e.to == a)
}
