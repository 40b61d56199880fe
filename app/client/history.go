package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"hark/app/protocol"
)

// HistoryQuery asks for a page of history (GET /api/history).
type HistoryQuery struct {
	// Before, when not 0, asks only for events with a seq below it: the
	// seq of the oldest event shown, to load the page before it.
	Before uint64
	// Limit is the most events wanted; 0 means the server's default (50),
	// and the server gives at most protocol.MaxHistory.
	Limit int
	// With, when set, asks only for the direct messages between this
	// session and that person, either way (one DM conversation). Names
	// match as the server compares them: "alice" finds Alice's.
	With string
	// Everyone asks only for messages to everyone (everyone's
	// conversation, without direct messages). Not with With.
	Everyone bool
	// Room, when set, asks only for the messages (and actions) of the
	// room with that id, which this person is in. Not with With or
	// Everyone.
	Room string
}

// History loads a page of the messages this session may see, oldest
// first, for scrollback: from the newest (Before 0) or below Before. Its
// More field is set while the server keeps older ones; unset, the page
// reaches the start of what the server keeps. History is always a plain
// request, whatever the transport, and leaves State alone: the caller
// merges the page with what it shows (by seq, which is unique).
func (c *Client) History(ctx context.Context, q HistoryQuery) (protocol.History, error) {
	v := url.Values{}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Before > 0 {
		v.Set("before", strconv.FormatUint(q.Before, 10))
	}
	if q.With != "" {
		v.Set("with", q.With)
	}
	if q.Room != "" {
		v.Set("room", q.Room)
	}
	if q.Everyone {
		v.Set("everyone", "1")
	}
	var h protocol.History
	err := c.do(ctx, http.MethodGet, "/api/history", v, nil, &h)
	return h, err
}
