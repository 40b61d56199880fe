package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"hark/app/protocol"
)

// Transport names a way of receiving events.
type Transport string

// The transports. Auto tries them in the order WebSocket, SSE, Poll.
const (
	Auto      Transport = "auto"
	WebSocket Transport = "ws"
	SSE       Transport = "sse"
	Poll      Transport = "poll"
)

// autoOrder is the preference of Auto: the cheapest and fastest first.
var autoOrder = []Transport{WebSocket, SSE, Poll}

// stream is one open connection over one transport: the one interface the
// Client drives, whatever carries the events.
type stream interface {
	// next returns the next event, in the server's order. It returns an
	// error when the connection ends (a *protocol.Error if the server
	// refused it) or ctx is done.
	next(ctx context.Context) (protocol.Event, error)
	// send delivers s over the connection itself, if the transport can
	// (WebSocket); ok false means the caller must POST it.
	send(ctx context.Context, s protocol.Send) (res protocol.SendResult, ok bool, err error)
	// close ends the connection and unblocks next. It may be called more
	// than once.
	close()
}

// link is what a transport needs to open a stream.
type link struct {
	c *Client
	// pos returns the position to resume from: the last seq seen and its
	// epoch. Polling asks it before every request, so it follows resets.
	pos func() (seq uint64, epoch string)
}

// query returns since, epoch and, where the browser cannot set headers
// (EventSource, WebSocket), the token.
func (l link) query(withToken bool) url.Values {
	seq, epoch := l.pos()
	q := url.Values{"since": {strconv.FormatUint(seq, 10)}}
	if epoch != "" {
		q.Set("epoch", epoch)
	}
	if withToken {
		q.Set("token", l.c.token())
	}
	return q
}

// errClosed is returned by a stream used after close.
var errClosed = errors.New("client: connection closed")

// dial opens a stream over t.
func dial(ctx context.Context, t Transport, l link) (stream, error) {
	switch t {
	case WebSocket:
		return dialWS(ctx, l)
	case SSE:
		return dialSSE(ctx, l)
	case Poll:
		return dialPoll(ctx, l)
	}
	return nil, fmt.Errorf("client: unknown transport %q", t)
}
