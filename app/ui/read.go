package ui

import (
	"context"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// markSeen tells the server how far the person has read the conversation
// in view (the model's Read: what came while it was in view and the page
// visible), so their other devices clear its unread count: everyone's, a
// direct conversation or a room (whose With, convo.RoomKey, is the
// client's RoomKey). The client
// sends a mark at most every 500 ms per conversation; this asks only when
// the position moved since it last asked. A refused mark shows nothing:
// the count here is right either way, and the next position is asked.
func (c *Chat) markSeen() {
	if c.model == nil || c.model.Hidden() || !c.joined {
		return
	}
	conv := c.model.Active()
	if conv.Read == 0 || conv.Read <= c.marked[conv.Key] {
		return
	}
	if c.marked == nil {
		c.marked = make(map[string]uint64)
	}
	c.marked[conv.Key] = conv.Read
	cl, with, seq := c.client, conv.With, conv.Read
	call(c.ctx, 15*time.Second, func(ctx context.Context) error {
		return cl.MarkRead(ctx, with, seq)
	}, func(ctx app.Context, _ error) {
		ctx.PreventUpdate() // nothing on screen changes
	})
}
