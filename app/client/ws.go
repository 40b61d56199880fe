package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/coder/websocket"

	"hark/app/protocol"
)

// wsReadLimit allows a hello with a large roster; events are far smaller.
const wsReadLimit = 4 << 20

// wsStream carries events as JSON text frames and sends as send frames,
// matching each ack or error frame to the send that waits for it.
type wsStream struct {
	conn *websocket.Conn
	// batched holds the events of a batched frame not yet handed out.
	batched []protocol.Event
	// frame is the last frame read, its buffer kept for the next one
	// unless it grew past maxKeptFrame: events copy what they keep out of
	// it.
	frame bytes.Buffer

	mu      sync.Mutex
	waiters map[string]chan protocol.Event
	done    chan struct{}
	err     error
}

// maxKeptFrame is the largest frame buffer a stream keeps between frames:
// room for a burst of a few dozen ordinary events.
const maxKeptFrame = 64 << 10

// dialWS opens GET /api/ws. The token is in the query because the
// browser's WebSocket cannot send headers; the host does the same, so both
// run one code path.
func dialWS(ctx context.Context, l link) (stream, error) {
	q := l.query(true)
	q.Set("batch", "1") // frames may carry several events, a line each
	u, err := l.c.endpoint("/api/ws", q)
	if err != nil {
		return nil, err
	}
	conn, resp, err := websocket.Dial(ctx, u, wsDialOptions(l.c.http))
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 {
			return nil, readError(resp)
		}
		if browser {
			if perr := l.c.probe(ctx); perr != nil {
				return nil, perr
			}
		}
		return nil, err
	}
	conn.SetReadLimit(wsReadLimit)
	return &wsStream{conn: conn, waiters: make(map[string]chan protocol.Event), done: make(chan struct{})}, nil
}

// next implements stream. Answers to sends are handed to their waiters
// here, so reading is the only thing that reads the socket.
func (s *wsStream) next(ctx context.Context) (protocol.Event, error) {
	for {
		if len(s.batched) > 0 {
			ev := s.batched[0]
			s.batched = s.batched[1:]
			return ev, nil
		}
		typ, r, err := s.conn.Reader(ctx)
		if err == nil {
			s.frame.Reset()
			_, err = s.frame.ReadFrom(r)
		}
		if err != nil {
			s.fail(err)
			return protocol.Event{}, err
		}
		if typ != websocket.MessageText {
			continue
		}
		for line := range bytes.SplitSeq(s.frame.Bytes(), []byte("\n")) {
			ev, err := protocol.DecodeEvent(line)
			if err != nil {
				err = fmt.Errorf("client: bad frame from server: %w", err)
				s.fail(err)
				s.conn.CloseNow()
				return protocol.Event{}, err
			}
			if ev.Type == protocol.TypeAck || ev.Type == protocol.TypeError {
				s.answer(ev)
				continue
			}
			s.batched = append(s.batched, ev)
		}
		if s.frame.Cap() > maxKeptFrame {
			s.frame = bytes.Buffer{} // one large frame should not pin its buffer for the stream's life
		}
	}
}

func (s *wsStream) answer(ev protocol.Event) {
	s.mu.Lock()
	ch := s.waiters[ev.ID]
	delete(s.waiters, ev.ID)
	s.mu.Unlock()
	if ch != nil {
		ch <- ev // buffered: never blocks the reader
	}
}

// fail records why the connection ended and wakes every waiting send.
func (s *wsStream) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
		close(s.done)
	}
}

// send implements stream: a send frame answered by ack or error.
func (s *wsStream) send(ctx context.Context, m protocol.Send) (protocol.SendResult, bool, error) {
	ch := make(chan protocol.Event, 1)
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return protocol.SendResult{}, true, s.err
	}
	s.waiters[m.ID] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.waiters[m.ID] == ch {
			delete(s.waiters, m.ID)
		}
		s.mu.Unlock()
	}()

	m.Type = protocol.TypeSend
	b, err := json.Marshal(m)
	if err != nil {
		return protocol.SendResult{}, true, err
	}
	if err := s.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return protocol.SendResult{}, true, err
	}
	select {
	case ev := <-ch:
		if ev.Type == protocol.TypeError {
			perr := ev.Error
			if perr == nil {
				perr = &protocol.Error{Code: protocol.CodeInternal, Message: "the server refused the message"}
			}
			return protocol.SendResult{}, true, perr
		}
		return protocol.SendResult{ID: ev.ID, Seq: ev.Seq}, true, nil
	case <-s.done:
		return protocol.SendResult{}, true, errClosed
	case <-ctx.Done():
		return protocol.SendResult{}, true, ctx.Err()
	}
}

// typing implements typingSender: a typing frame, which the server
// answers only to refuse it.
func (s *wsStream) typing(ctx context.Context, t protocol.Typing) error {
	t.Type = protocol.TypeTyping
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.conn.Write(ctx, websocket.MessageText, b)
}

// close implements stream. It does not wait for the close handshake: the
// client is leaving this connection for another and must not stall.
func (s *wsStream) close() {
	s.fail(errClosed)
	s.conn.CloseNow()
}
