package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/clock"
)

// deviceCode asks for a device code with token and fails the test if it
// is refused.
func (ts *testServer) deviceCode(t *testing.T, token string) protocol.DeviceCode {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: "/api/devices/code", token: token})
	if r.status != http.StatusOK {
		t.Fatalf("POST /api/devices/code: %d %s", r.status, r.body)
	}
	var dc protocol.DeviceCode
	r.decode(t, &dc)
	if len(dc.Code) != 9 || dc.Code[4] != '-' || dc.Expires == nil {
		t.Fatalf("device code %+v, want XXXX-XXXX and an expiry", dc)
	}
	return dc
}

// tryLink redeems code without judging the answer.
func (ts *testServer) tryLink(t *testing.T, code string) response {
	t.Helper()
	return ts.trySession(t, "/api/devices/link", protocol.LinkRequest{Code: code})
}

// link redeems code and fails the test if it is refused.
func (ts *testServer) link(t *testing.T, code string) protocol.Session {
	t.Helper()
	r := ts.tryLink(t, code)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /api/devices/link: %d %s", r.status, r.body)
	}
	var s protocol.Session
	r.decode(t, &s)
	return s
}

const noCode = "does not sign in anyone"

// A code from Alice's laptop signs her phone in as Alice: on every
// transport both devices get, live, a direct message Bob sends her and
// one she sends him from either, both read them in history, and the code
// cannot be used again.
func TestLinkedDevicesShareDirectMessages(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			ts := newServer(t, nil)
			laptop := ts.register(t, "Alice")
			bob := ts.register(t, "Bob")
			dc := ts.deviceCode(t, laptop.Token)
			if until := time.Until(dc.Expires.Time); until < time.Minute || until > 2*time.Minute+time.Second {
				t.Errorf("code expires in %v, want about 2 minutes", until)
			}
			phone := ts.link(t, dc.Code)
			if phone.Name != "Alice" || phone.Token == "" || phone.Token == laptop.Token || phone.Epoch != laptop.Epoch {
				t.Fatalf("linked session %+v, want a new token for Alice in epoch %s", phone, laptop.Epoch)
			}
			onLaptop := ts.open(t, tr, laptop.Token, at(phone.Seq), phone.Epoch)
			onPhone := ts.open(t, tr, phone.Token, at(phone.Seq), phone.Epoch)
			if tr != "poll" { // a poll from a seq starts with no hello
				if h := onPhone.hello(t); h.Name != "Alice" {
					t.Fatalf("the phone's hello names %q, want Alice", h.Name)
				}
				onLaptop.hello(t)
			}

			toHer := ts.send(t, bob.Token, "b1", "alice", "hi on every device")
			fromPhone := ts.send(t, phone.Token, "p1", "Bob", "answered from the phone")
			for name, c := range map[string]*client{"laptop": onLaptop, "phone": onPhone} {
				got := c.until(t, fromPhone)
				if !has(got, "b1") || !has(got, "p1") {
					t.Errorf("Alice's %s got %+v up to seq %d, want Bob's message (seq %d) and her own answer", name, got, fromPhone, toHer)
				}
			}
			for _, tok := range []string{laptop.Token, phone.Token} {
				var h protocol.History
				ts.do(t, request{method: "GET", path: "/api/history?with=Bob", token: tok}).decode(t, &h)
				if len(h.Events) != 2 || h.Events[0].ID != "b1" || h.Events[1].ID != "p1" {
					t.Errorf("history with Bob on one of Alice's devices: %+v, want b1 and p1", h.Events)
				}
			}

			// The code was used: a replay is refused and makes nothing.
			before := ts.api.Chat().Stats().Online
			ts.tryLink(t, dc.Code).wantError(t, 404, protocol.CodeNotFound, noCode)
			if after := ts.api.Chat().Stats().Online; after != before {
				t.Errorf("a replayed code changed the people online from %d to %d", before, after)
			}
		})
	}
}

// Codes that do not sign anyone in are refused alike, 404 not_found, with
// nothing made: unknown, malformed, empty, and expired ones; a code needs
// a session to make.
func TestLinkRefusals(t *testing.T) {
	fake := clock.NewFake(time.Now())
	ts := newServer(t, func(c *config) { c.Chat.Clock = fake })
	alice := ts.register(t, "Alice")
	for _, code := range []string{"0000-0000", "not a code", "", "ABCD-EFGH-JKMN", "ABCD-EFG!"} {
		ts.tryLink(t, code).wantError(t, 404, protocol.CodeNotFound, noCode)
	}
	ts.do(t, request{method: "POST", path: "/api/devices/link", body: `{"code": 7}`}).wantError(t, 400, protocol.CodeBadRequest, "")
	ts.do(t, request{method: "POST", path: "/api/devices/code"}).wantError(t, 401, protocol.CodeUnauthorized, "token")

	// An expired code: Alice keeps a stream open, so her name outlives
	// the wait and the code alone is what is refused.
	stream := ts.openSSE(t, streamQuery(alice.Token, nil, ""), nil)
	stream.hello(t)
	dc := ts.deviceCode(t, alice.Token)
	fake.Advance(2*time.Minute + time.Second)
	ts.tryLink(t, dc.Code).wantError(t, 404, protocol.CodeNotFound, noCode)
	// Typed in lower case, without the dash, a fresh one works.
	fresh := ts.deviceCode(t, alice.Token)
	if s := ts.link(t, strings.ToLower(fresh.Code[:4]+" "+fresh.Code[5:])); s.Name != "Alice" {
		t.Fatalf("linked as %q", s.Name)
	}
	if got := ts.api.Chat().Stats().Online; got != 1 {
		t.Errorf("%d online, want Alice alone", got)
	}
}

// Floods are budgeted: a session makes a few codes and then is told to
// wait; redeeming attempts from one address share its registration budget.
func TestDeviceCodeFloods(t *testing.T) {
	ts := newServer(t, func(c *config) { c.Chat.AddrRegisterRate, c.Chat.AddrRegisterBurst = 0.01, 8 })
	alice := ts.register(t, "Alice") // 1 of the address's 8
	for range 5 {
		ts.deviceCode(t, alice.Token) // the session's 5; the address's 2 to 6
	}
	r := ts.do(t, request{method: "POST", path: "/api/devices/code", token: alice.Token})
	r.wantError(t, 429, protocol.CodeRateLimited, "too many device codes")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	ts.tryLink(t, "0000-0000").wantError(t, 404, protocol.CodeNotFound, noCode) // 7
	ts.tryLink(t, "0000-0001").wantError(t, 404, protocol.CodeNotFound, noCode) // 8
	r = ts.tryLink(t, "0000-0002")
	r.wantError(t, 429, protocol.CodeRateLimited, "too many registrations")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// Leaving on one device signs out that device only: its stream ends and
// its token is refused, while the other device keeps its stream, its
// token and the name, and nobody is told Alice left.
func TestLeaveOneDeviceKeepsTheOthers(t *testing.T) {
	ts := newServer(t, nil)
	laptop := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	phone := ts.link(t, ts.deviceCode(t, laptop.Token).Code)
	watch := ts.openWS(t, streamQuery(bob.Token, at(phone.Seq), ""))
	onLaptop := ts.openWS(t, streamQuery(laptop.Token, nil, ""))
	onPhone := ts.openSSE(t, streamQuery(phone.Token, nil, ""), nil)
	onLaptop.hello(t)
	onPhone.hello(t)

	ts.leave(t, phone.Token)
	if err := onPhone.waitEnd(t); err == nil {
		t.Log("the phone's stream ended") // SSE ends with the body; either is an end
	}
	ts.do(t, request{method: "POST", path: "/api/messages", token: phone.Token, body: protocol.Send{ID: "x", Text: "hi"}}).wantError(t, 401, protocol.CodeUnauthorized, "token")
	ts.tryRegister(t, "alice").wantError(t, 409, protocol.CodeNameTaken, "in use")
	seq := ts.send(t, bob.Token, "b1", "Alice", "still there?")
	if got := onLaptop.until(t, seq); !has(got, "b1") {
		t.Errorf("the laptop got %+v, want Bob's message", got)
	}
	for _, e := range watch.until(t, seq) {
		if e.Type == protocol.TypeLeave {
			t.Errorf("Bob was told %+v though Alice is still on her laptop", e)
		}
	}
	// Her last device leaving frees the name, as always.
	ts.leave(t, laptop.Token)
	watch.expect(t, "Alice's leave", func(e protocol.Event) bool { return e.Type == protocol.TypeLeave && e.From == "Alice" })
	ts.register(t, "alice")
}

// Signing out everywhere ends every device: their streams on every
// transport end, their tokens are refused, a code made before is no use,
// everyone is told Alice left and her name is free.
func TestLeaveEverywhere(t *testing.T) {
	ts := newServer(t, nil)
	laptop := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	phone := ts.link(t, ts.deviceCode(t, laptop.Token).Code)
	tablet := ts.link(t, ts.deviceCode(t, phone.Token).Code)
	spare := ts.deviceCode(t, laptop.Token)
	watch := ts.openWS(t, streamQuery(bob.Token, at(tablet.Seq), ""))
	var streams []*client
	for i, s := range []protocol.Session{laptop, phone, tablet} {
		c := ts.open(t, transports[i], s.Token, nil, "")
		if transports[i] != "poll" {
			c.hello(t)
		}
		streams = append(streams, c)
	}

	if r := ts.do(t, request{method: "DELETE", path: "/api/sessions", token: phone.Token}); r.status != http.StatusNoContent {
		t.Fatalf("DELETE /api/sessions: %d %s", r.status, r.body)
	}
	for i, c := range streams {
		if err := c.waitEnd(t); transports[i] == "ws" && closeCode(err) != 1000 {
			t.Errorf("the WebSocket ended with %v, want close 1000", err)
		}
	}
	// Each device is told it was signed out, not that its token is
	// unknown, so its client shows the sign-in rather than take the name
	// back.
	for _, s := range []protocol.Session{laptop, phone, tablet} {
		ts.do(t, request{method: "GET", path: "/api/history", token: s.Token}).wantError(t, 401, protocol.CodeSignedOut, "signed out")
	}
	watch.expect(t, "Alice's leave", func(e protocol.Event) bool { return e.Type == protocol.TypeLeave && e.From == "Alice" })
	ts.tryLink(t, spare.Code).wantError(t, 404, protocol.CodeNotFound, noCode)
	again := ts.register(t, "ALICE")
	if again.Name != "ALICE" {
		t.Fatalf("registered as %q", again.Name)
	}
	ts.do(t, request{method: "DELETE", path: "/api/sessions", token: laptop.Token}).wantError(t, 401, protocol.CodeSignedOut, "signed out")
	// A device that left on its own is not signed out: unauthorized.
	other := ts.link(t, ts.deviceCode(t, again.Token).Code)
	ts.leave(t, other.Token)
	ts.do(t, request{method: "GET", path: "/api/history", token: other.Token}).wantError(t, 401, protocol.CodeUnauthorized, "token")
}
