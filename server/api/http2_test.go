package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/sse"
	"hark/internal/testkit"
	"hark/server/api"
	"hark/server/chat"
)

// Over HTTP/2 a write deadline is a timer on the stream that resets it
// (INTERNAL_ERROR) when it fires, even while nothing is being written. These
// tests serve with TLS and HTTP/2, a write timeout far shorter than the
// wait, and check that a quiet stream survives many write timeouts and then
// delivers.

const (
	h2WriteTimeout = 200 * time.Millisecond
	// Longer than the write timeout, so that a deadline left pending
	// after a ping fires before the next ping renews it.
	h2PingInterval = 500 * time.Millisecond
	// Quiet for this long: several write timeouts and pings.
	h2Quiet = 8 * h2WriteTimeout
	// How long the broadcast may take to arrive: the test fails, never
	// hangs.
	h2Wait = testkit.Wait
)

// newHTTP2Server serves the API over TLS with HTTP/2 (a self-signed
// certificate, which ts.Client trusts), with small write timeout, ping
// interval and poll wait.
func newHTTP2Server(t *testing.T, pollWait time.Duration) *testServer {
	t.Helper()
	cfg := fastConfig()
	cfg.WriteTimeout = h2WriteTimeout
	cfg.PingInterval = h2PingInterval
	cfg.PollWait = pollWait
	ts := &testServer{logs: &testkit.Buffer{}}
	cfg.Logger = slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Chat.Logger = cfg.Logger
	ts.api = api.New(chat.New(chat.MemoryStore(cfg.Store, nil), cfg.Chat), cfg.Config)
	ts.Server = httptest.NewUnstartedServer(ts.api)
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(func() {
		ts.api.Chat().Close()
		ts.Server.Close()
	})
	return ts
}

// sseEvent is one thing read from an SSE stream: an event, a ping, or the
// error that ended the stream.
type sseEvent struct {
	event protocol.Event
	ping  bool
	err   error
}

func TestHTTP2IdleSSEStreamSurvivesWriteTimeouts(t *testing.T) {
	ts := newHTTP2Server(t, 2*time.Second)
	listener := ts.register(t, "Listener")
	speaker := ts.register(t, "Speaker")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/events?"+streamQuery(listener.Token, at(listener.Seq), listener.Epoch), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("GET /api/events: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/events: %d %s", resp.StatusCode, readAll(t, resp))
	}
	if resp.ProtoMajor != 2 {
		t.Fatalf("the stream is %s, want HTTP/2", resp.Proto)
	}

	got := make(chan sseEvent, 64)
	go func() {
		p := sse.NewParser(resp.Body)
		p.OnField = func(name, value string) {
			if name == "" && value == "ping" {
				got <- sseEvent{ping: true}
			}
		}
		for {
			f, err := p.Next()
			if err != nil {
				got <- sseEvent{err: err}
				return
			}
			var e protocol.Event
			if err := json.Unmarshal([]byte(f.Data), &e); err != nil {
				got <- sseEvent{err: err}
				return
			}
			got <- sseEvent{event: e}
		}
	}()

	// Quiet: nothing but pings may come, and the stream must not end, for
	// h2Quiet and until two pings came (however late a loaded machine
	// sends them).
	start := time.Now()
	pings := 0
	giveUp := time.After(testkit.Wait)
	for quiet := time.After(h2Quiet); quiet != nil || pings < 2; {
		select {
		case ev := <-got:
			switch {
			case ev.err != nil:
				t.Fatalf("the idle HTTP/2 stream ended after %v (write timeout %v, %d pings): %v",
					time.Since(start).Round(time.Millisecond), h2WriteTimeout, pings, ev.err)
			case ev.ping:
				pings++
			case ev.event.Type == protocol.TypeMessage:
				t.Fatalf("a message while quiet: %+v", ev.event)
			}
		case <-quiet:
			quiet = nil
		case <-giveUp:
			t.Fatalf("%d pings in %v, with a ping interval of %v", pings, testkit.Wait, h2PingInterval)
		}
	}

	// Then a broadcast arrives on the same stream.
	seq := ts.send(t, speaker.Token, "after-quiet", "", "still there?")
	timeout := time.After(h2Wait)
	for {
		select {
		case ev := <-got:
			if ev.err != nil {
				t.Fatalf("the HTTP/2 stream ended before the broadcast (seq %d) arrived: %v", seq, ev.err)
			}
			if ev.event.Type == protocol.TypeMessage && ev.event.ID == "after-quiet" {
				return
			}
		case <-timeout:
			t.Fatalf("the broadcast (seq %d) did not arrive within %v of being sent", seq, h2Wait)
		}
	}
}

func TestHTTP2LongPollHeldPastWriteTimeouts(t *testing.T) {
	// The poll waits longer than the quiet stretch, so it is still held
	// when the broadcast comes.
	ts := newHTTP2Server(t, h2Quiet+h2Wait)
	listener := ts.register(t, "Listener")
	speaker := ts.register(t, "Speaker")

	// A first poll, without since, answers at once with the hello: the
	// head to poll from.
	first := ts.do(t, request{method: "GET", path: "/api/poll", token: listener.Token})
	var hello struct {
		Events []protocol.Event `json:"events"`
	}
	first.decode(t, &hello)
	if first.status != http.StatusOK || len(hello.Events) == 0 || hello.Events[0].Type != protocol.TypeHello {
		t.Fatalf("first poll: %d %s, want a hello", first.status, first.body)
	}
	since, epoch := hello.Events[0].Seq, hello.Events[0].Epoch
	for _, e := range hello.Events {
		if e.Sequenced() {
			since = e.Seq
		}
	}

	type answer struct {
		resp *http.Response
		body []byte
		err  error
	}
	done := make(chan answer, 1)
	ctx, cancel := context.WithTimeout(context.Background(), h2Quiet+h2Wait+5*time.Second)
	defer cancel()
	q := url.Values{"since": {strconv.FormatUint(since, 10)}, "epoch": {epoch}}
	req, err := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/poll?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+listener.Token)
	start := time.Now()
	go func() {
		resp, err := ts.Client().Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- answer{resp: resp, body: b, err: err}
	}()

	select {
	case a := <-done:
		t.Fatalf("the poll was answered after %v, before any event (write timeout %v): %+v %q %v",
			time.Since(start).Round(time.Millisecond), h2WriteTimeout, a.resp, a.body, a.err)
	case <-time.After(h2Quiet):
	}

	seq := ts.send(t, speaker.Token, "after-quiet", "", "still there?")
	var a answer
	select {
	case a = <-done:
	case <-time.After(h2Wait):
		t.Fatalf("the held poll was not answered within %v of the broadcast (seq %d)", h2Wait, seq)
	}
	if a.err != nil {
		t.Fatalf("the poll held for %v over HTTP/2 failed: %v", h2Quiet, a.err)
	}
	if a.resp.ProtoMajor != 2 {
		t.Fatalf("the poll went over %s, want HTTP/2", a.resp.Proto)
	}
	if a.resp.StatusCode != http.StatusOK {
		t.Fatalf("the held poll answered %d %s", a.resp.StatusCode, a.body)
	}
	var evs struct {
		Events []protocol.Event `json:"events"`
	}
	if err := json.Unmarshal(a.body, &evs); err != nil {
		t.Fatalf("poll answer %q: %v", a.body, err)
	}
	if !has(evs.Events, "after-quiet") {
		t.Fatalf("the held poll answered without the broadcast (seq %d): %q", seq, a.body)
	}
}
