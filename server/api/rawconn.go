package api

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rawConn is a stream's connection once taken from net/http (hijacked).
// Writes made while it is held gather in a buffer from a pool and leave in
// one write when the last hold is released, so a WebSocket frame (header,
// payload) or a batch costs one syscall, and the connection keeps no write
// buffer while idle. Writes made while it is not held (the WebSocket
// library's pings and close frames) go straight to the socket. Every write
// to the socket is bounded by the write timeout.
type rawConn struct {
	net.Conn

	// mu guards held, buf and deadline, and is held across the write to
	// the socket, so gathered and direct writes never interleave. Taken
	// after the WebSocket library's own write lock, never before it.
	mu       sync.Mutex
	held     int
	buf      *[]byte
	deadline writeDeadline

	// reads, set for a WebSocket by wsHijack, lets its reads park
	// between messages (wsidle.go); nil: reads block as usual.
	reads *parkedReads
	// wait is how the connection waits for its client between reads
	// (idlewait.go); nil: reads block.
	wait *idleWait
}

func newRawConn(c net.Conn, timeout time.Duration) *rawConn {
	rc := &rawConn{Conn: c}
	rc.deadline = writeDeadline{set: c.SetWriteDeadline, timeout: timeout}
	return rc
}

// Close closes the socket and wakes a wait parked in the poller, whose
// read then finds the connection closed and ends it.
func (c *rawConn) Close() error {
	err := c.Conn.Close()
	if c.wait != nil {
		c.wait.wake()
	}
	return err
}

// hijack takes w's connection from net/http. Bytes the client sent after
// its request are dropped: a stream's client has nothing more to say on
// it (callers that read, such as the WebSocket, use wsHijack instead).
func hijack(w http.ResponseWriter, timeout time.Duration) (*rawConn, error) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, err
	}
	rc := newRawConn(c, timeout)
	rc.wait = newIdleWait(c)
	return rc, nil
}

// Read reads from the socket. For a WebSocket whose reads may park, a
// read between messages with nothing to read returns errParked instead
// of blocking (wsidle.go).
func (c *rawConn) Read(p []byte) (int, error) {
	r := c.reads
	if r == nil {
		return c.Conn.Read(p)
	}
	if r.park() {
		return 0, errParked
	}
	n, err := c.Conn.Read(p)
	r.frames.feed(p[:n])
	return n, err
}

// Write sends p, or gathers it while the connection is held.
func (c *rawConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held > 0 {
		if c.buf == nil {
			c.buf = framePool.Get().(*[]byte)
			*c.buf = (*c.buf)[:0]
		}
		*c.buf = append(*c.buf, p...)
		return len(p), nil
	}
	return c.writeLocked(p)
}

func (c *rawConn) writeLocked(p []byte) (int, error) {
	c.deadline.arm()
	return c.Conn.Write(p)
}

// hold starts gathering writes.
func (c *rawConn) hold() {
	c.mu.Lock()
	c.held++
	c.mu.Unlock()
}

// release ends a hold; the last one sends what was gathered, in one write.
func (c *rawConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held--
	if c.held > 0 || c.buf == nil {
		return nil
	}
	bp := c.buf
	c.buf = nil
	_, err := c.writeLocked(*bp)
	putFrame(bp)
	return err
}

// discard reads and drops what the client sent, which is how a
// server-to-client stream notices that its client has gone: it reports
// false once the connection is over.
func (c *rawConn) discard() bool {
	// A client has nothing to say on such a stream, but one that talks
	// anyway costs a wake-up per read: 512 bytes each, not 16.
	var b [512]byte
	_, err := c.Conn.Read(b[:])
	return err == nil
}

// wsReadBuffer and wsWriteBuffer size the buffers the WebSocket library
// keeps for a connection's life. Reads are a client's sends and its
// answers to pings, a few a minute: a frame's header and first bytes come
// through the buffer and the rest of a larger one is read straight into
// the message, so 64 bytes cost a send at most one more read(2) than 512
// did (on top of the peeks an idle reader's wait makes, see wsidle.go)
// and save every idle connection 448 bytes (about 1 KiB of RSS with the
// collector's headroom). Writes gather in rawConn while held, so the
// writer only needs room for a control frame.
const (
	wsReadBuffer  = 64
	wsWriteBuffer = 128
)

// wsHijack hands the WebSocket library a rawConn with small buffers in
// place of net/http's (4 KiB each, kept for the connection's life).
type wsHijack struct {
	http.ResponseWriter
	timeout time.Duration
	conn    *rawConn
}

// Hijack takes the connection from net/http.
func (h *wsHijack) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = newRawConn(c, h.timeout)
	r := bufio.NewReaderSize(h.conn, wsReadBuffer)
	if brw.Reader.Buffered() > 0 {
		// The client sent frames right behind its upgrade request: they are
		// in net/http's reader, which the library reads them from. Its
		// reads do not park: the tracker would not see those bytes.
		r = brw.Reader
	} else if w := newIdleWait(c); w != nil {
		h.conn.wait = w
		h.conn.reads = &parkedReads{socket: w.socket}
		h.conn.reads.parking.Store(true)
	}
	return h.conn, bufio.NewReadWriter(r, bufio.NewWriterSize(h.conn, wsWriteBuffer)), nil
}

// Unwrap lets http.ResponseController reach the response underneath.
func (h *wsHijack) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// chunkedResponse writes an HTTP/1.1 response with chunked encoding on a
// hijacked connection: the status line and headers go with the first chunk.
type chunkedResponse struct {
	conn *rawConn
	head []byte // not yet sent
}

func newChunkedResponse(conn *rawConn, h http.Header) *chunkedResponse {
	head := []byte("HTTP/1.1 200 OK\r\n")
	hb := &headerBuffer{b: head}
	h.Write(hb)
	head = hb.b
	head = append(head, "Date: "...)
	head = time.Now().UTC().AppendFormat(head, http.TimeFormat)
	head = append(head, "\r\nTransfer-Encoding: chunked\r\n\r\n"...)
	return &chunkedResponse{conn: conn, head: head}
}

// headerBuffer collects http.Header.Write's output.
type headerBuffer struct{ b []byte }

func (w *headerBuffer) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// send frames (*bp)[headroom:] as one chunk, its size line written into
// the headroom, and writes it.
func (o *chunkedResponse) send(bp *[]byte) error {
	n := len(*bp) - headroom
	if n == 0 {
		return nil
	}
	var line [headroom]byte
	size := strconv.AppendInt(line[:0], int64(n), 16)
	size = append(size, '\r', '\n')
	start := headroom - len(size)
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

func (o *chunkedResponse) idle() {}

// lastChunk ends a chunked body (no trailers).
const lastChunk = "0\r\n\r\n"

// endWait bounds the write of the last chunk: a client that cannot take
// five bytes within it (a stalled reader, cut for falling behind) is hung
// up on without them rather than hold the writer for a whole write
// timeout.
const endWait = time.Second

// end writes the last chunk (after the head, if no chunk went before it),
// so the client sees a complete response rather than a cut connection.
func (o *chunkedResponse) end() {
	b := append(o.head, lastChunk...)
	o.head = nil
	o.conn.mu.Lock()
	defer o.conn.mu.Unlock()
	o.conn.Conn.SetWriteDeadline(time.Now().Add(endWait))
	o.conn.Conn.Write(b) // the connection is hung up next either way
}

// close ends the connection; the reader sees it and cleans up.
func (c *rawConn) close() { c.Close() }
