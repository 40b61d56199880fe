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
	out := bufio.NewWriterSize(w, 4096)
	writeRetry(out, sseRetry)
	ping := time.NewTicker(s.cfg.PingInterval)
	defer ping.Stop()
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
		rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
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
	var b [20]byte
	w.WriteString("retry: ")
	w.Write(strconv.AppendInt(b[:0], int64(ms), 10))
	w.WriteString("\n\n")
}

// writeSSE frames one event: "id: <seq>" for sequenced events, so a
// reconnecting EventSource sends Last-Event-ID, then its JSON as data. Event
// JSON holds no raw newline (encoding/json escapes them), so one data line
// carries it whole.
func writeSSE(w *bufio.Writer, e *chat.Entry) {
	if seq := e.Seq(); seq != 0 {
		var b [20]byte
		w.WriteString("id: ")
		w.Write(strconv.AppendUint(b[:0], seq, 10))
		w.WriteByte('\n')
	}
	w.WriteString("data: ")
	w.Write(e.JSON)
	w.WriteString("\n\n")
}
