//go:build unix

package api_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hark/app/protocol"
	"hark/internal/testkit"
)

// stallingClient is an HTTP client whose sockets have a tiny receive
// buffer, so that a stream it does not read backs up into the server at
// once instead of into megabytes of loopback buffers.
func stallingClient() *http.Client {
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// smallSendBuffers gives the server's sockets a small send buffer, the
// other half of what stallingClient does.
func smallSendBuffers(ln net.Listener) net.Listener { return smallBufListener{ln} }

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// openStalled opens a WebSocket and an SSE stream for s over sockets with
// tiny buffers, and does not read them.
func openStalled(t *testing.T, ts *testServer, s protocol.Session) (*websocket.Conn, *http.Response, context.CancelFunc) {
	t.Helper()
	slow := stallingClient()
	t.Cleanup(slow.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/api/ws?" + streamQuery(s.Token, at(s.Seq), s.Epoch)
	ws, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: slow})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	sseCtx, sseCancel := context.WithCancel(context.Background())
	t.Cleanup(sseCancel)
	req, _ := http.NewRequestWithContext(sseCtx, "GET", ts.URL+"/api/events?"+streamQuery(s.Token, at(s.Seq), s.Epoch), nil)
	resp, err := slow.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stalled SSE: %v %v", err, resp)
	}
	return ws, resp, sseCancel
}

// readCutAndResume reads a stream the server cut for falling behind: it
// must hand out every event from the start on, in order, with no gap, up to
// where it was cut (a WebSocket with close 1013), and a resume from the
// last seq read must give the rest, each once, up to last.
func readCutAndResume(t *testing.T, ts *testServer, c *client, s protocol.Session, last uint64, n int) {
	t.Helper()
	var got []uint64
	for {
		e, ok := c.next(wait)
		if !ok {
			break
		}
		if e.Sequenced() {
			got = append(got, e.Seq)
		}
	}
	err := c.waitEnd(t)
	if c.transport == "ws" && closeCode(err) != websocket.StatusTryAgainLater {
		t.Errorf("the stalled WebSocket ended with %v, want close 1013", err)
	}
	if c.transport == "sse" && err != io.EOF {
		t.Errorf("the stalled SSE stream ended with %v, want the response's proper end (io.EOF)", err)
	}
	if len(got) == 0 || len(got) >= n {
		t.Fatalf("stalled %s client read %d events before its end", c.transport, len(got))
	}
	t.Logf("stalled %s client read %d events before it was cut off", c.transport, len(got))
	for i, seq := range got {
		if seq != s.Seq+1+uint64(i) {
			t.Fatalf("stalled %s client read %v before its end: a gap or a reorder at %d", c.transport, got, i)
		}
	}
	from := got[len(got)-1]
	again := ts.open(t, c.transport, s.Token, at(from), s.Epoch)
	got = append(got, seqs(again.until(t, last))...)
	want := make([]uint64, 0, len(got))
	for seq := s.Seq + 1; seq <= last; seq++ {
		want = append(want, seq)
	}
	if !slices.Equal(got, want) {
		t.Errorf("stalled %s client, with its resume, got %d events from %d to %d; want each of %d to %d once", c.transport, len(got), got[0], got[len(got)-1], s.Seq+1, last)
	}
	again.Close()
}

// With a queue of two events, a stalled stream is cut as soon as it falls
// two behind; what it hands out before its end has no gap (nothing queued
// after the dropped event goes out), and the resume gives the rest.
func TestTinyQueueOverflow(t *testing.T) {
	const n = 60
	ts := newServerOn(t, func(c *config) { c.Chat.QueueLen = 2 }, smallSendBuffers)
	alice := ts.register(t, "Alice")
	stalled := ts.register(t, "Stalled")
	ws, sseResp, sseCancel := openStalled(t, ts, stalled)
	text := strings.Repeat("x", 2000)
	var last uint64
	for i := range n {
		last = ts.send(t, alice.Token, "s-"+strconv.Itoa(i), "", text)
	}
	testkit.Eventually(t, "both stalled streams to be cut", func() bool { return ts.api.Chat().Stats().SlowDisconnects >= 2 })
	readCutAndResume(t, ts, ts.readWS(t, ws), stalled, last, n)
	readCutAndResume(t, ts, readSSE(t, sseResp, sseCancel), stalled, last, n)
}

// A WebSocket client and an SSE client that never read while 1,000
// messages go out: everyone else gets every message promptly, the stalled
// ones are disconnected (close 1013; the SSE response ends) and resume with
// since, missing nothing.
func TestStalledReaders(t *testing.T) {
	const n = 1000
	ts := newServerOn(t, func(c *config) {
		c.Chat.QueueLen = 256
		// Every event written at once: with the write delay, a reader
		// blasted with 1,000 messages of 2 KB through 8 KB socket buffers
		// while other packages' tests load the machine sometimes fell 256
		// behind and was cut too (it would resume; these readers do not).
		// The delay's own rules are TestBusyStreamWritesAreHeldBack's.
		c.WriteDelay = -1
		// Far longer than the test may take: were delivery held up by a
		// blocked write, the others would wait this long.
		c.WriteTimeout = 30 * time.Second
	}, smallSendBuffers)
	alice := ts.register(t, "Alice")
	stalled := ts.register(t, "Stalled")
	stalledWS, sseResp, sseCancel := openStalled(t, ts, stalled)

	// The others, one per transport.
	var others []*client
	for i, tr := range transports {
		s := ts.register(t, "Reader "+strconv.Itoa(i))
		others = append(others, ts.open(t, tr, s.Token, at(s.Seq), s.Epoch))
	}

	text := strings.Repeat("x", 2000)
	start := time.Now()
	var last uint64
	for i := range n {
		last = ts.send(t, alice.Token, "s-"+strconv.Itoa(i), "", text)
		if i%128 == 127 {
			// The others read as they come (into their clients'
			// buffers), but a loaded machine can starve a reader while
			// one goroutine sends as fast as loopback allows, and a
			// reader 256 behind is cut like the stalled ones (and these
			// do not resume). Every 128 sends, the sender waits for them:
			// what is claimed is that the stalled ones hold nobody up.
			for _, c := range others {
				testkit.Eventually(t, c.transport+" reader to keep up", func() bool { return len(c.ch) > i })
			}
		}
	}
	var wg sync.WaitGroup
	for _, c := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got []string
			deadline := time.Now().Add(wait)
			for len(got) < n {
				e, ok := c.next(time.Until(deadline))
				if !ok {
					t.Errorf("%s reader got %d of %d messages", c.transport, len(got), n)
					return
				}
				if e.Type == protocol.TypeMessage {
					got = append(got, e.ID)
				}
			}
			for i, id := range got {
				if id != "s-"+strconv.Itoa(i) {
					t.Errorf("%s reader: message %d is %s", c.transport, i, id)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("the others had all %d messages %v after the first send", n, time.Since(start))
	if st := ts.api.Chat().Stats(); st.SlowDisconnects < 2 {
		t.Fatalf("%d slow-consumer disconnects, want the two stalled streams", st.SlowDisconnects)
	}

	// Now the stalled ones read: what was already on its way, then the
	// end of the stream, and then they resume from their last seq.
	readCutAndResume(t, ts, ts.readWS(t, stalledWS), stalled, last, n)
	readCutAndResume(t, ts, readSSE(t, sseResp, sseCancel), stalled, last, n)

	// At least the two stalled streams; on a loaded machine a reader that
	// fell behind may have been cut too, and resumed like them.
	m := string(ts.do(t, request{method: "GET", path: "/metrics"}).body)
	var disconnects int
	for _, line := range strings.Split(m, "\n") {
		if v, ok := strings.CutPrefix(line, "hark_slow_consumer_disconnects_total "); ok {
			disconnects, _ = strconv.Atoi(v)
		}
	}
	if disconnects < 2 || !strings.Contains(m, "hark_drops_total ") {
		t.Errorf("/metrics: %d slow-consumer disconnects (want at least 2), or no drops counted:\n%s", disconnects, grepLines(m, "hark_"))
	}
}
