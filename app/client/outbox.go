package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"hark/app/protocol"
)

// Send queues a message (to "" means everyone) and returns its client id.
// It is shown at once as pending, kept in the outbox (and the Store) until
// the server has it, and sent whenever connected, always with the same id
// so the server delivers it once however often it is retried. A message
// the contract refuses outright (empty, too long) fails at once.
func (c *Client) Send(to, text string) string {
	return c.SendReply(to, text, 0)
}

// SendReply is Send for a message that answers the message at seq
// replyTo (0: none) of the same conversation.
func (c *Client) SendReply(to, text string, replyTo uint64) string {
	return c.queue(queued{Send: protocol.Send{To: to, Text: text, ReplyTo: replyTo}})
}

// SendFile is SendReply for a message that carries f, a file uploaded to
// the same conversation (Upload); text may be empty.
func (c *Client) SendFile(to, text string, f protocol.File, replyTo uint64) string {
	return c.queue(queued{Send: protocol.Send{To: to, Text: text, ReplyTo: replyTo, File: f.ID}, Attached: &f})
}

// queued is a message of the outbox: the send, and the file it carries,
// which its pending item shows (after a reload too).
type queued struct {
	protocol.Send
	Attached *protocol.File `json:"attached,omitempty"`
}

// queue gives q an id, shows it as pending and puts it in the outbox,
// or fails it at once if the contract refuses it outright.
func (c *Client) queue(q queued) string {
	id := newID()
	q.ID = id
	s := q.Send
	c.mu.Lock()
	it := c.pending(q)
	it.Event.Time = protocol.NewTime(time.Now())
	if err := s.Validate(); err != nil {
		perr, _ := refusal(err)
		it.Status, it.Error = Failed, perr.Message
		c.st.LastError = perr
	} else {
		c.outbox = append(c.outbox, q)
		c.saveOutbox()
	}
	c.appendUnsent(it)
	c.mu.Unlock()
	c.wake(c.flushCh)
	c.changed()
	return id
}

// newID returns a client id: 64 random bits are plenty to be unique among
// one session's messages.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return "c-" + hex.EncodeToString(b[:])
}

// loadOutbox reads the name's outbox from the Store and shows its messages
// as pending, with c.mu held.
func (c *Client) loadOutbox() {
	c.outbox = nil
	raw, ok := c.store.Get(outboxKey(c.nameKey))
	if !ok || json.Unmarshal([]byte(raw), &c.outbox) != nil {
		c.outbox = nil
		return
	}
	for _, q := range c.outbox {
		c.appendUnsent(c.pending(q))
	}
}

// pending is the list item of an own message not yet in the log, with
// c.mu held.
func (c *Client) pending(q queued) Item {
	s := q.Send
	typ := protocol.TypeMessage
	if s.Room != "" {
		typ = protocol.TypeRoomMessage
	}
	return Item{
		Event: protocol.Event{Type: typ, ID: s.ID, From: c.st.Name, To: s.To, Room: s.Room, Text: s.Text, ReplyTo: s.ReplyTo, File: q.Attached},
		Own:   true, Status: Pending,
	}
}

// saveOutbox writes the outbox to the Store, with c.mu held.
func (c *Client) saveOutbox() {
	if c.nameKey == "" {
		return
	}
	if len(c.outbox) == 0 {
		c.store.Delete(outboxKey(c.nameKey))
		return
	}
	b, _ := json.Marshal(c.outbox)
	c.store.Set(outboxKey(c.nameKey), string(b))
}

// inOutbox reports whether id waits in the outbox, with c.mu held.
func (c *Client) inOutbox(id string) bool {
	return slices.ContainsFunc(c.outbox, func(q queued) bool { return q.ID == id })
}

// dropOutbox removes id from the outbox, with c.mu held.
func (c *Client) dropOutbox(id string) {
	n := len(c.outbox)
	c.outbox = slices.DeleteFunc(c.outbox, func(q queued) bool { return q.ID == id })
	if len(c.outbox) != n {
		c.saveOutbox()
	}
}

// nextOutgoing returns the oldest message to send and the open stream, if
// connected and there is one.
func (c *Client) nextOutgoing() (protocol.Send, stream, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || len(c.outbox) == 0 {
		return protocol.Send{}, nil, false
	}
	return c.outbox[0].Send, c.cur, true
}

// flushLoop sends the outbox, oldest first, one at a time so messages keep
// the order they were written in, until ctx is done.
func (c *Client) flushLoop(ctx context.Context) {
	failures := 0
	for {
		s, st, ok := c.nextOutgoing()
		if !ok {
			select {
			case <-c.flushCh:
				continue
			case <-ctx.Done():
				return
			}
		}
		res, err := c.deliver(ctx, st, s)
		if err == nil {
			failures = 0
			c.mu.Lock()
			c.settle(s.ID, res.Seq, nil)
			c.mu.Unlock()
			c.changed()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		perr, refused := refusal(err)
		switch {
		case refused && perr.Code == protocol.CodeRateLimited:
			// Retry-After is a promise about when it will be taken; an
			// earlier retry would only be refused again.
			wait := time.Duration(max(perr.RetryAfter, 1)) * time.Second
			if !sleep(ctx, wait, nil) {
				return
			}
		case !refused || perr.Code == protocol.CodeInternal || perr.Code == protocol.CodeUnavailable || tokenRefused(perr):
			// The network or the server failed, not the message: try
			// again, sooner if a new connection opens. An unknown token
			// is the stream loop's to mend: it takes the name again and
			// reconnects, which wakes this loop.
			failures++
			if !sleep(ctx, c.backoff.delay(failures), c.flushCh) {
				return
			}
		default:
			c.fail(s.ID, perr)
		}
	}
}

// deliver sends s once: over the stream if it can carry sends, else POST.
func (c *Client) deliver(ctx context.Context, st stream, s protocol.Send) (protocol.SendResult, error) {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if res, ok, err := st.send(ctx, s); ok {
		return res, err
	}
	var res protocol.SendResult
	err := c.do(ctx, http.MethodPost, "/api/messages", nil, s, &res)
	return res, err
}

// fail marks the own message id refused for good, with the server's reason.
func (c *Client) fail(id string, perr *protocol.Error) {
	c.mu.Lock()
	c.dropOutbox(id)
	if i := c.findOwn(id); i >= 0 {
		c.st.Messages[i].Status, c.st.Messages[i].Error = Failed, perr.Message
	}
	c.st.LastError = perr
	c.mu.Unlock()
	c.changed()
}

// sleep waits for d, or a signal on wake (if not nil); it reports false if
// ctx ended first.
func sleep(ctx context.Context, d time.Duration, wake chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	case <-ctx.Done():
		return false
	}
	return true
}
