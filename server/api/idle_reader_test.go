package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/deliver"
)

// An idle WebSocket's reader waits outside the WebSocket library, even
// after keep-alives it must read the answers to (deliver's wsidle.go);
// where the poller exists (idlewait.go), an idle WebSocket or SSE stream
// holds no goroutine at all. The frames that do come are all read and answered: a
// send, and a send fragmented across a pause in the middle of its
// message. A client that goes, and a stream the server ends, are noticed
// and cleaned up as before.
func TestIdleReadersWaitOutsideTheLibrary(t *testing.T) {
	ts := newServer(t, func(c *config) { c.PingInterval = 20 * time.Millisecond })
	alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
	carol, dave := ts.register(t, "Carol"), ts.register(t, "Dave")
	c := ts.openWS(t, streamQuery(alice.Token, at(alice.Seq), alice.Epoch))
	c.hello(t)
	sse := ts.openSSE(t, streamQuery(bob.Token, at(bob.Seq), bob.Epoch), nil)
	sse.hello(t)
	endedWS := ts.openWS(t, streamQuery(carol.Token, at(carol.Seq), carol.Epoch))
	endedWS.hello(t)
	endedSSE := ts.openSSE(t, streamQuery(dave.Token, at(dave.Seq), dave.Epoch), nil)
	endedSSE.hello(t)
	time.Sleep(200 * time.Millisecond) // several pings, each answered

	// Parked, no goroutine is reading inside the library; a read that
	// does not park blocks there for good. A goroutine caught reading
	// a pong is let go: it lasts microseconds.
	waitIdle := func(when string, streams int) {
		t.Helper()
		want := streams // one waiting goroutine per stream
		if deliver.PollsIdle() {
			want = 0
		}
		deadline := time.Now().Add(wait)
		for {
			stacks := testkit.Goroutines()
			waiting := strings.Count(stacks, "deliver.(*Conn).ServeReads(") + strings.Count(stacks, "deliver.(*idleWait).resume(")
			reading := strings.Count(stacks, "api.(*Server).readFrames(")
			if waiting == want && reading == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d goroutines waiting for %d streams' clients, %d reading in readFrames; want %d and 0", when, waiting, streams, reading, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitIdle("after pings", 4)

	c.writeWS(t, protocol.Send{Type: protocol.TypeSend, ID: "one", Text: "hi"})
	c.expect(t, "ack of one", func(e protocol.Event) bool { return e.Type == protocol.TypeAck && e.ID == "one" })

	// A message in two frames with a pause between: the reader must wait
	// inside the message, not park in the middle of it.
	body := `{"type":"send","id":"two","text":"fragmented"` + strings.Repeat(" ", 6000) + `}`
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	w, err := c.ws.Writer(ctx, websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(body[:5000])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := w.Write([]byte(body[5000:])); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "ack of two", func(e protocol.Event) bool { return e.Type == protocol.TypeAck && e.ID == "two" })
	waitIdle("after sends", 4)

	// The server ends Carol's and Dave's streams: the clients are told,
	// and each connection's wait, parked or not, ends with it. The
	// WebSocket's client answers the close; the SSE stream's connection is
	// closed by the server alone, which must wake its wait.
	ts.leave(t, carol.Token)
	endedWS.waitEnd(t)
	ts.leave(t, dave.Token)
	endedSSE.waitEnd(t)
	testkit.Eventually(t, "Carol's and Dave's streams to close on the server", func() bool { return ts.streamsOpen(t, "ws") == 1 && ts.streamsOpen(t, "sse") == 1 })
	waitIdle("after the server ended two streams", 2)

	// Clients that go are noticed while their connections wait.
	sse.Close()
	testkit.Eventually(t, "Bob's SSE stream to close on the server", func() bool { return ts.streamsOpen(t, "sse") == 0 })
	c.Close()
	testkit.Eventually(t, "Alice's WebSocket to close on the server", func() bool { return ts.streamsOpen(t, "ws") == 0 })
	waitIdle("after the clients went", 0)
}

// streamsOpen is the server's count of tr's open streams, from /metrics:
// a connection's end (idlewait.go) is what counts a stream closed.
func (ts *testServer) streamsOpen(t *testing.T, tr string) int {
	t.Helper()
	r := ts.do(t, request{method: "GET", path: "/metrics"})
	prefix := `hark_streams_open{transport="` + tr + `"} `
	for line := range strings.Lines(string(r.body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("/metrics: %q", line)
			}
			return n
		}
	}
	t.Fatalf("/metrics has no %s", prefix)
	return 0
}

// Connections whose waits are parked end from both sides at once, with
// sends and keep-alives in flight: every stream's end runs (the server
// counts none open) and the poller forgets every connection.
func TestParkedWaitsEndUnderChurn(t *testing.T) {
	ts := newServer(t, func(c *config) { c.PingInterval = 10 * time.Millisecond })
	const n = 40
	type conn struct {
		c     *client
		token string
	}
	var conns []conn
	for i := range n {
		s := ts.register(t, "user"+strconv.Itoa(i))
		q := streamQuery(s.Token, at(s.Seq), s.Epoch)
		var c *client
		if i%2 == 0 {
			c = ts.openWS(t, q)
		} else {
			c = ts.openSSE(t, q, nil)
		}
		c.hello(t)
		conns = append(conns, conn{c, s.Token})
	}
	// Every WebSocket client sends until its connection ends.
	var wg sync.WaitGroup
	for i, cn := range conns {
		if cn.c.ws == nil {
			continue
		}
		wg.Go(func() {
			ctx := context.Background()
			for k := 0; ; k++ {
				b, _ := json.Marshal(protocol.Send{Type: protocol.TypeSend, ID: fmt.Sprintf("m-%d-%d", i, k), Text: "churn"})
				if cn.c.ws.Write(ctx, websocket.MessageText, b) != nil {
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	for i, cn := range conns {
		if i%4 < 2 {
			cn.c.Close() // the client goes
		} else {
			ts.leave(t, cn.token) // the server ends the stream
		}
	}
	wg.Wait()
	testkit.Eventually(t, "every stream to close on the server", func() bool { return ts.streamsOpen(t, "ws") == 0 && ts.streamsOpen(t, "sse") == 0 })
	testkit.Eventually(t, "the poller to forget every connection", func() bool { return deliver.ParkedWaits() == 0 })
}
