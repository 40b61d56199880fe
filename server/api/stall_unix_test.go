//go:build unix

package api_test

import (
	"context"
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
	"hark/server/api"
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

// A WebSocket client and an SSE client that never read while 1,000
// messages go out: everyone else gets every message promptly, the stalled
// ones are disconnected (close 1013; the SSE response ends) and resume with
// since, missing nothing.
func TestStalledReaders(t *testing.T) {
	const n = 1000
	ts := newServerOn(t, func(c *api.Config) {
		c.Chat.QueueLen = 256
		// Far longer than the test may take: were delivery held up by a
		// blocked write, the others would wait this long.
		c.WriteTimeout = 30 * time.Second
	}, smallSendBuffers)
	alice := ts.register(t, "Alice")
	stalled := ts.register(t, "Stalled")
	slow := stallingClient()
	defer slow.CloseIdleConnections()

	// The stalled WebSocket.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/api/ws?" + streamQuery(stalled.Token, at(stalled.Seq), stalled.Epoch)
	stalledWS, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: slow})
	if err != nil {
		t.Fatal(err)
	}
	stalledWS.SetReadLimit(1 << 20)
	// The stalled SSE stream.
	sseCtx, sseCancel := context.WithCancel(context.Background())
	defer sseCancel()
	req, _ := http.NewRequestWithContext(sseCtx, "GET", ts.URL+"/api/events?"+streamQuery(stalled.Token, at(stalled.Seq), stalled.Epoch), nil)
	sseResp, err := slow.Do(req)
	if err != nil || sseResp.StatusCode != 200 {
		t.Fatalf("stalled SSE: %v %v", err, sseResp)
	}

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
	ws := ts.readWS(t, stalledWS)
	sse := readSSE(t, sseResp, sseCancel)
	for _, c := range []*client{ws, sse} {
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
		if c == ws && closeCode(err) != websocket.StatusTryAgainLater {
			t.Errorf("the stalled WebSocket ended with %v, want close 1013", err)
		}
		if len(got) == 0 || len(got) >= n {
			t.Fatalf("stalled %s client read %d events before its end", c.transport, len(got))
		}
		t.Logf("stalled %s client read %d events before it was cut off", c.transport, len(got))
		from := got[len(got)-1]
		again := ts.open(t, c.transport, stalled.Token, at(from), stalled.Epoch)
		got = append(got, seqs(again.until(t, last))...)
		want := make([]uint64, 0, len(got))
		for s := stalled.Seq + 1; s <= last; s++ {
			want = append(want, s)
		}
		if !slices.Equal(got, want) {
			t.Errorf("stalled %s client, with its resume, got %d events from %d to %d; want each of %d to %d once", c.transport, len(got), got[0], got[len(got)-1], stalled.Seq+1, last)
		}
		again.Close()
	}

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
