package deliver

import (
	"net/http"
	"strconv"
	"time"
)

// Headroom is the space a ChunkedResponse wants free at the start of every
// buffer it sends: enough for a chunk's size line, so a chunk is framed in
// place and leaves in one write.
const Headroom = 10

// ChunkedResponse writes an HTTP/1.1 response with chunked encoding on a
// hijacked connection: the status line and headers go with the first chunk.
type ChunkedResponse struct {
	conn *Conn
	head []byte // not yet sent
}

// NewChunkedResponse starts the response on conn, with the header h; its
// status line and headers go with the first chunk.
func NewChunkedResponse(conn *Conn, h http.Header) *ChunkedResponse {
	head := []byte("HTTP/1.1 200 OK\r\n")
	hb := &headerBuffer{b: head}
	h.Write(hb)
	head = hb.b
	head = append(head, "Date: "...)
	head = time.Now().UTC().AppendFormat(head, http.TimeFormat)
	// Connection: close, because the connection leaves net/http for
	// good: once the stream ends the server closes it, and a client that
	// read a complete response would otherwise put it back in its pool
	// and send its next request into a closed socket (an EOF, for a POST
	// that is not retried).
	head = append(head, "\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"...)
	return &ChunkedResponse{conn: conn, head: head}
}

// headerBuffer collects http.Header.Write's output.
type headerBuffer struct{ b []byte }

func (w *headerBuffer) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// Send frames (*bp)[Headroom:] as one chunk, its size line written into
// the headroom, and writes it. The buffer is the caller's again when Send
// returns; Send may grow it.
func (o *ChunkedResponse) Send(bp *[]byte) error {
	n := len(*bp) - Headroom
	if n == 0 {
		return nil
	}
	var line [Headroom]byte
	size := strconv.AppendInt(line[:0], int64(n), 16)
	size = append(size, '\r', '\n')
	start := Headroom - len(size)
	copy((*bp)[start:], size)
	*bp = append(*bp, '\r', '\n')
	b := (*bp)[start:]
	if o.head != nil {
		b = append(o.head, b...)
		o.head = nil
	}
	o.conn.mu.Lock()
	defer o.conn.mu.Unlock()
	_, err := o.conn.writeLocked(b)
	return err
}

// Idle does nothing: an expired deadline on a hijacked connection harms
// nothing until the next write, which renews it first.
func (o *ChunkedResponse) Idle() {}

// lastChunk ends a chunked body (no trailers).
const lastChunk = "0\r\n\r\n"

// endWait bounds the write of the last chunk: a client that cannot take
// five bytes within it (a stalled reader, cut for falling behind) is hung
// up on without them rather than hold the writer for a whole write
// timeout.
const endWait = time.Second

// End writes the last chunk (after the head, if no chunk went before it),
// so the client sees a complete response rather than a cut connection.
func (o *ChunkedResponse) End() {
	b := append(o.head, lastChunk...)
	o.head = nil
	o.conn.mu.Lock()
	defer o.conn.mu.Unlock()
	o.conn.Conn.SetWriteDeadline(time.Now().Add(endWait))
	o.conn.Conn.Write(b) // the connection is hung up next either way
}
