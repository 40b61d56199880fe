package client

import (
	"context"
	"slices"
	"strconv"

	"hark/app/protocol"
)

// pumpState is one stream and what it has said so far.
type pumpState struct {
	st    stream
	t     Transport
	live  bool   // goLive was called
	head  uint64 // the hello's seq: where the stream goes live after a reset
	reset bool   // a reset was applied on this stream
}

// pump applies first and then every event of the stream until it ends.
func (c *Client) pump(ctx context.Context, ps *pumpState, first protocol.Event) error {
	ev := first
	for {
		if err := c.handle(ctx, ps, ev); err != nil {
			return err
		}
		if !ps.live { // the first event was not a hello
			c.goLive(ps)
		}
		var err error
		if ev, err = ps.st.next(ctx); err != nil {
			return err
		}
	}
}

// handle applies one event to the state.
func (c *Client) handle(ctx context.Context, ps *pumpState, ev protocol.Event) error {
	switch ev.Type {
	case protocol.TypeHello:
		c.mu.Lock()
		// A hello starts a server-side stream (polling makes several), so
		// a reset after it is new.
		ps.head, ps.reset = ev.Seq, false
		if ev.Name != "" {
			c.st.Name = ev.Name
		}
		c.st.Online = ev.Online
		// A hello without users is the server's counts mode.
		c.st.Users, c.st.Counts = slices.Clone(ev.Users), ev.Users == nil
		stale := c.st.Epoch != "" && ev.Epoch != "" && ev.Epoch != c.st.Epoch
		if ev.Epoch != "" {
			c.st.Epoch = ev.Epoch
			c.store.Set(keyEpoch, ev.Epoch)
		}
		if stale {
			// The log we knew is gone; our seq means nothing in this one.
			c.resetLocked(ps, true)
		}
		c.mu.Unlock()
		c.changed()
		if !ps.live && ps.st != nil {
			c.goLive(ps)
		}
		if err := c.history(ctx); err != nil {
			return err
		}
		return c.readPositions(ctx)

	case protocol.TypeRead:
		c.readEvent(ev)

	case protocol.TypeReset:
		c.mu.Lock()
		if !ps.reset {
			c.resetLocked(ps, false)
		}
		c.mu.Unlock()
		c.changed()
		return c.history(ctx)

	case protocol.TypePresence:
		c.mu.Lock()
		c.st.Online = ev.Online
		if ev.Users != nil {
			// Back below the threshold: the roster comes with the count.
			c.st.Users, c.st.Counts = slices.Clone(ev.Users), false
			c.st.Online = len(ev.Users)
		} else {
			// A count alone means the threshold was crossed: joins and
			// leaves stop, so a roster kept from before would go stale.
			c.st.Users, c.st.Counts = nil, true
		}
		c.mu.Unlock()
		c.changed()

	case protocol.TypeTyping:
		c.mu.Lock()
		c.typingEvent(ev)
		c.mu.Unlock()
		c.changed()

	case protocol.TypeMessage, protocol.TypeJoin, protocol.TypeLeave, protocol.TypeReact, protocol.TypeEdit, protocol.TypeDelete,
		protocol.TypeRoomMessage, protocol.TypeRoom, protocol.TypeRoomJoin, protocol.TypeRoomLeave:
		c.mu.Lock()
		if ev.Seq <= c.st.Seq {
			c.mu.Unlock() // seen before: a replay overlapping what we have
			return nil
		}
		c.st.Seq = ev.Seq
		c.store.Set(keySeq, strconv.FormatUint(ev.Seq, 10))
		switch ev.Type {
		case protocol.TypeJoin:
			c.rosterAdd(ev.From)
		case protocol.TypeLeave:
			c.rosterRemove(ev.From)
		}
		c.typingDone(ev)
		c.list(ev)
		c.mu.Unlock()
		if c.opts.OnEvent != nil {
			c.opts.OnEvent(ev)
		}
		c.changed()
	}
	// Other types (ack and error belong to the WebSocket; anything newer
	// is for newer clients) are ignored.
	return nil
}

// resetLocked starts over from the stream's head after a reset, with c.mu
// held: the server goes on live from there. After an epoch change the old
// items are dropped, as their seqs would collide with the new log's.
func (c *Client) resetLocked(ps *pumpState, epochChanged bool) {
	ps.reset = true
	c.st.Seq = ps.head
	c.store.Set(keySeq, strconv.FormatUint(ps.head, 10))
	if epochChanged {
		c.st.Read = nil // positions in the old log
		c.dropSequenced()
	}
	c.needHistory = true
}

// history loads the last messages if the list needs them. Only a refused
// session stops the stream: history is for display, and a failed load is
// tried again on the next connection.
func (c *Client) history(ctx context.Context) error {
	c.mu.Lock()
	need := c.needHistory
	c.mu.Unlock()
	if !need {
		return nil
	}
	if err := c.loadHistory(ctx); tokenRefused(err) {
		return err
	}
	return nil
}

// list adds a sequenced event to the message list, with c.mu held. One's
// own message settles its pending item (matched by client id), so it is
// shown once.
func (c *Client) list(ev protocol.Event) {
	if (ev.Type == protocol.TypeMessage || ev.Type == protocol.TypeRoomMessage) && c.isOwn(ev) {
		if ev.ID != "" {
			c.settle(ev.ID, ev.Seq, &ev)
			return
		}
		c.place(Item{Event: ev, Own: true, Status: Sent})
		return
	}
	c.place(Item{Event: ev})
}

// isOwn reports whether a message was sent by this person. The name is
// compared as shown; a message whose id is in the outbox is compared by
// name key, as it may come from an earlier session of the same name.
func (c *Client) isOwn(ev protocol.Event) bool {
	if ev.From == c.st.Name {
		return true
	}
	if ev.ID == "" || (c.findOwn(ev.ID) < 0 && !c.inOutbox(ev.ID)) {
		return false
	}
	return protocol.NameKey(ev.From) == c.nameKey
}
