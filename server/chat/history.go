package chat

import (
	"context"
	"slices"

	"hark/app/protocol"
)

// HistoryQuery picks a page of history: GET /api/history's parameters.
type HistoryQuery struct {
	// Limit is the most events returned (0 or above protocol.MaxHistory:
	// protocol.MaxHistory).
	Limit int
	// Before, when not 0, keeps only events with a seq below it: the seq
	// of the oldest event a client holds, to page further back.
	Before uint64
	// With, when set, keeps only the direct messages between the session's
	// registration and the name With, either way, compared by the name's
	// compare key.
	With string
	// Everyone keeps only messages to everyone: the conversation that is
	// not a direct one. It cannot go with With.
	Everyone bool
	// Room keeps only the messages of the room of that id, which the
	// session must be in (else not_found). It goes with neither With
	// nor Everyone.
	Room string
}

// Page is a page of history, oldest first.
type Page struct {
	Entries []*Entry
	// More is set when the log keeps at least one more event older than
	// Entries[0] that the query would return: asking again with Before set
	// to the oldest seq returned gets it. Unset, the page reaches the start
	// of what the log keeps.
	More bool
}

// History returns up to limit of the latest message events s may see,
// oldest first.
func (c *Chat) History(s *Session, limit int) []*Entry {
	p, _ := c.Page(s, HistoryQuery{Limit: limit})
	return p.Entries
}

// Page returns the latest message events that s may see and q asks for,
// oldest first. Visibility is by registration, as everywhere: With finds
// the direct messages this registration sent to or got from that name,
// never an earlier holder's. A With that is no name, or one with
// Everyone, is bad_request.
//
// The log is read a chunk at a time with its lock released between
// chunks, so paging through a conversation that is a small part of a long
// log holds no append up for long.
func (c *Chat) Page(s *Session, q HistoryQuery) (Page, error) {
	limit := q.Limit
	if limit <= 0 || limit > protocol.MaxHistory {
		limit = protocol.MaxHistory
	}
	var conv Conversation
	switch {
	case q.Room != "" && (q.Everyone || q.With != ""):
		return Page{}, protocol.Errorf(protocol.CodeBadRequest, "room asks for one conversation, with and everyone for others; ask for one")
	case q.Room != "":
		if _, ok := c.member(context.Background(), q.Room, s.reg); !ok {
			return Page{}, protocol.Errorf(protocol.CodeNotFound, "no room %q that you are in", q.Room)
		}
		conv.Room = q.Room
	case q.Everyone && q.With != "":
		return Page{}, protocol.Errorf(protocol.CodeBadRequest, "with and everyone ask for two conversations; ask for one")
	case q.Everyone:
		conv.Everyone = true
	case q.With != "":
		n, err := protocol.ParseName(q.With)
		if err != nil {
			return Page{}, protocol.Errorf(protocol.CodeBadRequest, "with must be a name: %s", err.Error())
		}
		conv.Reg, conv.Peer = s.reg, n.Key
	}
	var p Page
	// One more than the limit is looked for: finding it is what says
	// there is more, exactly, so a client never asks for an empty page.
	// The log reads a conversation from its index; visibility is checked
	// all the same, so a store whose index went wrong shows too little,
	// never too much.
	c.log.Messages(q.Before, conv, func(e *Entry) bool {
		if !c.sees(e, s.reg) {
			return true
		}
		if len(p.Entries) == limit {
			p.More = true
			return false
		}
		p.Entries = append(p.Entries, e)
		return true
	})
	slices.Reverse(p.Entries)
	return p, nil
}
