package client

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"hark/app/protocol"
)

// ReadEvery is the most often MarkRead tells the server, per
// conversation (protocol.ReadEvery).
const ReadEvery = protocol.ReadEvery

// marker is what MarkRead knows of one conversation, with c.mu held.
type marker struct {
	with  string      // the conversation as the caller named it
	want  uint64      // the highest position asked for
	sent  uint64      // the highest position sent (or being sent)
	last  time.Time   // when the last mark went out
	timer *time.Timer // a mark waiting for ReadEvery to pass, nil if none
}

// MarkRead tells the server (POST /api/read) that this person has read
// the conversation with with ("" for everyone's, RoomKey(id) for the
// room id's) up to seq, so their
// other devices clear its unread count. Call it whenever the person sees
// a conversation: it sends only a position past every one sent or heard
// of (State.Read), and at most one mark per conversation every
// ReadEvery; a mark asked for sooner goes out when that time has passed,
// carrying the newest position asked for by then, and MarkRead returns
// nil at once. A mark sent now is answered within ctx: the server's
// refusal is its *protocol.Error. Without a session it returns
// ErrNoSession.
func (c *Client) MarkRead(ctx context.Context, with string, seq uint64) error {
	key := with
	if RoomOf(with) == "" {
		key = conversationKey(with)
	}
	c.mu.Lock()
	if c.tok == "" {
		c.mu.Unlock()
		return ErrNoSession
	}
	m := c.markers[key]
	if m == nil {
		m = &marker{}
		c.markers[key] = m
	}
	if seq <= m.want || seq <= c.st.Read[key].Seq {
		c.mu.Unlock()
		return nil
	}
	m.with, m.want = with, seq
	if m.timer != nil {
		c.mu.Unlock()
		return nil // the mark waiting carries this position
	}
	if wait := m.last.Add(ReadEvery).Sub(c.now()); wait > 0 {
		m.timer = time.AfterFunc(wait, func() { c.markLater(key) })
		c.mu.Unlock()
		return nil
	}
	before := m.sent
	m.sent, m.last = seq, c.now()
	c.mu.Unlock()
	return c.postMark(ctx, key, with, seq, before)
}

// markLater sends the mark that waited for ReadEvery to pass.
func (c *Client) markLater(key string) {
	c.mu.Lock()
	m := c.markers[key]
	if m == nil || m.timer == nil { // the session ended meanwhile
		c.mu.Unlock()
		return
	}
	m.timer = nil
	if m.want <= m.sent || m.want <= c.st.Read[key].Seq {
		c.mu.Unlock()
		return
	}
	with, seq, before := m.with, m.want, m.sent
	m.sent, m.last = seq, c.now()
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	// A refusal here has nobody to go to; the next MarkRead of this
	// conversation tries again.
	c.postMark(ctx, key, with, seq, before)
}

// postMark sends the mark; if it fails, the position counts as not sent,
// so that asking again sends it.
func (c *Client) postMark(ctx context.Context, key, with string, seq, before uint64) error {
	mark := protocol.ReadMark{With: with, Everyone: with == "", Seq: seq}
	if id := RoomOf(with); id != "" {
		mark = protocol.ReadMark{Room: id, Seq: seq}
	}
	err := c.do(ctx, http.MethodPost, "/api/read", nil, mark, nil)
	if err != nil {
		c.mu.Lock()
		if m := c.markers[key]; m != nil && m.sent == seq {
			m.sent, m.want = before, before
		}
		c.mu.Unlock()
	}
	return err
}

// readPositions loads every read position the server keeps for this
// person (GET /api/read), as a stream's hello asks: a device that was not
// listening learns what the others read meanwhile. Only a refused
// session is an error: positions are for display.
func (c *Client) readPositions(ctx context.Context) error {
	var got protocol.ReadMarks
	err := c.do(ctx, http.MethodGet, "/api/read", nil, nil, &got)
	if err != nil {
		if tokenRefused(err) {
			return err
		}
		return nil
	}
	c.mu.Lock()
	moved := false
	for _, m := range got.Read {
		moved = c.readLocked(m) || moved
	}
	c.mu.Unlock()
	if moved {
		c.changed()
	}
	return nil
}

// readEvent applies a read event: another device of this person (or
// this one) read a conversation.
func (c *Client) readEvent(ev protocol.Event) {
	c.mu.Lock()
	moved := c.readLocked(protocol.ReadMark{With: ev.With, Everyone: ev.Everyone, Room: ev.Room, Seq: ev.Seq})
	c.mu.Unlock()
	if moved {
		c.changed()
	}
}

// readLocked moves State.Read forward to m, with c.mu held, and reports
// whether it moved. The map is replaced, never changed, so the states
// handed out keep what they had.
func (c *Client) readLocked(m protocol.ReadMark) bool {
	if m.Seq == 0 || (!m.Everyone && m.With == "" && m.Room == "") {
		return false
	}
	key := ""
	switch {
	case m.Room != "":
		key = RoomKey(m.Room)
	case !m.Everyone:
		key = conversationKey(m.With)
	}
	if m.Seq <= c.st.Read[key].Seq {
		return false
	}
	next := maps.Clone(c.st.Read)
	if next == nil {
		next = make(map[string]protocol.ReadMark)
	}
	next[key] = m
	c.st.Read = next
	return true
}

// stopMarkers drops the marks waiting, with c.mu held: the session ends.
func (c *Client) stopMarkers() {
	for _, m := range c.markers {
		if m.timer != nil {
			m.timer.Stop()
		}
	}
	clear(c.markers)
}

// pollReads closes long polling's gap for read events: a read event,
// live only, reaches a poller only while a poll is held, and another
// device reads most often just after a message came, when the poll that
// brought it has answered and the next is on its way. So after an answer
// with a message, once the next poll is surely held (pollCatchUp later),
// the positions are read again (GET /api/read): a mark made in the gap
// is in them, and one made after comes live. One read waits at a time,
// so a busy conversation costs at most one a pollCatchUp.
type pollReads struct {
	mu    sync.Mutex
	timer *time.Timer
}

// pollCatchUp is how long after an answer the positions are read again:
// enough for the next poll to reach the server.
const pollCatchUp = time.Second

// after arms the read after the answer evs, if it carried a message (a
// room's too) and none is waiting.
func (p *pollReads) after(ctx context.Context, c *Client, evs []protocol.Event) {
	if !slices.ContainsFunc(evs, func(e protocol.Event) bool {
		return e.Type == protocol.TypeMessage || e.Type == protocol.TypeRoomMessage
	}) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil {
		return
	}
	p.timer = time.AfterFunc(pollCatchUp, func() {
		p.mu.Lock()
		p.timer = nil
		p.mu.Unlock()
		if ctx.Err() == nil {
			rctx, cancel := context.WithTimeout(ctx, sendTimeout)
			defer cancel()
			c.readPositions(rctx)
		}
	})
}

// stop drops a read waiting: the stream closed.
func (p *pollReads) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
}
