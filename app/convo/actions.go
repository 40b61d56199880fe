package convo

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"hark/app/client"
	"hark/app/protocol"
)

// act records an action on one of the conversation's messages and shows
// it on that message, if held (else when it comes, with a scrollback
// page). Actions apply in seq order whatever order they arrive in, and
// each once: a reaction is its person's or not, by the last one they
// sent. It reports whether anything changed.
func (c *Conversation) act(ev protocol.Event) bool {
	if c.acts == nil {
		c.acts = make(map[uint64][]protocol.Event)
	}
	list := c.acts[ev.Target]
	i, found := slices.BinarySearchFunc(list, ev.Seq, func(a protocol.Event, seq uint64) int { return cmp.Compare(a.Seq, seq) })
	if found {
		return false
	}
	c.acts[ev.Target] = slices.Insert(list, i, ev)
	ci, i, ok := c.find(ev.Target)
	if !ok {
		return false
	}
	c.replace(ci, i, applyActions(c.chunks[ci][i], c.acts[ev.Target]))
	c.requote(ev.Target)
	return true
}

// replace puts it at chunk ci, index i: in a new slice, never the old one
// changed in place.
func (c *Conversation) replace(ci, i int, it client.Item) {
	ch := slices.Clone(c.chunks[ci])
	ch[i] = it
	c.chunks[ci] = ch
	c.Version++
}

// requote shows the message at seq, as held now, in the replies to it.
func (c *Conversation) requote(seq uint64) {
	for _, r := range c.replies[seq] {
		if ci, i, ok := c.find(r); ok {
			it := c.chunks[ci][i]
			it.Quote = c.quote(seq)
			c.replace(ci, i, it)
		}
	}
}

// quote is what a reply shows of the message at seq, nil if not held.
func (c *Conversation) quote(seq uint64) *client.Quote {
	it, ok := c.Message(seq)
	if !ok {
		return nil
	}
	return &client.Quote{From: it.Event.From, Text: FirstLine(it.Event.Text), Deleted: it.Event.Deleted}
}

// quoteRunes is the most of a message's first line a quote shows.
const quoteRunes = 80

// FirstLine is the first line of text, shortened to quoteRunes: what a
// reply shows of the message it answers.
func FirstLine(text string) string {
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i] + " …"
	}
	if r := []rune(text); len(r) > quoteRunes {
		text = string(r[:quoteRunes]) + "…"
	}
	return text
}

// find is where the message at seq is held: its chunk and index.
func (c *Conversation) find(seq uint64) (chunk, i int, ok bool) {
	if len(c.chunks) == 0 {
		return 0, 0, false
	}
	chunk, i = c.locate(seq)
	ch := c.chunks[chunk]
	return chunk, i, i < len(ch) && ch[i].Event.Seq == seq
}

// locate is where seq is, or would go, in the chunks (which must not be
// empty): the first chunk whose last message is at or after it (the
// last chunk if none is), and the index in it of the first message at or
// after it.
func (c *Conversation) locate(seq uint64) (chunk, i int) {
	chunk = sort.Search(len(c.chunks), func(i int) bool {
		ch := c.chunks[i]
		return ch[len(ch)-1].Event.Seq >= seq
	})
	if chunk == len(c.chunks) {
		chunk--
	}
	ch := c.chunks[chunk]
	return chunk, sort.Search(len(ch), func(i int) bool { return ch[i].Event.Seq >= seq })
}

// Message is the message at seq as the conversation shows it, if held.
func (c *Conversation) Message(seq uint64) (client.Item, bool) {
	ci, i, ok := c.find(seq)
	if !ok {
		return client.Item{}, false
	}
	return c.chunks[ci][i], true
}

// applyActions is it with acts (on it, in seq order) applied: the last
// edit's text, deleted for good by a delete, and each person's reaction
// by the last they sent. It starts from it as it is, so applying again
// changes nothing.
func applyActions(it client.Item, acts []protocol.Event) client.Item {
	it.Reactions = nil
	type key struct{ emoji, name string }
	on := map[key]bool{}
	var order []key
	for _, a := range acts {
		switch a.Type {
		case protocol.TypeEdit:
			it.Event.Text, it.Edited = a.Text, true
		case protocol.TypeDelete:
			it.Event.Deleted = true
		case protocol.TypeReact:
			k := key{a.Emoji, a.From}
			if _, seen := on[k]; !seen {
				order = append(order, k)
			}
			on[k] = a.On
		}
	}
	if it.Event.Deleted {
		it.Event.Text, it.Edited = "", false
		return it
	}
	for _, k := range order {
		if !on[k] {
			continue
		}
		i := slices.IndexFunc(it.Reactions, func(r client.Reaction) bool { return r.Emoji == k.emoji })
		if i < 0 {
			it.Reactions = append(it.Reactions, client.Reaction{Emoji: k.emoji})
			i = len(it.Reactions) - 1
		}
		it.Reactions[i].Names = append(it.Reactions[i].Names, k.name)
	}
	return it
}
