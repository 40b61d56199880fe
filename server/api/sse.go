package api

import (
	"net/http"
	"strconv"

	"hark/server/chat"
	"hark/server/deliver"
)

// sseRetry is the reconnect delay, in milliseconds, the stream suggests to
// EventSource.
const sseRetry = 1000

// handleSSE streams events as Server-Sent Events: GET /api/events.
//
// Over HTTP/1.1 the server takes the connection from net/http once the
// stream is open and writes the chunked response itself, so an idle stream
// keeps no handler goroutine, request or net/http buffers; over HTTP/2 (and
// HTTP/1.0) the response stays with net/http and deliver.Pump runs it.
func (s *Server) handleSSE(w http.ResponseWriter, r *http.Request) {
	st, done, ok := s.openStream(w, r, "sse", true)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	// Proxies such as nginx buffer responses unless told not to, which
	// would hold events back.
	h.Set("X-Accel-Buffering", "no")

	out := &sseSink{}
	// The retry field goes out with the hello, in the first flush.
	bp := out.pending()
	*bp = appendRetry(*bp, sseRetry)

	if r.ProtoMajor == 1 && r.ProtoMinor >= 1 {
		if conn, err := deliver.Hijack(w, s.cfg.WriteTimeout); err == nil {
			out.to = deliver.NewChunkedResponse(conn, h)
			d := deliver.Drive(st, out, s.cfg.PingInterval, s.writes, func() { conn.Close() })
			// Until the client goes or the driver hangs up.
			go conn.ServeReads(conn.Discard, func() {
				conn.Close()
				d.Stop()
				done()
			})
			return
		}
	}
	defer done()
	w.WriteHeader(http.StatusOK)
	out.to = &responseOut{w: w, rc: http.NewResponseController(w), deadline: deliver.NewWriteDeadline(w, r, s.cfg.WriteTimeout)}
	deliver.Pump(r.Context(), st, out, s.cfg.PingInterval)
}

// sseSink frames entries as Server-Sent Events. Frames gather in a buffer
// taken from a pool when there is something to send and given back by the
// flush that sends it, so an idle stream holds no buffer.
type sseSink struct {
	buf *[]byte // frames not yet flushed, after deliver.Headroom; nil when none
	to  sseOut
}

// sseOut is where a flush sends the gathered frames: a
// deliver.ChunkedResponse on a hijacked HTTP/1.1 connection, or
// responseOut.
type sseOut interface {
	// Send writes (*bp)[deliver.Headroom:] (the bytes before it are free
	// for the writer's own framing) and flushes it to the client. The
	// buffer is the caller's again when Send returns; Send may grow it.
	Send(bp *[]byte) error
	// Idle is called when the stream goes quiet.
	Idle()
	// End ends the response properly, after its last frame, when the
	// server ends the stream.
	End()
}

// pending is the buffer frames gather in until the next flush.
func (o *sseSink) pending() *[]byte {
	if o.buf == nil {
		o.buf = deliver.GetFrame()
		*o.buf = append((*o.buf)[:0], make([]byte, deliver.Headroom)...)
	}
	return o.buf
}

func (o *sseSink) Write(batch []*chat.Entry) error {
	bp := o.pending()
	for _, e := range batch {
		*bp = appendSSE(*bp, e)
	}
	return nil
}

func (o *sseSink) Flush() error {
	if o.buf == nil {
		return nil
	}
	bp := o.buf
	o.buf = nil
	err := o.to.Send(bp)
	deliver.PutFrame(bp)
	return err
}

func (o *sseSink) Idle(tick bool) error {
	if tick {
		bp := o.pending()
		*bp = append(*bp, ": ping\n\n"...)
		if err := o.Flush(); err != nil {
			return err
		}
	}
	o.to.Idle()
	return nil
}

// Ended needs no frame: ending the response is the signal (overflow,
// shutdown or leave), and EventSource reconnects with Last-Event-ID. It
// is ended as a response should be, so that a proxy or curl sees a
// complete one.
func (o *sseSink) Ended(chat.CloseReason) { o.to.End() }

// responseOut sends through net/http's response: HTTP/2, HTTP/1.0.
type responseOut struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	deadline *deliver.WriteDeadline
}

func (o *responseOut) Send(bp *[]byte) error {
	o.deadline.Arm()
	if _, err := o.w.Write((*bp)[deliver.Headroom:]); err != nil {
		return err
	}
	return o.rc.Flush()
}

func (o *responseOut) Idle() { o.deadline.Idle() }

// End leaves the response to net/http, which ends it when the handler
// returns (the last chunk, or HTTP/2's end of stream).
func (o *responseOut) End() {}

// appendRetry appends the SSE retry field.
func appendRetry(b []byte, ms int) []byte {
	b = append(b, "retry: "...)
	b = strconv.AppendInt(b, int64(ms), 10)
	return append(b, "\n\n"...)
}

// appendSSE frames one event: "id: <seq>" for sequenced events, so a
// reconnecting EventSource sends Last-Event-ID, then its JSON as data. Event
// JSON holds no raw newline (encoding/json escapes them), so one data line
// carries it whole.
func appendSSE(b []byte, e *chat.Entry) []byte {
	if seq := e.Seq(); seq != 0 {
		b = append(b, "id: "...)
		b = strconv.AppendUint(b, seq, 10)
		b = append(b, '\n')
	}
	b = append(b, "data: "...)
	b = append(b, e.JSON...)
	return append(b, "\n\n"...)
}
