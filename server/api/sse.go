package api

import (
	"bufio"
	"net/http"
	"strconv"

	"hark/server/chat"
)

// sseRetry is the reconnect delay, in milliseconds, the stream suggests to
// EventSource.
const sseRetry = 1000

// sseBufferSize is the stream's own buffer in front of the response
// writer's. Frames larger than it pass through unbuffered, at no extra
// syscall: only Flush reaches the socket.
const sseBufferSize = 512

// handleSSE streams events as Server-Sent Events: GET /api/events.
func (s *Server) handleSSE(w http.ResponseWriter, r *http.Request) {
	st, done, ok := s.openStream(w, r, "sse", true)
	if !ok {
		return
	}
	defer done()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	// Proxies such as nginx buffer responses unless told not to, which
	// would hold events back.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	out := &sseSink{
		// The response writer buffers too: this buffer only gathers a
		// frame's pieces, so it can be small, and every idle stream holds it.
		w:        bufio.NewWriterSize(w, sseBufferSize),
		rc:       http.NewResponseController(w),
		deadline: newWriteDeadline(w, r, s.cfg.WriteTimeout),
	}
	// The retry field goes out with the hello, in the first flush.
	writeRetry(out.w, sseRetry)
	pump(r.Context(), st, out, s.cfg.PingInterval)
}

// sseSink frames entries as Server-Sent Events.
type sseSink struct {
	w        *bufio.Writer
	rc       *http.ResponseController
	deadline *writeDeadline
}

func (o *sseSink) write(batch []*chat.Entry) error {
	for _, e := range batch {
		writeSSE(o.w, e)
	}
	return nil
}

func (o *sseSink) flush() error {
	o.deadline.arm()
	if err := o.w.Flush(); err != nil {
		return err
	}
	return o.rc.Flush()
}

func (o *sseSink) idle(tick bool) error {
	if tick {
		o.w.WriteString(": ping\n\n")
		if err := o.flush(); err != nil {
			return err
		}
	}
	o.deadline.idle()
	return nil
}

// ended needs no frame: ending the response is the signal (overflow,
// shutdown or leave), and EventSource reconnects with Last-Event-ID.
func (o *sseSink) ended(chat.CloseReason) {}

// writeRetry writes the SSE retry field.
func writeRetry(w *bufio.Writer, ms int) {
	w.WriteString("retry: ")
	w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(ms), 10))
	w.WriteString("\n\n")
}

// writeSSE frames one event: "id: <seq>" for sequenced events, so a
// reconnecting EventSource sends Last-Event-ID, then its JSON as data. Event
// JSON holds no raw newline (encoding/json escapes them), so one data line
// carries it whole.
func writeSSE(w *bufio.Writer, e *chat.Entry) {
	if seq := e.Seq(); seq != 0 {
		w.WriteString("id: ")
		// Appending into the buffer's free space: a local array would
		// escape through Write and cost an allocation per delivery.
		w.Write(strconv.AppendUint(w.AvailableBuffer(), seq, 10))
		w.WriteByte('\n')
	}
	w.WriteString("data: ")
	w.Write(e.JSON)
	w.WriteString("\n\n")
}
