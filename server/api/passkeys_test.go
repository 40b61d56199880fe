package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/clock"
	"hark/internal/testauthn"
)

// named is ts's address under the name localhost: passkeys belong to a
// host name, never to an address.
func (ts *testServer) named() string { return strings.Replace(ts.URL, "127.0.0.1", "localhost", 1) }

// pk sends a passkey request to ts under its host name.
func (ts *testServer) pk(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	saved := ts.URL
	ts.URL = ts.named()
	defer func() { ts.URL = saved }()
	return ts.do(t, request{method: method, path: path, token: token, body: body})
}

// begin starts a ceremony at path and fails the test if it is refused.
func (ts *testServer) begin(t *testing.T, path, token string, body any) protocol.PasskeyCeremony {
	t.Helper()
	r := ts.pk(t, "POST", path, token, body)
	if r.status != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, r.status, r.body)
	}
	var c protocol.PasskeyCeremony
	r.decode(t, &c)
	if c.Ceremony == "" || len(c.Options) == 0 {
		t.Fatalf("POST %s: %s, want a ceremony and its options", path, r.body)
	}
	return c
}

// addPasskey adds a passkey of a to the name of token.
func (ts *testServer) addPasskey(t *testing.T, a *testauthn.Authenticator, token string) {
	t.Helper()
	c := ts.begin(t, "/api/passkeys/begin", token, nil)
	r := ts.pk(t, "POST", "/api/passkeys/finish", token, protocol.PasskeyFinish{Ceremony: c.Ceremony, Credential: a.Create(t, c.Options)})
	if r.status != http.StatusNoContent {
		t.Fatalf("POST /api/passkeys/finish: %d %s", r.status, r.body)
	}
}

// passkeys is how many passkeys keep the name of token.
func (ts *testServer) passkeys(t *testing.T, token string) int {
	t.Helper()
	var p protocol.Passkeys
	ts.pk(t, "GET", "/api/passkeys", token, nil).decode(t, &p)
	return p.Count
}

// trySignIn signs in to name with a's passkey, without judging the
// finish's answer, and returns it with the ceremony's finish body.
func (ts *testServer) trySignIn(t *testing.T, a *testauthn.Authenticator, name string) (response, protocol.PasskeyFinish) {
	t.Helper()
	c := ts.begin(t, "/api/passkeys/login/begin", "", protocol.PasskeyLogin{Name: name})
	fin := protocol.PasskeyFinish{Ceremony: c.Ceremony, Credential: a.Get(t, c.Options)}
	r := ts.pk(t, "POST", "/api/passkeys/login/finish", "", fin)
	if r.status == http.StatusCreated {
		var s protocol.Session
		r.decode(t, &s)
		ts.remember(s.Token)
	}
	return r, fin
}

// released waits until token is refused: its session's grace has run out.
func (ts *testServer) released(t *testing.T, token string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for ts.do(t, request{method: "GET", path: "/api/passkeys", token: token}).status != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("the session was not released after its grace")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Alice keeps her name with a passkey: her grace runs out and she is
// offline, but nobody else may take "Alice" (told why); her passkey signs
// her in again as the same registration, so her direct messages are
// there; a replayed sign-in is refused. Once she removes the passkey the
// name is freed after the grace as anyone's, and its next holder reads
// none of her messages.
func TestPasskeyKeepsTheName(t *testing.T) {
	fake := clock.NewFake(time.Now())
	ts := newServer(t, func(c *config) { c.Chat.Clock = fake })
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	ts.send(t, alice.Token, "a1", "Bob", "hello Bob")
	ts.send(t, bob.Token, "b1", "Alice", "hello Alice")
	key := testauthn.New(t, ts.named())
	if n := ts.passkeys(t, alice.Token); n != 0 {
		t.Fatalf("%d passkeys before any was added", n)
	}
	ts.addPasskey(t, key, alice.Token)
	if n := ts.passkeys(t, alice.Token); n != 1 {
		t.Fatalf("%d passkeys after adding one, want 1", n)
	}

	stream := ts.openSSE(t, streamQuery(bob.Token, nil, ""), nil) // Bob stays
	stream.hello(t)
	fake.Advance(2 * time.Minute) // past the grace: Alice has no stream
	ts.released(t, alice.Token)
	if online, users := ts.api.Chat().Users("", 10); online != 1 || users[0] != "Bob" {
		t.Fatalf("online: %d %v, want Bob alone (Alice is offline)", online, users)
	}
	ts.tryRegister(t, "alice").wantError(t, 409, protocol.CodeNameTaken, "Alice is kept with a passkey; sign in with it")

	r, fin := ts.trySignIn(t, key, "ALICE")
	if r.status != http.StatusCreated {
		t.Fatalf("passkey sign-in: %d %s", r.status, r.body)
	}
	var back protocol.Session
	r.decode(t, &back)
	if back.Name != "Alice" || back.Token == alice.Token {
		t.Fatalf("signed in as %+v, want Alice with a new token", back)
	}
	var h struct{ Events []protocol.Event }
	ts.do(t, request{method: "GET", path: "/api/history?with=Bob", token: back.Token}).decode(t, &h)
	if !has(h.Events, "a1") || !has(h.Events, "b1") {
		t.Fatalf("Alice's history with Bob after the passkey sign-in: %+v, want a1 and b1", h.Events)
	}
	if ts.passkeys(t, back.Token) != 1 {
		t.Fatal("the passkey is not Alice's after signing in with it")
	}
	// The same ceremony again: refused, nothing made.
	ts.pk(t, "POST", "/api/passkeys/login/finish", "", fin).wantError(t, 404, protocol.CodeNotFound, "unknown, used or expired")

	// Signing in while signed in: a second device of the same person.
	r, _ = ts.trySignIn(t, key, "Alice")
	if r.status != http.StatusCreated {
		t.Fatalf("a second passkey sign-in: %d %s", r.status, r.body)
	}
	if online, _ := ts.api.Chat().Users("", 10); online != 2 {
		t.Fatalf("%d online after a second device signed in, want 2", online)
	}

	r = ts.pk(t, "DELETE", "/api/passkeys", back.Token, nil)
	if r.status != http.StatusNoContent {
		t.Fatalf("DELETE /api/passkeys: %d %s", r.status, r.body)
	}
	if ts.passkeys(t, back.Token) != 0 {
		t.Fatal("passkeys left after removing them")
	}
	ts.tryRegister(t, "Alice").wantError(t, 409, protocol.CodeNameTaken, "in use")
	ts.do(t, request{method: "DELETE", path: "/api/sessions", token: back.Token})
	ts.pk(t, "POST", "/api/passkeys/login/begin", "", protocol.PasskeyLogin{Name: "Alice"}).wantError(t, 404, protocol.CodeNotFound, "no passkey")
	carol := ts.register(t, "Alice")
	h.Events = nil
	ts.do(t, request{method: "GET", path: "/api/history?with=Bob", token: carol.Token}).decode(t, &h)
	if len(h.Events) != 0 {
		t.Fatalf("the next holder of Alice reads %+v, want nothing", h.Events)
	}
}

// Bad passkeys are refused, each with a clear error and nothing stored or
// made: Bob's passkey answering a sign-in to Alice; Bob finishing Alice's
// ceremony to add a passkey; an answer that is no credential; a ceremony
// unknown; a name without a passkey; passkeys without a host name.
func TestPasskeyRefusals(t *testing.T) {
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	hers, his := testauthn.New(t, ts.named()), testauthn.New(t, ts.named())
	ts.addPasskey(t, hers, alice.Token)
	ts.addPasskey(t, his, bob.Token)

	his.Handle = hers.Handle // as if his authenticator claimed to be hers
	r, _ := ts.trySignIn(t, his, "Alice")
	r.wantError(t, 403, protocol.CodeForbidden, "does not prove this name")
	if online, _ := ts.api.Chat().Users("", 10); online != 2 {
		t.Fatalf("%d online after a refused sign-in, want 2", online)
	}

	c := ts.begin(t, "/api/passkeys/begin", alice.Token, nil)
	ts.pk(t, "POST", "/api/passkeys/finish", bob.Token, protocol.PasskeyFinish{Ceremony: c.Ceremony, Credential: testauthn.New(t, ts.named()).Create(t, c.Options)}).
		wantError(t, 403, protocol.CodeForbidden, "does not prove this name")
	if ts.passkeys(t, alice.Token) != 1 || ts.passkeys(t, bob.Token) != 1 {
		t.Fatal("a refused finish changed someone's passkeys")
	}
	c = ts.begin(t, "/api/passkeys/begin", alice.Token, nil)
	ts.pk(t, "POST", "/api/passkeys/finish", alice.Token, protocol.PasskeyFinish{Ceremony: c.Ceremony, Credential: json.RawMessage(`{"id": "x"}`)}).
		wantError(t, 400, protocol.CodeBadRequest, "PublicKeyCredential")
	ts.pk(t, "POST", "/api/passkeys/finish", alice.Token, protocol.PasskeyFinish{Ceremony: "nothing", Credential: json.RawMessage(`{}`)}).
		wantError(t, 404, protocol.CodeNotFound, "unknown, used or expired")
	ts.pk(t, "POST", "/api/passkeys/login/begin", "", protocol.PasskeyLogin{Name: "Carol"}).wantError(t, 404, protocol.CodeNotFound, "no passkey")
	ts.pk(t, "POST", "/api/passkeys/login/begin", "", protocol.PasskeyLogin{Name: ""}).wantError(t, 400, protocol.CodeInvalidName, "")
	ts.pk(t, "POST", "/api/passkeys/begin", "", nil).wantError(t, 401, protocol.CodeUnauthorized, "token")
	ts.do(t, request{method: "POST", path: "/api/passkeys/begin", token: alice.Token}).wantError(t, 400, protocol.CodeBadRequest, "host name")
	if ts.passkeys(t, alice.Token) != 1 {
		t.Fatal("refusals changed Alice's passkeys")
	}
}

// Ceremonies are budgeted: a session begins a few and is then told to
// wait; sign-ins from one address share its registration budget.
func TestPasskeyFloods(t *testing.T) {
	ts := newServer(t, func(c *config) { c.Chat.AddrRegisterRate, c.Chat.AddrRegisterBurst = 0.01, 8 })
	alice := ts.register(t, "Alice") // 1 of the address's 8
	for range 5 {
		ts.begin(t, "/api/passkeys/begin", alice.Token, nil) // the session's 5; the address's 2 to 6
	}
	r := ts.pk(t, "POST", "/api/passkeys/begin", alice.Token, nil)
	r.wantError(t, 429, protocol.CodeRateLimited, "too many passkey requests")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	ts.pk(t, "POST", "/api/passkeys/login/begin", "", protocol.PasskeyLogin{Name: "Bob"}).wantError(t, 404, protocol.CodeNotFound, "no passkey")  // 7
	ts.pk(t, "POST", "/api/passkeys/login/finish", "", protocol.PasskeyFinish{Ceremony: "x"}).wantError(t, 404, protocol.CodeNotFound, "unknown") // 8
	ts.pk(t, "POST", "/api/passkeys/login/begin", "", protocol.PasskeyLogin{Name: "Bob"}).wantError(t, 429, protocol.CodeRateLimited, "too many")
}
