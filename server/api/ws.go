package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"hark/app/protocol"
	"hark/server/chat"
)

// wsReadLimit is the largest frame read at all. Frames between
// protocol.MaxBodyBytes and this are answered with a too_large error frame
// and the socket stays open; larger ones close the socket (1009), which
// harms no one but the sender.
const wsReadLimit = 4 * protocol.MaxBodyBytes

// handleWebSocket streams events over a WebSocket and takes send frames on
// it: GET /api/ws.
func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	st, done, ok := s.openStream(w, r, "ws", true)
	if !ok {
		return
	}
	defer done()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// The origin was checked by the server's origin policy, with the
		// contract's error body; Accept's own check would only repeat it.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(wsReadLimit)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		defer cancel()
		s.readSends(ctx, conn, st.Session())
	}()
	out := &wsSink{srv: s, ctx: ctx, conn: conn, fw: newFrameWriter(conn, s.cfg.WriteTimeout), batch: r.URL.Query().Get("batch") == "1"}
	defer out.fw.stop()
	pump(ctx, st, out, s.cfg.PingInterval)
}

// wsSink writes entries as WebSocket text frames: one event each, or, for
// a client that asked with batch=1, every event ready at once in one frame,
// a line each (event JSON holds no raw newline). The library flushes every
// frame, so a burst then costs one frame and one write, not one per event.
type wsSink struct {
	srv   *Server
	ctx   context.Context
	conn  *websocket.Conn
	fw    *frameWriter
	batch bool
	// pinging is set while a ping waits for its pong, so a client that
	// stops answering never has more than one ping goroutine. A goroutine
	// per ping rather than one per connection keeps idle sockets small.
	pinging atomic.Bool
}

func (o *wsSink) write(batch []*chat.Entry) error {
	if !o.batch || len(batch) == 1 {
		for _, e := range batch {
			if err := o.fw.write(e.JSON); err != nil {
				return err
			}
		}
		return nil
	}
	n := len(batch) - 1
	for _, e := range batch {
		n += len(e.JSON)
	}
	bp := framePool.Get().(*[]byte)
	b := (*bp)[:0]
	for i, e := range batch {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, e.JSON...)
	}
	err := o.fw.write(b)
	if cap(b) <= maxPooledFrame {
		*bp = b
		framePool.Put(bp)
	}
	return err
}

// framePool holds the buffers batched frames are joined in; only
// moderate ones go back, so one huge burst does not pin memory.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledFrame = 64 << 10

// flush has nothing to do: the library flushes each frame.
func (o *wsSink) flush() error { return nil }

func (o *wsSink) idle(tick bool) error {
	if tick && o.pinging.CompareAndSwap(false, true) {
		go func() {
			defer o.pinging.Store(false)
			o.srv.ping(o.ctx, o.conn)
		}()
	}
	return nil
}

func (o *wsSink) ended(reason chat.CloseReason) {
	o.conn.Close(closeStatus(reason))
}

// closeStatus is the close code and reason for a stream the server ended.
func closeStatus(r chat.CloseReason) (websocket.StatusCode, string) {
	switch r {
	case chat.Overflow:
		return websocket.StatusTryAgainLater, "too slow: resume with since"
	case chat.Shutdown:
		return websocket.StatusServiceRestart, "server restarting: reconnect"
	}
	return websocket.StatusNormalClosure, "session ended"
}

// frameWriter writes a stream's frames, each bounded by the write timeout.
// The bound is one timer per connection that closes the socket if a write
// outlasts it, rather than a context with a deadline per frame: that
// context, and the cancellation hook the WebSocket library registers for
// any context that can end, cost allocations and several locks per
// delivery, a fifth of a WebSocket stream's CPU.
type frameWriter struct {
	conn    *websocket.Conn
	timeout time.Duration
	timer   *time.Timer
}

func newFrameWriter(conn *websocket.Conn, timeout time.Duration) *frameWriter {
	t := time.AfterFunc(time.Hour, func() { conn.CloseNow() })
	t.Stop()
	return &frameWriter{conn: conn, timeout: timeout, timer: t}
}

// write sends one text frame. A write the timeout cuts short closes the
// connection, and write returns the error the close caused.
func (w *frameWriter) write(b []byte) error {
	w.timer.Reset(w.timeout)
	// A context that never ends: the timer bounds the write, and the
	// library then skips its per-write cancellation hook.
	err := w.conn.Write(context.Background(), websocket.MessageText, b)
	w.timer.Stop()
	return err
}

func (w *frameWriter) stop() { w.timer.Stop() }

func (s *Server) ping(ctx context.Context, conn *websocket.Conn) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	if conn.Ping(ctx) != nil {
		conn.CloseNow()
	}
}

// readSends reads send and typing frames until the connection ends,
// answering each send with an ack or an error frame and a typing frame
// only if it is refused (with an error frame without an id). Replies are
// written here, beside the stream's frames (the library serialises
// writes): a send is answered even while the stream has nothing to say.
func (s *Server) readSends(ctx context.Context, conn *websocket.Conn, sess *chat.Session) {
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		var reply any
		send, err := decodeFrame(typ, data)
		if send.Type == protocol.TypeTyping {
			// The send's fields hold a typing frame's; its only error was
			// its type.
			if err := s.typing(sess, protocol.Typing{To: send.To}, nil); err != nil {
				reply = protocol.Event{Type: protocol.TypeError, Error: refusal(err)}
			}
		} else {
			seq, err := s.send(ctx, sess, send, err)
			reply = protocol.SendResult{Type: protocol.TypeAck, ID: send.ID, Seq: seq}
			if err != nil {
				reply = protocol.Event{Type: protocol.TypeError, ID: send.ID, Error: refusal(err)}
			}
		}
		if reply == nil {
			continue
		}
		b, _ := json.Marshal(reply)
		wctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
		err = conn.Write(wctx, websocket.MessageText, b)
		cancel()
		if err != nil {
			return
		}
	}
}

// decodeFrame turns a frame into a send, with the contract's errors. A
// typing frame comes back with its type and to, and an error about its
// type that the caller, which handles typing, ignores.
func decodeFrame(typ websocket.MessageType, data []byte) (protocol.Send, error) {
	if typ != websocket.MessageText {
		return protocol.Send{}, protocol.Errorf(protocol.CodeBadRequest, "frames are JSON text, not binary")
	}
	send, err := protocol.DecodeSend(data)
	if err == nil && send.Type == "" {
		err = protocol.Errorf(protocol.CodeBadRequest, "a frame needs a type; a send is {\"type\": %q, …}", protocol.TypeSend)
	}
	return send, err
}
