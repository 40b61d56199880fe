package client

import (
	"context"
	"net/http"

	"hark/app/protocol"
)

// Act asks the server to act on a message (POST /api/actions): a
// reaction added or taken back, an edit, a delete. An action without an
// id gets one; a retry of the same action (same id) acts once. Its event
// comes back on the stream like everyone else's, which is when the
// conversation shows it. A refusal is the server's *protocol.Error
// (forbidden, not_found, rate_limited, ...); without a session it
// returns ErrNoSession.
func (c *Client) Act(ctx context.Context, a protocol.Action) (uint64, error) {
	if a.ID == "" {
		a.ID = newID()
	}
	if err := a.Validate(); err != nil {
		return 0, err
	}
	if c.token() == "" {
		return 0, ErrNoSession
	}
	var res protocol.SendResult
	if err := c.do(ctx, http.MethodPost, "/api/actions", nil, a, &res); err != nil {
		return 0, err
	}
	return res.Seq, nil
}
