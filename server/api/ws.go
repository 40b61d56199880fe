package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/coder/websocket"

	"hark/app/protocol"
	"hark/server/chat"
	"hark/server/deliver"
)

// wsReadLimit is the largest frame read at all. Frames between
// protocol.MaxBodyBytes and this are answered with a too_large error frame
// and the socket stays open; larger ones close the socket (1009), which
// harms no one but the sender.
const wsReadLimit = 4 * protocol.MaxBodyBytes

// handleWebSocket streams events over a WebSocket and takes send frames on
// it: GET /api/ws. Once the connection is accepted the handler returns:
// the connection's reader goroutine reads sends and cleans up, and a
// deliver.Driver writes the stream only while it has something to send, so an idle
// socket keeps one goroutine and no request, context or write buffer.
func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	st, done, ok := s.openStream(w, r, "ws", true)
	if !ok {
		return
	}
	hj := deliver.NewWebSocketResponse(w, s.cfg.WriteTimeout)
	conn, err := websocket.Accept(hj, r, &websocket.AcceptOptions{
		// The origin was checked by the server's origin policy, with the
		// contract's error body; Accept's own check would only repeat it.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		done()
		return
	}
	conn.SetReadLimit(wsReadLimit)
	out := &wsSink{srv: s, conn: conn, raw: hj.Conn(), batch: r.URL.Query().Get("batch") == "1"}
	d := deliver.Drive(st, out, s.cfg.PingInterval, s.writes, func() { conn.CloseNow() })
	go s.readSends(conn, st.Session(), out, func() {
		conn.CloseNow()
		d.Stop()
		done()
	})
}

// wsSink writes entries as WebSocket text frames: one event each, or, for
// a client that asked with batch=1, every event ready at once in one frame,
// a line each (event JSON holds no raw newline). Either way a burst leaves
// in one write: frames gather in the held deliver.Conn until Flush.
type wsSink struct {
	srv   *Server
	conn  *websocket.Conn
	raw   *deliver.Conn
	batch bool
	// pinging is set while a ping waits for its pong, so a client that
	// stops answering never has more than one ping goroutine. A goroutine
	// per ping rather than one per connection keeps idle sockets small.
	pinging atomic.Bool
	held    bool // Write has held raw; Flush releases it
}

func (o *wsSink) Write(batch []*chat.Entry) error {
	if !o.held {
		o.raw.Hold()
		o.held = true
	}
	if !o.batch || len(batch) == 1 {
		for _, e := range batch {
			if err := o.frame(e.JSON); err != nil {
				return err
			}
		}
		return nil
	}
	bp := deliver.GetFrame()
	b := (*bp)[:0]
	for i, e := range batch {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, e.JSON...)
	}
	err := o.frame(b)
	*bp = b
	deliver.PutFrame(bp)
	return err
}

// frame writes one text frame. A context that never ends: the Conn's
// write deadline bounds the write, and the library then skips its
// per-write cancellation hook (allocations and locks per delivery).
func (o *wsSink) frame(b []byte) error {
	return o.conn.Write(context.Background(), websocket.MessageText, b)
}

// Flush sends the frames Write gathered, in one write.
func (o *wsSink) Flush() error {
	if !o.held {
		return nil
	}
	o.held = false
	return o.raw.Release()
}

// reply writes one frame from the reader (an ack or an error), gathered
// and sent in one write like the stream's.
func (o *wsSink) reply(b []byte) error {
	o.raw.Hold()
	err := o.frame(b)
	if err2 := o.raw.Release(); err == nil {
		err = err2
	}
	return err
}

func (o *wsSink) Idle(tick bool) error {
	if tick && o.pinging.CompareAndSwap(false, true) {
		go func() {
			defer o.pinging.Store(false)
			o.srv.ping(o.conn)
		}()
	}
	return nil
}

func (o *wsSink) Ended(reason chat.CloseReason) {
	o.raw.StopParking() // the close handshake waits for the client's answer
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

func (s *Server) ping(conn *websocket.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	if conn.Ping(ctx) != nil {
		conn.CloseNow()
	}
}

// readSends reads send and typing frames until the connection ends,
// answering each send with an ack or an error frame and a typing frame
// only if it is refused (with an error frame without an id); then end.
// Replies are written here, beside the stream's frames (the library
// serialises writes): a send is answered even while the stream has
// nothing to say.
//
// Where reads can park (deliver's wsidle.go), the connection waits for its
// client without a goroutine reading (idlewait.go), and reads in one that
// lasts until the client has nothing more to say for now.
func (s *Server) readSends(conn *websocket.Conn, sess *chat.Session, out *wsSink, end func()) {
	out.raw.ServeReads(func() bool { return s.readFrames(conn, sess, out) }, end)
}

// readFrames reads and answers frames until the connection ends, or a
// read parks (then it reports true).
func (s *Server) readFrames(conn *websocket.Conn, sess *chat.Session, out *wsSink) (parked bool) {
	// Not the request's context: net/http cancels that when the handler
	// returns, which it does as soon as the socket is accepted. One that
	// never ends: closing the socket ends a read, and a context that can
	// end would cost every blocked read a cancellation hook.
	ctx := context.Background()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return errors.Is(err, deliver.ErrParked)
		}
		var reply any
		send, err := decodeFrame(typ, data)
		if send.Type == protocol.TypeTyping {
			// The send's fields hold a typing frame's; its only error was
			// its type.
			if err := s.typing(sess, protocol.Typing{To: send.To, Room: send.Room}, nil); err != nil {
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
		if out.reply(b) != nil {
			return false
		}
	}
}

// decodeFrame turns a frame into a send, with the contract's errors. A
// typing frame comes back with its type, to and room, and an error about
// its type that the caller, which handles typing, ignores.
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
