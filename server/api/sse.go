package api

import (
	"bufio"
	"net/http"
	"strconv"
	"time"

	"hark/server/chat"
)

// sseRetry is the reconnect delay, in milliseconds, the stream suggests to
// EventSource.
const sseRetry = 1000

// sseBufferSize is the stream's own buffer in front of the response
// writer's. Frames larger than it pass through unbuffered, at no extra
// syscall: only Flush reaches the socket.
const sseBufferSize = 512

// writeDeadline renews a connection's write deadline only when half of the
// timeout has passed since it was last set, rather than before every
// flush: setting a deadline takes the poller's locks and was a tenth of an
// SSE stream's CPU per event. Every write still has between half and all
// of the timeout to finish.
type writeDeadline struct {
	at time.Time // the deadline last set; zero before the first
}

// due reports whether the deadline must be renewed before writing, and if
// so moves at to now plus timeout.
func (d *writeDeadline) due(timeout time.Duration) bool {
	now := time.Now()
	if !d.at.IsZero() && d.at.Sub(now) >= timeout/2 {
		return false
	}
	d.at = now.Add(timeout)
	return true
}

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

	rc := http.NewResponseController(w)
	// The response writer buffers too: this buffer only gathers a frame's
	// pieces, so it can be small, and every idle stream holds it.
	out := bufio.NewWriterSize(w, sseBufferSize)
	writeRetry(out, sseRetry)
	ping := time.NewTicker(s.cfg.PingInterval)
	defer ping.Stop()
	var deadline writeDeadline
	for {
		// Write everything ready, then flush once: a burst costs one
		// syscall, not one per event.
		for {
			e, ok := st.TryNext()
			if !ok {
				break
			}
			writeSSE(out, e)
		}
		if deadline.due(s.cfg.WriteTimeout) {
			rc.SetWriteDeadline(deadline.at)
		}
		if out.Flush() != nil || rc.Flush() != nil {
			return
		}
		select {
		case e := <-st.Queue():
			if st.Accept(e) {
				writeSSE(out, e)
			}
		case <-ping.C:
			out.WriteString(": ping\n\n")
		case <-st.Ended():
			// Overflow, shutdown or leave: ending the response is the
			// signal; EventSource reconnects with Last-Event-ID.
			return
		case <-r.Context().Done():
			return
		}
	}
}

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
