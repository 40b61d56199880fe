package convo

import (
	"slices"
	"time"

	"hark/app/client"
	"hark/app/protocol"
)

// ChunkSize is how many messages a chunk holds before the next one starts.
// Small enough that re-rendering the last chunk is cheap, large enough
// that a conversation of thousands is a few dozen chunks.
const ChunkSize = 64

// Conversation is Everyone's conversation or a direct one. Its fields are
// for reading; the Model changes them.
type Conversation struct {
	// With is the other person's name as last shown, "" for Everyone.
	With string
	// Key is the name key of With ("" for Everyone): conversations are
	// told apart by it, as the server compares names.
	Key string
	// Unread counts others' messages after Read, or, while Read is 0,
	// those that arrived while it was not in view.
	Unread int
	// Read is the seq this person has read it up to, on this device (in
	// view) or another (the server's position), whichever is later; 0
	// while neither is known.
	Read uint64
	// NewFrom is the seq of the first of the messages that were unread
	// when it was last opened (0: none were), where the list draws its
	// New line.
	NewFrom uint64
	// Last is the time of its newest message, for the list's order.
	Last time.Time
	// More is set while older messages may be on the server: until a
	// scrollback page says it reached the start.
	More bool
	// Room is the room a room's conversation is of, as last told (nil
	// for Everyone's and direct ones).
	Room *protocol.Room
	// Version changes whenever anything shown of the conversation does.
	Version uint64

	// chunks hold the sequenced items, in seq order; each chunk is
	// replaced, never changed, except by appending past its length.
	chunks [][]client.Item
	// unsent are one's own messages that have no seq yet, in the order
	// written; replaced on every change.
	unsent []client.Item
	// acts are the actions (reactions, edits, deletes) on its messages,
	// by target, in seq order: applied to a message held, and kept for
	// one that a scrollback page brings later.
	acts map[uint64][]protocol.Event
	// replies are the seqs of the replies to each message, so a reply
	// shows its parent once the parent comes, and as it changes.
	replies map[uint64][]uint64
}

// Everyone reports whether c is Everyone's conversation.
func (c *Conversation) Everyone() bool { return c.Key == "" }

// Chunks returns the sequenced messages, oldest first, in chunks that the
// caller must not change. A chunk the Model later changes is a new slice.
func (c *Conversation) Chunks() [][]client.Item { return c.chunks }

// Unsent returns one's own messages not yet in the log, in the order
// written.
func (c *Conversation) Unsent() []client.Item { return c.unsent }

// Len is the number of messages held, unsent ones included.
func (c *Conversation) Len() int {
	n := len(c.unsent)
	for _, ch := range c.chunks {
		n += len(ch)
	}
	return n
}

// Items returns every message held, oldest first (a copy: for tests and
// the cache, not for rendering).
func (c *Conversation) Items() []client.Item {
	out := make([]client.Item, 0, c.Len())
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return append(out, c.unsent...)
}

// Oldest is the seq of the oldest message held, 0 if none: where the next
// scrollback page ends.
func (c *Conversation) Oldest() uint64 {
	if len(c.chunks) == 0 {
		return 0
	}
	return c.chunks[0][0].Event.Seq
}

// newest is the seq of the newest sequenced message, 0 if none.
func (c *Conversation) newest() uint64 {
	if len(c.chunks) == 0 {
		return 0
	}
	last := c.chunks[len(c.chunks)-1]
	return last[len(last)-1].Event.Seq
}

// newestMessage is the seq of the newest message held, 0 if none.
func (c *Conversation) newestMessage() uint64 {
	for i := len(c.chunks) - 1; i >= 0; i-- {
		ch := c.chunks[i]
		for j := len(ch) - 1; j >= 0; j-- {
			if t := ch[j].Event.Type; t == protocol.TypeMessage || t == protocol.TypeRoomMessage {
				return ch[j].Event.Seq
			}
		}
	}
	return 0
}

// touch notes a change and a message's time.
func (c *Conversation) touch(it client.Item) {
	c.Version++
	if t := it.Event.Time; t != nil && t.After(c.Last) {
		c.Last = t.Time
	}
}

// place puts a sequenced item in seq order and reports whether it was new.
// An own message that was unsent leaves the unsent list.
func (c *Conversation) place(it client.Item) bool {
	if it.Own && it.Event.ID != "" {
		c.dropUnsent(it.Event.ID)
	}
	seq := it.Event.Seq
	if acts := c.acts[seq]; len(acts) > 0 {
		it = applyActions(it, acts)
	}
	if p := it.Event.ReplyTo; p != 0 {
		if c.replies == nil {
			c.replies = make(map[uint64][]uint64)
		}
		c.replies[p] = append(c.replies[p], seq)
		it.Quote = c.quote(p)
	}
	switch {
	case len(c.chunks) == 0:
		c.chunks = [][]client.Item{{it}}
	case seq > c.newest():
		// The common case, a new message: append to the last chunk, or
		// start one. Appending past a slice's length leaves what earlier
		// readers of the chunk see as it was.
		last := len(c.chunks) - 1
		if len(c.chunks[last]) < ChunkSize {
			c.chunks[last] = append(c.chunks[last], it)
		} else {
			c.chunks = append(c.chunks, []client.Item{it})
		}
	default:
		ci, i := c.locate(seq)
		ch := c.chunks[ci]
		if i < len(ch) && ch[i].Event.Seq == seq {
			return false // seen: the seam between scrollback and live
		}
		if ci == 0 && i == 0 && len(ch) >= ChunkSize {
			// Older than everything, and the first chunk is full: a new
			// chunk in front.
			c.chunks = slices.Insert(c.chunks, 0, []client.Item{it})
		} else {
			// A new slice, never the old one changed in place.
			c.chunks[ci] = slices.Insert(slices.Clip(slices.Clone(ch)), i, it)
		}
	}
	c.touch(it)
	if len(c.replies[seq]) > 0 {
		c.requote(seq) // replies that came before it: a newer page first
	}
	return true
}

// putUnsent adds or updates one's own unsent message (by client id) and
// reports whether anything changed.
func (c *Conversation) putUnsent(it client.Item) bool {
	i := slices.IndexFunc(c.unsent, func(u client.Item) bool { return u.Event.ID == it.Event.ID })
	if i >= 0 && sameUnsent(c.unsent[i], it) {
		return false
	}
	next := slices.Clone(c.unsent)
	if i >= 0 {
		next[i] = it
	} else {
		next = append(next, it)
	}
	c.unsent = next
	c.touch(it)
	return true
}

// dropUnsent removes the unsent message with client id, if listed.
func (c *Conversation) dropUnsent(id string) bool {
	i := slices.IndexFunc(c.unsent, func(u client.Item) bool { return u.Event.ID == id })
	if i < 0 {
		return false
	}
	c.unsent = slices.Delete(slices.Clone(c.unsent), i, i+1)
	c.Version++
	return true
}

// dropSequenced forgets every sequenced message (a new epoch: old seqs
// mean nothing in the new log).
func (c *Conversation) dropSequenced() {
	c.Read = 0 // a position in the old log
	if len(c.chunks) > 0 {
		c.chunks = nil
		c.More = true
		c.Version++
	}
}

// sameUnsent reports whether two versions of an unsent message show the
// same: its text, recipient and delivery state.
func sameUnsent(a, b client.Item) bool {
	return a.Status == b.Status && a.Error == b.Error &&
		a.Event.Text == b.Event.Text && a.Event.To == b.Event.To
}

// recount sets Unread to the number of messages theirs accepts after
// Read, when Read is known; it looks at those only.
func (c *Conversation) recount(theirs func(*protocol.Event) bool) {
	if c.Read == 0 {
		return
	}
	n := 0
	for i := len(c.chunks) - 1; i >= 0; i-- {
		ch := c.chunks[i]
		j := len(ch) - 1
		for ; j >= 0 && ch[j].Event.Seq > c.Read; j-- {
			if theirs(&ch[j].Event) {
				n++
			}
		}
		if j >= 0 {
			break
		}
	}
	if n != c.Unread {
		c.Unread = n
		c.Version++
	}
}

// firstOfLast is the seq of the first of the last n messages theirs
// accepts, 0 if it holds fewer.
func (c *Conversation) firstOfLast(n int, theirs func(*protocol.Event) bool) uint64 {
	for i := len(c.chunks) - 1; i >= 0 && n > 0; i-- {
		ch := c.chunks[i]
		for j := len(ch) - 1; j >= 0; j-- {
			if theirs(&ch[j].Event) {
				if n--; n == 0 {
					return ch[j].Event.Seq
				}
			}
		}
	}
	return 0
}
