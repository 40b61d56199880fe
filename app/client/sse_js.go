//go:build js && wasm

package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"

	"hark/app/protocol"
)

// errSSEBroken is what the browser tells of a failed EventSource: nothing.
var errSSEBroken = errors.New("client: the event stream failed")

// sseStream is the browser's EventSource. It reconnects on its own, but the
// Client closes it at the first error and reconnects itself, so that its
// state, backoff and position are the ones in effect.
type sseStream struct {
	es    js.Value
	funcs []js.Func

	// JS callbacks must not block the event loop, so they append to this
	// queue and next waits on it.
	mu     sync.Mutex
	queue  []string
	err    error
	wake   chan struct{}
	opened chan struct{}
	once   sync.Once
}

// dialSSE opens an EventSource on GET /api/events with since, epoch and
// the token in the URL (EventSource cannot set headers).
func dialSSE(ctx context.Context, l link) (stream, error) {
	u, err := l.c.endpoint("/api/events", l.query(true))
	if err != nil {
		return nil, err
	}
	s := &sseStream{wake: make(chan struct{}, 1), opened: make(chan struct{})}
	s.es = js.Global().Get("EventSource").New(u)
	onOpen := js.FuncOf(func(js.Value, []js.Value) any {
		s.once.Do(func() { close(s.opened) })
		return nil
	})
	onMessage := js.FuncOf(func(_ js.Value, args []js.Value) any {
		s.push(args[0].Get("data").String(), nil)
		return nil
	})
	onError := js.FuncOf(func(js.Value, []js.Value) any {
		s.push("", errSSEBroken)
		return nil
	})
	s.funcs = []js.Func{onOpen, onMessage, onError}
	s.es.Call("addEventListener", "open", onOpen)
	s.es.Call("addEventListener", "message", onMessage)
	s.es.Call("addEventListener", "error", onError)

	for {
		select {
		case <-s.opened:
			return s, nil
		case <-s.wake:
			s.mu.Lock()
			failed := s.err != nil
			s.mu.Unlock()
			if !failed {
				return s, nil // a message came, so it is open; next reads the queue
			}
			// An error before open: the browser does not say whether it
			// was the network or a refusal (401), so ask the server.
			s.close()
			if perr := l.c.probe(ctx); perr != nil {
				return nil, perr
			}
			return nil, errSSEBroken
		case <-ctx.Done():
			s.close()
			return nil, ctx.Err()
		}
	}
}

func (s *sseStream) push(data string, err error) {
	s.mu.Lock()
	if err != nil {
		if s.err == nil {
			s.err = err
		}
	} else {
		s.queue = append(s.queue, data)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// next implements stream. Events queued before an error are delivered
// first: they arrived whole.
func (s *sseStream) next(ctx context.Context) (protocol.Event, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			data := s.queue[0]
			s.queue[0] = ""
			s.queue = s.queue[1:]
			s.mu.Unlock()
			ev, err := protocol.DecodeEvent([]byte(data))
			if err != nil {
				return protocol.Event{}, fmt.Errorf("client: bad event from server: %w", err)
			}
			return ev, nil
		}
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return protocol.Event{}, err
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return protocol.Event{}, ctx.Err()
		}
	}
}

// send implements stream: SSE is one-way, so sends are POSTs.
func (s *sseStream) send(context.Context, protocol.Send) (protocol.SendResult, bool, error) {
	return protocol.SendResult{}, false, nil
}

// close implements stream.
func (s *sseStream) close() {
	s.mu.Lock()
	funcs := s.funcs
	s.funcs = nil
	if s.err == nil {
		s.err = errClosed
	}
	s.mu.Unlock()
	if funcs == nil {
		return
	}
	s.es.Call("close")
	s.es.Call("removeEventListener", "open", funcs[0])
	s.es.Call("removeEventListener", "message", funcs[1])
	s.es.Call("removeEventListener", "error", funcs[2])
	for _, f := range funcs {
		f.Release()
	}
}
