package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hark/app/protocol"
	"hark/internal/testkit"
)

// What a name's earlier holder sent and received directly is gone for
// whoever takes the name next, whatever its case or width, and whether the
// name was left or its grace ran out: in history, in a poll from the
// start, and in the SSE and WebSocket replays.
func TestNextHolderReadsNoEarlierDirectMessages(t *testing.T) {
	for _, tc := range []struct{ how, again string }{
		{"leave", "bob"}, {"leave", "ＢＯＢ"}, {"grace", "BOB"}, {"grace", "ｂｏｂ"},
	} {
		t.Run(tc.how+"/"+tc.again, func(t *testing.T) {
			// A grace long enough for the sends below on a loaded machine
			// (a registration with no stream lives for the grace), short
			// enough to wait out.
			grace := time.Minute
			if tc.how == "grace" {
				grace = time.Second
			}
			ts := newServer(t, func(c *config) { c.Chat.Grace = grace })
			alice := ts.register(t, "Alice")
			keep := ts.openSSE(t, streamQuery(alice.Token, nil, ""), nil) // alice stays
			keep.hello(t)
			bob := ts.register(t, "Bob")
			ts.send(t, alice.Token, "a-dm", "Bob", "secret for bob")
			ts.send(t, bob.Token, "b-dm", "Alice", "secret from bob")
			last := ts.send(t, alice.Token, "all", "", "for everyone")
			switch tc.how {
			case "leave":
				ts.leave(t, bob.Token)
			case "grace":
				testkit.Eventually(t, "bob's grace to run out", func() bool {
					return ts.do(t, request{method: "GET", path: "/api/users", token: alice.Token}).status == 200 &&
						!hasUser(t, ts, alice.Token, "Bob")
				})
			}
			next := ts.register(t, tc.again)

			var hist protocol.Events
			ts.do(t, request{method: "GET", path: "/api/history", token: next.Token}).decode(t, &hist)
			checkOnlyBroadcast(t, "history", hist.Events)

			var polled protocol.Events
			ts.do(t, request{method: "GET", path: "/api/poll?since=0", token: next.Token}).decode(t, &polled)
			checkOnlyBroadcast(t, "poll since=0", polled.Events)

			for _, tr := range []string{"sse", "ws"} {
				c := ts.open(t, tr, next.Token, at(0), "")
				checkOnlyBroadcast(t, tr+" replay", c.until(t, last))
				c.Close()
			}

			// Alice keeps her whole conversation.
			var hers protocol.Events
			ts.do(t, request{method: "GET", path: "/api/history", token: alice.Token}).decode(t, &hers)
			if len(hers.Events) != 3 {
				t.Fatalf("alice's history has %d messages, want 3", len(hers.Events))
			}
		})
	}
}

func checkOnlyBroadcast(t *testing.T, where string, evs []protocol.Event) {
	t.Helper()
	var texts []string
	for _, e := range messages(evs) {
		texts = append(texts, e.Text)
	}
	if fmt.Sprint(texts) != "[for everyone]" {
		t.Fatalf("%s shows the new holder of the name %q, want only the broadcast", where, texts)
	}
}

func hasUser(t *testing.T, ts *testServer, token, name string) bool {
	var u protocol.Users
	ts.do(t, request{method: "GET", path: "/api/users", token: token}).decode(t, &u)
	for _, n := range u.Users {
		if n == name {
			return true
		}
	}
	return false
}

// When a session leaves, every stream it has is ended at once on every
// transport (the WebSocket with close 1000), nothing more arrives on them,
// least of all a direct message to the next holder of the name, and an
// open WebSocket can send nothing more.
func TestLeaveEndsEveryStream(t *testing.T) {
	ts := newServer(t, nil)
	alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
	var olds []*client
	for _, tr := range transports {
		c := ts.open(t, tr, bob.Token, nil, "")
		c.hello(t)
		olds = append(olds, c)
	}
	ts.leave(t, bob.Token)
	for _, c := range olds {
		err := c.waitEnd(t)
		if c.transport == "ws" && closeCode(err) != websocket.StatusNormalClosure {
			t.Errorf("the WebSocket ended with %v, want close 1000", err)
		}
		if c.transport == "sse" && err != io.EOF {
			t.Errorf("SSE ended with %v, want the response's proper end (io.EOF)", err)
		}
	}
	next := ts.register(t, "BOB")
	ts.send(t, alice.Token, "dm", "bob", "for the next bob")
	for _, c := range olds {
		if e, ok := c.next(100 * time.Millisecond); ok {
			t.Errorf("the %s stream of the released session delivered %+v", c.transport, e)
		}
	}
	var hist protocol.Events
	ts.do(t, request{method: "GET", path: "/api/history", token: next.Token}).decode(t, &hist)
	if len(hist.Events) != 1 {
		t.Fatalf("the next bob's history: %+v", hist.Events)
	}
}

// A session released by its grace while a WebSocket it authenticated is
// still... cannot be: an open stream holds the grace. But a socket that
// outlives DELETE from another tab is closed, and a send frame that raced
// the close is refused, never sequenced.
func TestReleasedSessionCannotSendOnItsWebSocket(t *testing.T) {
	ts := newServer(t, nil)
	bob := ts.register(t, "Bob")
	ws := ts.openWS(t, streamQuery(bob.Token, nil, ""))
	ws.hello(t)
	head := ts.api.Chat().Head()
	ts.leave(t, bob.Token)
	// The frame may reach the server before or after it closes the
	// socket; either way it must not be sent.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws.ws.Write(ctx, websocket.MessageText, []byte(`{"type":"send","id":"late","text":"still here?"}`))
	err := ws.waitEnd(t)
	if closeCode(err) != websocket.StatusNormalClosure {
		t.Errorf("the WebSocket ended with %v, want close 1000", err)
	}
	for {
		e, ok := ws.next(50 * time.Millisecond)
		if !ok {
			break
		}
		if e.Type == protocol.TypeAck {
			t.Fatalf("a send after the leave was acknowledged: %+v", e)
		}
	}
	if got := ts.api.Chat().Head(); got != head+1 { // the leave
		t.Fatalf("head moved from %d to %d: something was sent after the leave", head, got)
	}
	ts.do(t, request{method: "POST", path: "/api/messages", token: bob.Token, body: protocol.Send{ID: "x", Text: "hi"}}).
		wantError(t, 401, protocol.CodeUnauthorized, "register a name again")
}

// A client that only sends, with no stream open, keeps its session as long
// as it keeps making requests; a grace period after the last one it is
// released.
func TestRequestsKeepASessionAlive(t *testing.T) {
	const grace = 300 * time.Millisecond
	ts := newServer(t, func(c *config) { c.Chat.Grace = grace })
	watcher := ts.register(t, "Watcher")
	ts.openSSE(t, streamQuery(watcher.Token, nil, ""), nil).hello(t)
	bot := ts.register(t, "Bot")
	for i := range 10 { // three graces' worth of sends
		ts.send(t, bot.Token, "b"+strconv.Itoa(i), "", "beep")
		time.Sleep(grace / 3)
	}
	// Asked by someone else: the bot's own request would keep it.
	testkit.Eventually(t, "the release after the bot went quiet", func() bool { return !hasUser(t, ts, watcher.Token, "Bot") })
	ts.do(t, request{method: "GET", path: "/api/users", token: bot.Token}).wantError(t, http.StatusUnauthorized, protocol.CodeUnauthorized, "register")
}

// A message retried from a new session of the same name (the client took
// its name again after the server forgot it) is delivered once.
func TestRetryAfterReclaim(t *testing.T) {
	ts := newServer(t, nil)
	first := ts.register(t, "Alice")
	seq := ts.send(t, first.Token, "c-1", "", "once")
	ts.leave(t, first.Token)
	again := ts.register(t, "Alice")
	if got := ts.send(t, again.Token, "c-1", "", "once"); got != seq {
		t.Fatalf("the retry after the reclaim got seq %d, want %d", got, seq)
	}
	var hist protocol.Events
	ts.do(t, request{method: "GET", path: "/api/history", token: again.Token}).decode(t, &hist)
	if len(messages(hist.Events)) != 1 {
		t.Fatalf("history holds %d messages, want the one", len(hist.Events))
	}
}

// One address registering names as fast as it can is refused with 429 and
// a Retry-After once past its budget, and so is one holding too many names;
// the server goes on serving.
func TestAddressBudgets(t *testing.T) {
	ts := newServer(t, func(c *config) {
		c.Chat.AddrRegisterRate, c.Chat.AddrRegisterBurst = 0.01, 5
		c.Chat.AddrSessions = 1000
	})
	for i := range 5 {
		ts.register(t, "flood"+strconv.Itoa(i))
	}
	r := ts.tryRegister(t, "flood5")
	r.wantError(t, 429, protocol.CodeRateLimited, "too many registrations")
	if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 1 {
		t.Fatalf("Retry-After %q, want seconds", r.header.Get("Retry-After"))
	}

	ts2 := newServer(t, func(c *config) {
		c.Chat.AddrSessions = 3
		c.Chat.AddrSendRate, c.Chat.AddrSendBurst = 0.01, 4
	})
	var toks []string
	for i := range 3 {
		toks = append(toks, ts2.register(t, "s"+strconv.Itoa(i)).Token)
	}
	ts2.tryRegister(t, "s3").wantError(t, 429, protocol.CodeRateLimited, "too many names")
	ts2.leave(t, toks[2])
	toks[2] = ts2.register(t, "s3").Token
	for i := range 4 {
		ts2.send(t, toks[i%3], "m"+strconv.Itoa(i), "", "x")
	}
	r = ts2.do(t, request{method: "POST", path: "/api/messages", token: toks[1], body: protocol.Send{ID: "m4", Text: "x"}})
	r.wantError(t, 429, protocol.CodeRateLimited, "from your address")
}

// Streams are bounded per session and per address (the address its
// sessions registered from), on every transport: one past the bound is
// refused 429 with a Retry-After before anything is upgraded, and closing
// one makes room again. Without the bounds one token held 3,000 streams.
func TestStreamBudgets(t *testing.T) {
	ts := newServer(t, func(c *config) {
		c.Chat.SessionStreams = 3
		c.Chat.AddrStreams = 5
	})
	refused := func(tok, says string) {
		t.Helper()
		_, resp, err := ts.dialWS(t, streamQuery(tok, nil, ""), nil)
		if err == nil || resp == nil {
			t.Fatalf("a WebSocket past the bound opened (%v)", err)
		}
		b, _ := io.ReadAll(resp.Body)
		wantErrorBody(t, resp.StatusCode, resp.Header, b, http.StatusTooManyRequests, protocol.CodeRateLimited, says)
		if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra < 1 {
			t.Errorf("Retry-After %q, want seconds", resp.Header.Get("Retry-After"))
		}
		r := ts.do(t, request{method: "GET", path: "/api/poll", token: tok})
		r.wantError(t, http.StatusTooManyRequests, protocol.CodeRateLimited, says)
	}
	alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
	for _, tr := range transports[:2] { // ws, sse
		ts.open(t, tr, alice.Token, nil, "").hello(t)
	}
	c := ts.open(t, "ws", alice.Token, nil, "")
	c.hello(t)
	refused(alice.Token, "this session has 3 streams open")

	// Bob may open two more; then the address is at its five.
	for range 2 {
		ts.open(t, "sse", bob.Token, nil, "").hello(t)
	}
	refused(bob.Token, "too many streams are open for the names of your address")

	// Closing one of Alice's makes room for one, hers or Bob's.
	c.Close()
	c.waitEnd(t)
	testkit.Eventually(t, "the stream to be counted closed", func() bool { return ts.api.Chat().Stats().Streams == 4 })
	ts.open(t, "ws", bob.Token, nil, "").hello(t)
	refused(alice.Token, "too many streams")
}

// Reads (history pages, user searches) are budgeted per session and per
// address, like sends: past the budget, 429 rate_limited with a
// Retry-After, and the server goes on serving.
func TestReadBudgets(t *testing.T) {
	ts := newServer(t, func(c *config) {
		c.Chat.ReadRate, c.Chat.ReadBurst = 0.01, 3
	})
	alice := ts.register(t, "Alice")
	paths := []string{"/api/history", "/api/users?prefix=a", "/api/history?with=Bob"}
	for _, p := range paths {
		if r := ts.do(t, request{method: "GET", path: p, token: alice.Token}); r.status != 200 {
			t.Fatalf("GET %s within the budget: %d %s", p, r.status, r.body)
		}
	}
	for _, p := range paths[:2] {
		r := ts.do(t, request{method: "GET", path: p, token: alice.Token})
		r.wantError(t, 429, protocol.CodeRateLimited, "too many reads")
		if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 1 {
			t.Errorf("Retry-After %q, want seconds", r.header.Get("Retry-After"))
		}
	}
	// Another session's budget is its own.
	bob := ts.register(t, "Bob")
	if r := ts.do(t, request{method: "GET", path: "/api/history", token: bob.Token}); r.status != 200 {
		t.Fatalf("Bob's first read: %d %s", r.status, r.body)
	}
	ts.stillServes(t)

	ts2 := newServer(t, func(c *config) {
		c.Chat.AddrReadRate, c.Chat.AddrReadBurst = 0.01, 4
	})
	toks := []string{ts2.register(t, "Carol").Token, ts2.register(t, "Dave").Token}
	for i := range 4 {
		if r := ts2.do(t, request{method: "GET", path: paths[i%2], token: toks[i%2]}); r.status != 200 {
			t.Fatalf("read %d within the address's budget: %d %s", i, r.status, r.body)
		}
	}
	ts2.do(t, request{method: "GET", path: "/api/history", token: toks[0]}).wantError(t, 429, protocol.CodeRateLimited, "from your address")
}
