package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hark/app/protocol"
	"hark/internal/testkit"
)

// Close ends every stream: WebSockets with 1012 so clients reconnect
// elsewhere, SSE and polls by ending the response; new work is refused.
func TestCloseEndsStreams(t *testing.T) {
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	ws := ts.openWS(t, streamQuery(alice.Token, nil, ""))
	sse := ts.openSSE(t, streamQuery(alice.Token, nil, ""), nil)
	for _, c := range []*client{ws, sse} {
		c.hello(t)
	}
	// A poll that is waiting when the server closes.
	pollDone := make(chan response, 1)
	go func() {
		pollDone <- ts.do(t, request{method: "GET", path: "/api/poll?since=" + itoa(ts.api.Chat().Head()), token: alice.Token})
	}()
	testkit.Eventually(t, "the poll to be open", func() bool { return ts.api.Chat().Stats().Streams == 3 })

	ts.api.Chat().Close()
	if err := ws.waitEnd(t); closeCode(err) != websocket.StatusServiceRestart {
		t.Errorf("WebSocket ended with %v, want close 1012", err)
	}
	if err := sse.waitEnd(t); err != io.EOF {
		t.Errorf("SSE ended with %v, want the response's proper end (io.EOF)", err)
	}
	select {
	case r := <-pollDone:
		if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"events":[]}` {
			t.Errorf("the waiting poll answered %d %s", r.status, r.body)
		}
	case <-time.After(wait):
		t.Fatal("the waiting poll was not answered")
	}
	ts.tryRegister(t, "Bob").wantError(t, 503, protocol.CodeUnavailable, "shutting down")
	ts.do(t, request{method: "GET", path: "/api/poll", token: alice.Token}).wantError(t, 503, protocol.CodeUnavailable, "shutting down")
	if r := ts.do(t, request{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("/healthz while draining: %d", r.status)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	ts := newServer(t, nil)
	if r := ts.do(t, request{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Fatalf("/healthz: %d %s", r.status, r.body)
	}
	alice := ts.register(t, "Alice")
	ts.tryRegister(t, "alice")
	ws := ts.openWS(t, streamQuery(alice.Token, nil, ""))
	ws.hello(t)
	seq := ts.send(t, alice.Token, "m", "", "counted")
	ws.until(t, seq)

	r := ts.do(t, request{method: "GET", path: "/metrics"})
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	body := string(r.body)
	for _, want := range []string{
		`hark_streams_open{transport="ws"} 1`,
		`hark_streams_open{transport="sse"} 0`,
		`hark_streams_open{transport="poll"} 0`,
		`hark_registrations_refused_total{reason="name_taken"} 1`,
		`hark_sends_total{outcome="ok"} 1`,
		`hark_events_logged_total 2`,
		"hark_deliveries_total ",
		"hark_drops_total 0",
		"hark_slow_consumer_disconnects_total 0",
		"hark_online 1",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grepLines(body, "hark_"))
		}
	}
}

// Tokens never reach the logs, wherever they travel: the Authorization
// header, the query string of SSE and WebSocket, failed requests.
func TestTokensNeverLogged(t *testing.T) {
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	ts.send(t, alice.Token, "m", "bob", "hi")
	ts.openSSE(t, streamQuery(alice.Token, at(0), ""), nil).hello(t)
	ts.openWS(t, streamQuery(bob.Token, at(0), "")).hello(t)
	ts.openPoll(t, bob.Token, nil, "").hello(t)
	ts.do(t, request{method: "GET", path: "/api/events?since=x&token=" + alice.Token})
	ts.do(t, request{method: "POST", path: "/api/messages?token=" + alice.Token, body: "{"})
	ts.do(t, request{method: "GET", path: "/api/nothing/" + alice.Token, token: alice.Token})
	ts.leave(t, alice.Token)
	ts.do(t, request{method: "GET", path: "/api/history", token: alice.Token})
	ts.api.Chat().Close()

	logs := ts.logs.String()
	// The logs are there and say things, so the search below means
	// something.
	for _, want := range []string{"registered", "name=Alice", `route="GET /api/events"`, "status=401", "left"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, tok := range []string{alice.Token, bob.Token} {
		if strings.Contains(logs, tok) {
			t.Fatalf("token %s is in the logs:\n%s", tok, logs)
		}
	}
}

// The SSE wire: retry once, hello as data only, each sequenced event as
// id + data, pings as comments.
func TestSSEFraming(t *testing.T) {
	ts := newServer(t, func(c *config) { c.PingInterval = 50 * time.Millisecond })
	alice := ts.register(t, "Alice")
	resp, cancel := ts.getSSE(t, streamQuery(alice.Token, nil, ""), nil)
	defer cancel()
	defer resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	// The server takes an HTTP/1.1 stream's connection from net/http and
	// closes it when the stream ends: a client must not reuse it for its
	// next request, which would meet a closed socket.
	if !resp.Close {
		t.Error("an SSE response over HTTP/1.1 does not say Connection: close")
	}
	br := bufio.NewReader(resp.Body)
	line := func() string {
		t.Helper()
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		return l
	}
	if got := line() + line(); got != "retry: 1000\n\n" {
		t.Fatalf("stream starts %q, want the retry field", got)
	}
	hello := line()
	if !strings.HasPrefix(hello, `data: {"seq":`) || !strings.Contains(hello, `"type":"hello"`) || line() != "\n" {
		t.Fatalf("second frame %q, want the hello as data only", hello)
	}
	seq := ts.send(t, alice.Token, "m-1", "", "line one\nline two")
	// Pings may come between; the event is id then data, and its JSON
	// keeps the newline escaped on one line.
	for {
		l := line()
		if l == ": ping\n" {
			if line() != "\n" {
				t.Fatal("a ping is not followed by a blank line")
			}
			continue
		}
		if l != "id: "+itoa(seq)+"\n" {
			t.Fatalf("got %q, want the id of seq %d", l, seq)
		}
		break
	}
	data := line()
	var e protocol.Event
	if !strings.HasPrefix(data, "data: ") || json.Unmarshal([]byte(strings.TrimPrefix(data, "data: ")), &e) != nil || e.Text != "line one\nline two" || line() != "\n" {
		t.Fatalf("data line %q", data)
	}
	// Pings keep coming while nothing happens.
	pings := 0
	for pings < 2 {
		switch l := line(); l {
		case ": ping\n":
			pings++
		case "\n":
		default:
			t.Fatalf("got %q, want pings", l)
		}
	}
}

// WebSocket streams are kept alive with pings, which the client answers.
func TestWebSocketPings(t *testing.T) {
	ts := newServer(t, func(c *config) { c.PingInterval = 30 * time.Millisecond })
	alice := ts.register(t, "Alice")
	var pings atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/api/ws?" + streamQuery(alice.Token, nil, "")
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool {
		pings.Add(1)
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := ts.readWS(t, conn)
	c.hello(t)
	testkit.Eventually(t, "three pings", func() bool { return pings.Load() >= 3 })
	// Answered pings keep the stream open and working.
	seq := ts.send(t, alice.Token, "m", "", "alive")
	if evs := messages(c.until(t, seq)); len(evs) != 1 {
		t.Fatalf("got %+v", evs)
	}
}

// A long poll answers as soon as an event exists, and with an empty list
// after the poll wait.
func TestPollWait(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		const pollWait = 200 * time.Millisecond
		ts := newServer(t, func(c *config) { c.PollWait = pollWait })
		alice := ts.register(t, "Alice")
		start := time.Now()
		r := ts.do(t, request{method: "GET", path: "/api/poll?since=" + itoa(ts.api.Chat().Head()) + "&epoch=" + alice.Epoch, token: alice.Token})
		if took := time.Since(start); r.status != 200 || string(r.body) != "{\"events\":[]}\n" || took < pollWait {
			t.Errorf("after %v: %d %q, want an empty list after %v", took, r.status, r.body, pollWait)
		}
		// Without since, the first answer is the hello, at once.
		var evs protocol.Events
		ts.do(t, request{method: "GET", path: "/api/poll", token: alice.Token}).decode(t, &evs)
		if len(evs.Events) != 1 || evs.Events[0].Type != protocol.TypeHello || evs.Events[0].Name != "Alice" {
			t.Errorf("first poll: %+v", evs.Events)
		}
	})
	t.Run("early", func(t *testing.T) {
		ts := newServer(t, func(c *config) { c.PollWait = 25 * time.Second })
		alice := ts.register(t, "Alice")
		done := make(chan response, 1)
		start := time.Now()
		go func() {
			done <- ts.do(t, request{method: "GET", path: "/api/poll?since=" + itoa(ts.api.Chat().Head()), token: alice.Token})
		}()
		testkit.Eventually(t, "the poll to be open", func() bool { return ts.api.Chat().Stats().Streams == 1 })
		seq := ts.send(t, alice.Token, "m", "", "wake up")
		select {
		case r := <-done:
			var evs protocol.Events
			r.decode(t, &evs)
			if len(evs.Events) != 1 || evs.Events[0].Seq != seq {
				t.Errorf("poll answered %s", r.body)
			}
		case <-time.After(wait):
			t.Fatalf("the poll was not answered %v after the send", time.Since(start))
		}
	})
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
