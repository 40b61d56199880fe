package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
)

// typing posts a typing notice to to ("" for everyone).
func (ts *testServer) typing(t *testing.T, token, to string) response {
	t.Helper()
	return ts.postTyping(t, token, protocol.Typing{To: to})
}

// postTyping posts body to /api/typing.
func (ts *testServer) postTyping(t *testing.T, token string, body protocol.Typing) response {
	t.Helper()
	return ts.do(t, request{method: "POST", path: "/api/typing", token: token, body: body})
}

// mustType posts a typing notice and fails the test unless it is taken.
func (ts *testServer) mustType(t *testing.T, token, to string) {
	t.Helper()
	if r := ts.typing(t, token, to); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("typing to %q: %d %s", to, r.status, r.body)
	}
}

// openHeld opens a stream of transport from the session's head and waits
// until the server holds it (see held), so that a live-only event sent
// next reaches it.
func (ts *testServer) openHeld(t *testing.T, transport string, s protocol.Session, polls int) *client {
	t.Helper()
	if transport != "poll" {
		c := ts.open(t, transport, s.Token, at(s.Seq), s.Epoch)
		c.hello(t)
		return c
	}
	c := ts.openPoll(t, s.Token, at(s.Seq), s.Epoch)
	ts.held(t, transport, polls)
	return c
}

// held waits, for long polling, until polls polls are waiting at the
// server: a live-only event reaches a poller only while a poll is held,
// and a poll asked from a seq has no hello to say when it is. Streams of
// the other transports are held from their hello on.
func (ts *testServer) held(t *testing.T, transport string, polls int) {
	t.Helper()
	if transport != "poll" {
		return
	}
	want := fmt.Sprintf(`hark_streams_open{transport="poll"} %d`, polls)
	count := func() bool {
		return strings.Contains(string(ts.do(t, request{method: "GET", path: "/metrics"}).body), want)
	}
	// Twice, a moment apart: a poll that has just answered counts until
	// its handler returns, beside the poll that follows it.
	testkit.Eventually(t, "the polls to be held", func() bool {
		if !count() {
			return false
		}
		time.Sleep(10 * time.Millisecond)
		return count()
	})
}

// isTyping matches the typing event of from (to to, "" for everyone).
func isTyping(from, to string) func(protocol.Event) bool {
	return func(e protocol.Event) bool { return e.Type == protocol.TypeTyping && e.From == from && e.To == to }
}

// noTyping fails if evs hold a typing event.
func noTyping(t *testing.T, where string, evs []protocol.Event) {
	t.Helper()
	for _, e := range evs {
		if e.Type == protocol.TypeTyping {
			t.Errorf("%s got %+v", where, e)
		}
	}
}

// Typing to everyone reaches every stream, on every transport, with no
// seq; typing to one person reaches only that person; neither is ever
// replayed, and neither holds up or reorders what is logged.
func TestTypingReachesTheStreamsItIsFor(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			ts := newServer(t, nil)
			alice, dora := ts.register(t, "Alice"), ts.register(t, "Dora")
			bob, carol := ts.register(t, "Bob"), ts.register(t, "Carol")
			b := ts.openHeld(t, tr, bob, 1)
			c := ts.openHeld(t, tr, carol, 2)

			ts.mustType(t, alice.Token, "")
			for who, st := range map[string]*client{"Bob": b, "Carol": c} {
				e := st.expect(t, "Alice typing to everyone", func(e protocol.Event) bool { return e.Type == protocol.TypeTyping })
				if e.Seq != 0 || e.From != "Alice" || e.To != "" || e.Time != nil {
					t.Errorf("%s got %+v, want Alice typing to everyone, with no seq", who, e)
				}
			}
			ts.held(t, tr, 2)                 // the polls that answered are asked again
			ts.mustType(t, dora.Token, "bob") // Bob's compare key
			b.expect(t, "Dora typing to Bob", isTyping("Dora", "Bob"))
			seq := ts.send(t, alice.Token, "after", "", "after the typing")
			noTyping(t, "Carol, after Dora typed to Bob", c.until(t, seq))
			noTyping(t, "Bob, after the two typing events", b.until(t, seq))

			// Nothing of it is replayed, on any transport.
			for _, again := range transports {
				r := ts.open(t, again, carol.Token, at(0), "")
				noTyping(t, again+" replay", r.until(t, seq))
				r.Close()
			}
		})
	}
}

// A typing frame on a WebSocket is taken like POST /api/typing, with no
// answer; a refused one is answered with an error frame (no id).
func TestTypingOverWebSocket(t *testing.T) {
	ts := newServer(t, nil)
	alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
	b := ts.openWS(t, streamQuery(bob.Token, at(bob.Seq), ""))
	b.hello(t)
	a := ts.openWS(t, streamQuery(alice.Token, at(bob.Seq), ""))
	a.hello(t)
	a.writeWS(t, protocol.Typing{Type: protocol.TypeTyping, To: "Bob"})
	b.expect(t, "Alice typing to Bob", isTyping("Alice", "Bob"))

	a.writeWS(t, protocol.Typing{Type: protocol.TypeTyping, To: "Bob"}) // within 2 s
	e := a.expect(t, "an error frame", func(e protocol.Event) bool { return e.Type == protocol.TypeError })
	if e.ID != "" || e.Error == nil || e.Error.Code != protocol.CodeRateLimited || e.Error.RetryAfter < 1 {
		t.Errorf("typing again at once over WebSocket: %+v (%+v), want rate_limited with retry_after", e, e.Error)
	}
	a.writeWS(t, `{"type":"typing","to":"Nobody"}`)
	e = a.expect(t, "an error frame", func(e protocol.Event) bool { return e.Type == protocol.TypeError })
	if e.Error == nil || e.Error.Code != protocol.CodeNoSuchUser {
		t.Errorf("typing to Nobody over WebSocket: %+v", e.Error)
	}
	// Sends on the same socket go on as before.
	a.writeWS(t, protocol.Send{Type: protocol.TypeSend, ID: "s1", Text: "still sending"})
	a.expect(t, "the ack", func(e protocol.Event) bool { return e.Type == protocol.TypeAck && e.ID == "s1" })
	b.expect(t, "the message", func(e protocol.Event) bool { return e.ID == "s1" })
}

// More than one typing notice per person every 2 s is refused with
// rate_limited and when to try again; refusals of every other kind say
// what is wrong; none of them breaks anything.
func TestTypingRefusals(t *testing.T) {
	ts := newServer(t, nil)
	alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
	ts.mustType(t, alice.Token, "")
	r := ts.typing(t, alice.Token, "Bob") // another conversation, the same person
	r.wantError(t, 429, protocol.CodeRateLimited, "typing")
	if r.header.Get("Retry-After") == "" {
		t.Errorf("rate_limited typing without Retry-After")
	}
	ts.mustType(t, bob.Token, "Alice") // the budget is per person

	ts.typing(t, bob.Token, "Nobody").wantError(t, 404, protocol.CodeNoSuchUser, "Nobody")
	ts.do(t, request{method: "POST", path: "/api/typing", token: bob.Token, body: `{"to": 5}`}).wantError(t, 400, protocol.CodeBadRequest, "to")
	ts.do(t, request{method: "POST", path: "/api/typing", token: bob.Token, body: `{"type":"send","to":""}`}).wantError(t, 400, protocol.CodeBadRequest, "typing")
	ts.do(t, request{method: "POST", path: "/api/typing", body: `{"to":""}`}).wantError(t, 401, protocol.CodeUnauthorized, "token")
	ts.do(t, request{method: "POST", path: "/api/typing", token: bob.Token, body: strings.Repeat(" ", protocol.MaxBodyBytes+1)}).wantError(t, 413, protocol.CodeTooLarge, "bytes")

	// A session that left cannot say it is typing.
	ts.leave(t, bob.Token)
	ts.typing(t, bob.Token, "").wantError(t, 401, protocol.CodeUnauthorized, "token")
	ts.stillServes(t)
}

// Above the presence threshold a typing to everyone is taken and goes
// nowhere (it would reach everyone online for every few keystrokes); a
// typing to one person still goes.
func TestTypingAboveThePresenceThreshold(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			ts := newServer(t, func(c *config) { c.Chat.PresenceThreshold = 2 })
			alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
			b := ts.openHeld(t, tr, bob, 1)
			ts.mustType(t, alice.Token, "")
			ts.mustType(t, carol.Token, "Bob")
			b.expect(t, "Carol typing to Bob", isTyping("Carol", "Bob"))
			seq := ts.send(t, alice.Token, "after", "", "after the typing")
			noTyping(t, "Bob above the threshold", b.until(t, seq))
		})
	}
}
