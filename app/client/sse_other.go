//go:build !js

package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"hark/app/protocol"
	"hark/internal/sse"
)

// sseIdle is how long a stream may be silent before it is taken for dead:
// the server pings at least every protocol.PingInterval.
const sseIdle = 3 * protocol.PingInterval

// sseStream reads GET /api/events with net/http and the parser of
// internal/sse. It never reconnects by itself: the Client does, so its
// state and position stay right.
type sseStream struct {
	body   io.ReadCloser
	p      *sse.Parser
	cancel context.CancelFunc
	idle   *time.Timer
}

// dialSSE opens the event stream with the token in the Authorization
// header (the host can set headers; only EventSource cannot).
func dialSSE(ctx context.Context, l link) (stream, error) {
	u, err := l.c.endpoint("/api/events", l.query(false))
	if err != nil {
		return nil, err
	}
	// The stream outlives ctx, which bounds only the opening.
	sctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Authorization", "Bearer "+l.c.token())
	stop := context.AfterFunc(ctx, cancel)
	resp, err := l.c.http.Do(req)
	opened := stop()
	if err != nil {
		cancel()
		if !opened {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		cancel()
		return nil, readError(resp)
	}
	s := &sseStream{body: resp.Body, cancel: cancel}
	s.idle = time.AfterFunc(sseIdle, cancel)
	s.p = sse.NewParser(touchReader{r: resp.Body, t: s.idle})
	return s, nil
}

// touchReader restarts the idle timer whenever bytes arrive, pings included.
type touchReader struct {
	r io.Reader
	t *time.Timer
}

func (t touchReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.t.Reset(sseIdle)
	}
	return n, err
}

// next implements stream.
func (s *sseStream) next(ctx context.Context) (protocol.Event, error) {
	stop := context.AfterFunc(ctx, s.cancel)
	defer stop()
	for {
		se, err := s.p.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // the server ended the stream: resume
			}
			return protocol.Event{}, err
		}
		if se.Type != "message" || se.Data == "" {
			continue
		}
		ev, err := protocol.DecodeEvent([]byte(se.Data))
		if err != nil {
			return protocol.Event{}, fmt.Errorf("client: bad event from server: %w", err)
		}
		return ev, nil
	}
}

// send implements stream: SSE is one-way, so sends are POSTs.
func (s *sseStream) send(context.Context, protocol.Send) (protocol.SendResult, bool, error) {
	return protocol.SendResult{}, false, nil
}

// close implements stream.
func (s *sseStream) close() {
	s.idle.Stop()
	s.cancel()
	s.body.Close()
}
