package deliver

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

// Conn is a stream's connection once taken from net/http (Hijack,
// WebSocketResponse).
// Writes made while it is held gather in a buffer from a pool and leave in
// one write when the last hold is released, so a WebSocket frame (header,
// payload) or a batch costs one syscall, and the connection keeps no write
// buffer while idle. Writes made while it is not held (the WebSocket
// library's pings and close frames) go straight to the socket. Every write
// to the socket is bounded by the write timeout.
type Conn struct {
	net.Conn

	// mu guards held, buf and deadline, and is held across the write to
	// the socket, so gathered and direct writes never interleave. Taken
	// after the WebSocket library's own write lock, never before it.
	mu       sync.Mutex
	held     int
	buf      *[]byte
	deadline WriteDeadline

	// reads, set for a WebSocket by WebSocketResponse, lets its reads park
	// between messages (wsidle.go); nil: reads block as usual.
	reads *parkedReads
	// wait is how the connection waits for its client between reads
	// (idlewait.go); nil: reads block.
	wait *idleWait
}

func newConn(c net.Conn, timeout time.Duration) *Conn {
	rc := &Conn{Conn: c}
	rc.deadline = WriteDeadline{set: c.SetWriteDeadline, timeout: timeout}
	return rc
}

// Close closes the socket and wakes a wait parked in the poller, whose
// read then finds the connection closed and ends it.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	if c.wait != nil {
		c.wait.wake()
	}
	return err
}

// Hijack takes w's connection from net/http, its writes bounded by
// timeout. Bytes the client sent after its request are dropped: a
// stream's client has nothing more to say on it (callers that read, such
// as the WebSocket, use WebSocketResponse instead).
func Hijack(w http.ResponseWriter, timeout time.Duration) (*Conn, error) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, err
	}
	rc := newConn(c, timeout)
	rc.wait = newIdleWait(c)
	return rc, nil
}

// Read reads from the socket. For a WebSocket whose reads may park, a
// read between messages with nothing to read returns ErrParked instead
// of blocking (wsidle.go).
func (c *Conn) Read(p []byte) (int, error) {
	r := c.reads
	if r == nil {
		return c.Conn.Read(p)
	}
	if r.park() {
		return 0, ErrParked
	}
	n, err := c.Conn.Read(p)
	r.frames.feed(p[:n])
	return n, err
}

// Write sends p, or gathers it while the connection is held.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held > 0 {
		if c.buf == nil {
			c.buf = GetFrame()
			*c.buf = (*c.buf)[:0]
		}
		*c.buf = append(*c.buf, p...)
		return len(p), nil
	}
	return c.writeLocked(p)
}

func (c *Conn) writeLocked(p []byte) (int, error) {
	c.deadline.Arm()
	return c.Conn.Write(p)
}

// Hold starts gathering writes.
func (c *Conn) Hold() {
	c.mu.Lock()
	c.held++
	c.mu.Unlock()
}

// Release ends a hold; the last one sends what was gathered, in one write.
func (c *Conn) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held--
	if c.held > 0 || c.buf == nil {
		return nil
	}
	bp := c.buf
	c.buf = nil
	_, err := c.writeLocked(*bp)
	PutFrame(bp)
	return err
}

// Discard reads and drops what the client sent, which is how a
// server-to-client stream notices that its client has gone: it reports
// false once the connection is over.
func (c *Conn) Discard() bool {
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
// collector's headroom). Writes gather in Conn while held, so the
// writer only needs room for a control frame.
const (
	wsReadBuffer  = 64
	wsWriteBuffer = 128
)

// WebSocketResponse is the response a WebSocket is accepted on: it hands
// the WebSocket library a Conn with small buffers in place of net/http's
// (4 KiB each, kept for the connection's life), whose reads, between the
// client's messages, may wait for the client without a goroutine reading
// (wsidle.go).
type WebSocketResponse struct {
	http.ResponseWriter
	timeout time.Duration
	conn    *Conn
}

// NewWebSocketResponse wraps w, whose connection's writes will be bounded
// by timeout.
func NewWebSocketResponse(w http.ResponseWriter, timeout time.Duration) *WebSocketResponse {
	return &WebSocketResponse{ResponseWriter: w, timeout: timeout}
}

// Conn is the connection taken from net/http; nil before Hijack.
func (h *WebSocketResponse) Conn() *Conn { return h.conn }

// Hijack takes the connection from net/http.
func (h *WebSocketResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = newConn(c, h.timeout)
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
func (h *WebSocketResponse) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// StopParking makes the connection's reads block from now on, between
// messages too: the reads of a WebSocket's close handshake wait for the
// client's answer.
func (c *Conn) StopParking() {
	if r := c.reads; r != nil {
		r.parking.Store(false)
	}
}

// framePool holds the buffers frames are gathered and joined in; only
// moderate ones go back (PutFrame), so one huge burst does not pin memory.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledFrame = 64 << 10

// GetFrame takes an empty buffer from the pool that frames are gathered
// and joined in (Conn's, and the sinks'), so that an idle connection holds
// none.
func GetFrame() *[]byte { return framePool.Get().(*[]byte) }

// PutFrame gives bp back to the pool, unless it grew too large to keep.
func PutFrame(bp *[]byte) {
	if cap(*bp) <= maxPooledFrame {
		*bp = (*bp)[:0]
		framePool.Put(bp)
	}
}
