package api_test

import (
	"net/http"
	"strings"
	"testing"

	"hark/app/protocol"
)

// Every refusal of the contract on the HTTP endpoints, each followed by
// proof that the server still serves everyone else.
func TestErrorRows(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	bobWS := ts.openWS(t, streamQuery(bob.Token, nil, ""))
	bobWS.hello(t)

	post := func(body any) request {
		return request{method: "POST", path: "/api/messages", token: alice.Token, body: body}
	}
	for _, tc := range []struct {
		name   string
		rq     request
		status int
		code   string
		says   string
	}{
		{"bad JSON", post(`{"id": "x", "text": `), 400, protocol.CodeBadRequest, "malformed JSON"},
		{"not an object", post(`"hi"`), 400, protocol.CodeBadRequest, "JSON object"},
		{"wrong field type", post(`{"id": "x", "text": ["hi"]}`), 400, protocol.CodeBadRequest, `field "text"`},
		{"id of the wrong type", post(`{"id": 7, "text": "hi"}`), 400, protocol.CodeBadRequest, `field "id"`},
		{"empty text", post(`{"id": "x", "text": ""}`), 400, protocol.CodeBadRequest, "cannot be empty"},
		{"blank text", post(`{"id": "x", "text": " \n "}`), 400, protocol.CodeBadRequest, "cannot be empty"},
		{"no id", post(`{"text": "hi"}`), 400, protocol.CodeBadRequest, "needs an id"},
		{"id too long", post(protocol.Send{ID: strings.Repeat("i", 65), Text: "hi"}), 400, protocol.CodeBadRequest, "1 to 64 characters"},
		{"text over 4096 bytes", post(protocol.Send{ID: "x", Text: strings.Repeat("é", 2049)}), 413, protocol.CodeTooLarge, "at most 4096 bytes"},
		{"body over 16 KiB", post(`{"id": "x", "text": "hi", "pad": "` + strings.Repeat("p", protocol.MaxBodyBytes) + `"}`), 413, protocol.CodeTooLarge, "16384 bytes"},
		{"unknown recipient", post(protocol.Send{ID: "x", To: "Zed", Text: "hi"}), 404, protocol.CodeNoSuchUser, `"Zed" is not online`},
		{"invalid recipient", post(protocol.Send{ID: "x", To: "a\x00b", Text: "hi"}), 404, protocol.CodeNoSuchUser, "is not online"},
		{"no token", request{method: "POST", path: "/api/messages", body: protocol.Send{ID: "x", Text: "hi"}}, 401, protocol.CodeUnauthorized, "token is missing"},
		{"unknown token", request{method: "POST", path: "/api/messages", token: "bm90LWEtdG9rZW4", body: protocol.Send{ID: "x", Text: "hi"}}, 401, protocol.CodeUnauthorized, "unknown"},
		{"not a bearer", request{method: "POST", path: "/api/messages", header: map[string]string{"Authorization": "Basic " + alice.Token}, body: protocol.Send{ID: "x", Text: "hi"}}, 401, protocol.CodeUnauthorized, "token"},
		{"token in the query of a POST", request{method: "POST", path: "/api/messages?token=" + alice.Token, body: protocol.Send{ID: "x", Text: "hi"}}, 401, protocol.CodeUnauthorized, "token"},
		{"SSE without a token", request{method: "GET", path: "/api/events"}, 401, protocol.CodeUnauthorized, "token"},
		{"poll with an unknown token", request{method: "GET", path: "/api/poll", token: "nope"}, 401, protocol.CodeUnauthorized, "token"},
		{"users without a token", request{method: "GET", path: "/api/users"}, 401, protocol.CodeUnauthorized, "token"},
		{"bad since on SSE", request{method: "GET", path: "/api/events?since=ten&token=" + alice.Token}, 400, protocol.CodeBadRequest, "since must be a seq"},
		{"negative since on poll", request{method: "GET", path: "/api/poll?since=-1", token: alice.Token}, 400, protocol.CodeBadRequest, "since must be a seq"},
		{"bad Last-Event-ID", request{method: "GET", path: "/api/events?token=" + alice.Token, header: map[string]string{"Last-Event-ID": "x1"}}, 400, protocol.CodeBadRequest, "since must be a seq"},
		{"bad since on WebSocket", request{method: "GET", path: "/api/ws?since=1.5&token=" + alice.Token}, 400, protocol.CodeBadRequest, "since must be a seq"},
		{"wrong method", request{method: "GET", path: "/api/session"}, 400, protocol.CodeBadRequest, "no endpoint GET /api/session"},
		{"no such endpoint", request{method: "PUT", path: "/api/messages", token: alice.Token}, 400, protocol.CodeBadRequest, "no endpoint PUT /api/messages"},
		{"leave without a token", request{method: "DELETE", path: "/api/session"}, 401, protocol.CodeUnauthorized, "token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.do(t, tc.rq).wantError(t, tc.status, tc.code, tc.says)
			// Alice's session and Bob's stream are untouched.
			seq := ts.send(t, alice.Token, "ok-"+tc.name, "", "fine")
			if evs := messages(bobWS.until(t, seq)); len(evs) != 1 || evs[0].ID != "ok-"+tc.name {
				t.Fatalf("Bob got %+v after the refusal", evs)
			}
		})
	}
	// Text of exactly 4096 bytes is accepted.
	ts.send(t, alice.Token, "four", "", strings.Repeat("é", 2048))
	ts.stillServes(t)

	// None of the refused sends reached the log.
	var h protocol.Events
	ts.do(t, request{method: "GET", path: "/api/history?limit=500", token: bob.Token}).decode(t, &h)
	for _, e := range h.Events {
		if e.ID == "x" {
			t.Errorf("a refused send was logged: %+v", e)
		}
	}
}

// A flood is refused with 429 and Retry-After, for that session only.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	ts := newServer(t, func(c *config) { c.Chat.Rate, c.Chat.Burst = 1, 3 })
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	bobSSE := ts.openSSE(t, streamQuery(bob.Token, at(bob.Seq), ""), nil)

	var first uint64
	for i, id := range []string{"f-1", "f-2", "f-3"} {
		seq := ts.send(t, alice.Token, id, "", "flood")
		if i == 0 {
			first = seq
		}
	}
	r := ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "f-4", Text: "flood"}})
	r.wantError(t, 429, protocol.CodeRateLimited, "too many messages")
	if ra := r.header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1 (second)", ra)
	}
	// A retry of an accepted send is an answer, not a new send: no budget.
	if seq := ts.send(t, alice.Token, "f-1", "", "flood"); seq != first {
		t.Errorf("retry of f-1 got seq %d, want %d", seq, first)
	}
	// On a WebSocket the refusal is an error frame.
	ws := ts.openWS(t, streamQuery(alice.Token, nil, ""))
	ws.hello(t)
	ws.writeWS(t, protocol.Send{Type: protocol.TypeSend, ID: "f-5", Text: "flood"})
	e := ws.expect(t, "error frame", func(e protocol.Event) bool { return e.Type == protocol.TypeError || e.Type == protocol.TypeAck })
	if e.Type != protocol.TypeError || e.ID != "f-5" || e.Error.Code != protocol.CodeRateLimited {
		t.Errorf("WebSocket flood answered %+v", e)
	}
	// Bob's budget is his own, and he got exactly the three accepted.
	seq := ts.send(t, bob.Token, "b-1", "", "not flooding")
	var got []string
	for _, e := range messages(bobSSE.until(t, seq)) {
		got = append(got, e.ID)
	}
	if strings.Join(got, ",") != "f-1,f-2,f-3,b-1" {
		t.Errorf("Bob got %v", got)
	}
	m := ts.do(t, request{method: "GET", path: "/metrics"})
	if !strings.Contains(string(m.body), `hark_sends_total{outcome="rate_limited"} 2`) {
		t.Errorf("/metrics does not count the two refused sends:\n%s", grepLines(string(m.body), "hark_sends_total"))
	}
}

// Browsers on a foreign origin may not change state or open a WebSocket;
// the server's own origin and the -allow-origin list may.
func TestOriginCheck(t *testing.T) {
	t.Parallel()
	ts := newServer(t, func(c *config) { c.AllowOrigins = []string{"https://app.example"} })
	own := ts.URL
	alice := ts.register(t, "Alice")

	for _, origin := range []string{"http://evil.example", "http://app.example", "https://app.example:8443", "null"} {
		t.Run(origin, func(t *testing.T) {
			h := map[string]string{"Origin": origin}
			ts.do(t, request{method: "POST", path: "/api/session", body: `{"name": "Mallory"}`, header: h}).
				wantError(t, 403, protocol.CodeForbiddenOrigin, "not allowed")
			ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "o", Text: "hi"}, header: h}).
				wantError(t, 403, protocol.CodeForbiddenOrigin, "not allowed")
			ts.do(t, request{method: "DELETE", path: "/api/session", token: alice.Token, header: h}).
				wantError(t, 403, protocol.CodeForbiddenOrigin, "not allowed")
			conn, resp, err := ts.dialWS(t, streamQuery(alice.Token, nil, ""), http.Header{"Origin": {origin}})
			if err == nil {
				conn.CloseNow()
				t.Fatal("WebSocket handshake from a foreign origin accepted")
			}
			if resp == nil {
				t.Fatalf("WebSocket handshake: %v", err)
			}
			body := readAll(t, resp)
			wantErrorBody(t, resp.StatusCode, resp.Header, body, 403, protocol.CodeForbiddenOrigin, "not allowed")
		})
	}
	// Alice was neither deleted nor made to send.
	var h protocol.Events
	ts.do(t, request{method: "GET", path: "/api/history", token: alice.Token, header: map[string]string{"Origin": "http://evil.example"}}).decode(t, &h)
	if len(h.Events) != 0 {
		t.Errorf("history after refused sends: %+v", h.Events)
	}
	if r := ts.tryRegister(t, "Mallory"); r.status != 201 {
		t.Errorf("Mallory was taken by a refused request: %d %s", r.status, r.body)
	}

	for _, origin := range []string{own, "https://app.example", "HTTPS://APP.EXAMPLE"} {
		t.Run("allowed "+origin, func(t *testing.T) {
			h := map[string]string{"Origin": origin}
			r := ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "o-" + origin, Text: "hi"}, header: h})
			if r.status != 200 {
				t.Fatalf("send from %s: %d %s", origin, r.status, r.body)
			}
			conn, _, err := ts.dialWS(t, streamQuery(alice.Token, nil, ""), http.Header{"Origin": {origin}})
			if err != nil {
				t.Fatalf("WebSocket from %s: %v", origin, err)
			}
			ts.readWS(t, conn).hello(t)
		})
	}
	s := ts.register(t, "Leaver")
	if r := ts.do(t, request{method: "DELETE", path: "/api/session", token: s.Token, header: map[string]string{"Origin": own}}); r.status != 204 {
		t.Errorf("DELETE from the server's own origin: %d %s", r.status, r.body)
	}
	ts.register(t, "Leaver")
	ts.stillServes(t)
}
