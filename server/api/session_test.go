package api_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
)

func TestRegister(t *testing.T) {
	ts := newServer(t, nil)
	first := ts.register(t, "  Mary   Ann ")
	if first.Name != "Mary Ann" {
		t.Errorf("name %q, want the display form %q", first.Name, "Mary Ann")
	}
	if first.Epoch == "" {
		t.Error("no epoch")
	}
	// At least 128 random bits: 22 characters of base64.
	if raw, err := base64.RawURLEncoding.DecodeString(first.Token); err != nil || len(raw) < 16 {
		t.Errorf("token %q is not 128 bits or more of URL-safe base64", first.Token)
	}
	// seq is the head before the join: a stream from it sees the join.
	c := ts.openSSE(t, streamQuery(first.Token, at(first.Seq), first.Epoch), nil)
	c.hello(t)
	join := c.expect(t, "join", func(e protocol.Event) bool { return e.Type == protocol.TypeJoin })
	if join.From != "Mary Ann" || join.Seq != first.Seq+1 || join.Time == nil {
		t.Errorf("join %+v, want from Mary Ann at seq %d with a time", join, first.Seq+1)
	}

	second := ts.register(t, "Bob")
	if second.Token == first.Token || second.Epoch != first.Epoch || second.Seq <= first.Seq {
		t.Errorf("second session %+v after %+v", second, first)
	}
}

func TestRegisterRefusals(t *testing.T) {
	ts := newServer(t, nil)
	ts.register(t, "Alice")
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		says   string
	}{
		{"empty name", `{"name": ""}`, 400, protocol.CodeInvalidName, "at least one visible character"},
		{"blank name", `{"name": "   "}`, 400, protocol.CodeInvalidName, "at least one visible character"},
		{"no name", `{}`, 400, protocol.CodeInvalidName, "at least one visible character"},
		{"long name", protocol.SessionRequest{Name: strings.Repeat("n", 33)}, 400, protocol.CodeInvalidName, "at most 32 characters"},
		{"control character", protocol.SessionRequest{Name: "bad\x07bell"}, 400, protocol.CodeInvalidName, "control characters"},
		{"unassigned code point", protocol.SessionRequest{Name: "x\U000e0001"}, 400, protocol.CodeInvalidName, "unassigned code points"},
		{"same name", protocol.SessionRequest{Name: "Alice"}, 409, protocol.CodeNameTaken, `"Alice" is in use`},
		{"lower case", protocol.SessionRequest{Name: "alice"}, 409, protocol.CodeNameTaken, "is in use"},
		{"full width", protocol.SessionRequest{Name: "ＡＬＩＣＥ"}, 409, protocol.CodeNameTaken, "is in use"},
		{"spaces", protocol.SessionRequest{Name: "  Alice "}, 409, protocol.CodeNameTaken, `"Alice" is in use`},
		{"bad JSON", `{"name": "Bob"`, 400, protocol.CodeBadRequest, "malformed JSON"},
		{"not an object", `["Bob"]`, 400, protocol.CodeBadRequest, "JSON object"},
		{"wrong field type", `{"name": 42}`, 400, protocol.CodeBadRequest, `field "name"`},
		{"huge body", `{"name": "Bob", "pad": "` + strings.Repeat("x", protocol.MaxBodyBytes) + `"}`, 413, protocol.CodeTooLarge, "16384 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, request{method: "POST", path: "/api/session", body: tc.body})
			r.wantError(t, tc.status, tc.code, tc.says)
		})
	}
	// Bob was never taken by any of the refusals.
	ts.register(t, "Bob")
	ts.stillServes(t)

	// Every refusal is counted by reason.
	m := ts.do(t, request{method: "GET", path: "/metrics"})
	for _, want := range []string{
		`hark_registrations_refused_total{reason="invalid_name"} 6`,
		`hark_registrations_refused_total{reason="name_taken"} 4`,
		`hark_registrations_refused_total{reason="bad_request"} 3`,
		`hark_registrations_refused_total{reason="too_large"} 1`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Exactly one of 100 clients racing for one name gets it.
func TestNameRace(t *testing.T) {
	ts := newServer(t, nil)
	const n = 100
	variants := []string{"Racer", "racer", "ＲＡＣＥＲ", "  Racer "}
	codes := make([]int, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			req, _ := http.NewRequest("POST", ts.URL+"/api/session", strings.NewReader(`{"name": "`+variants[i%len(variants)]+`"}`))
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			var s protocol.Session
			if resp.StatusCode == http.StatusCreated {
				if err := jsonDecode(resp, &s); err == nil {
					ts.remember(s.Token)
				}
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	start.Done()
	done.Wait()
	won, lost := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			won++
		case http.StatusConflict:
			lost++
		}
	}
	if won != 1 || lost != n-1 {
		t.Fatalf("%d won and %d got 409 of %d; codes %v", won, lost, n, codes)
	}
	if online, _ := ts.api.Chat().Users("", 10); online != 1 {
		t.Fatalf("%d online after the race, want 1", online)
	}
}

// DELETE /api/session frees the name at once; everyone sees the leave, and
// the old token is refused everywhere.
func TestLeaveReleasesName(t *testing.T) {
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	watch := ts.openWS(t, streamQuery(bob.Token, at(bob.Seq), ""))
	aliceWS := ts.openWS(t, streamQuery(alice.Token, nil, ""))
	aliceWS.hello(t)

	ts.leave(t, alice.Token)
	leave := watch.expect(t, "leave", func(e protocol.Event) bool { return e.Type == protocol.TypeLeave })
	if leave.From != "Alice" || leave.Seq == 0 {
		t.Errorf("leave %+v", leave)
	}
	// Her own stream is ended by the server.
	if err := aliceWS.waitEnd(t); closeCode(err) != 1000 {
		t.Errorf("Alice's WebSocket ended with %v, want close 1000", err)
	}

	again := ts.register(t, "alice")
	if again.Name != "alice" {
		t.Errorf("re-registered as %q", again.Name)
	}
	watch.expect(t, "join of alice", func(e protocol.Event) bool { return e.Type == protocol.TypeJoin && e.From == "alice" })

	old := alice.Token
	const says = "token is missing, unknown or expired"
	ts.do(t, request{method: "POST", path: "/api/messages", token: old, body: protocol.Send{ID: "x", Text: "hi"}}).wantError(t, 401, protocol.CodeUnauthorized, says)
	ts.do(t, request{method: "DELETE", path: "/api/session", token: old}).wantError(t, 401, protocol.CodeUnauthorized, says)
	ts.do(t, request{method: "GET", path: "/api/poll", token: old}).wantError(t, 401, protocol.CodeUnauthorized, says)
	ts.do(t, request{method: "GET", path: "/api/events?token=" + old}).wantError(t, 401, protocol.CodeUnauthorized, says)
	ts.do(t, request{method: "GET", path: "/api/history", token: old}).wantError(t, 401, protocol.CodeUnauthorized, says)
	if _, resp, err := ts.dialWS(t, streamQuery(old, nil, ""), nil); err == nil || resp == nil {
		t.Errorf("WebSocket with a released token: %v, %v", err, resp)
	} else {
		wantErrorBody(t, resp.StatusCode, resp.Header, readAll(t, resp), 401, protocol.CodeUnauthorized, says)
	}
	// The new Alice is not the old one: a direct message to her reaches the
	// new session only.
	newWS := ts.openWS(t, streamQuery(again.Token, nil, ""))
	newWS.hello(t)
	seq := ts.send(t, bob.Token, "to-new", "ALICE", "welcome back")
	if e := newWS.until(t, seq); !has(e, "to-new") {
		t.Errorf("the new alice did not get her message: %+v", e)
	}
	// And the old Alice's ended stream got none of it.
	for {
		e, ok := aliceWS.next(50 * time.Millisecond)
		if !ok {
			break
		}
		if e.Type != protocol.TypeHello {
			t.Errorf("the old alice's stream delivered %+v after her leave", e)
		}
	}
}

// A name with no open stream is released after the grace period; a name
// with a stream is kept.
func TestGraceReleasesName(t *testing.T) {
	const grace = 300 * time.Millisecond
	ts := newServer(t, func(c *config) { c.Chat.Grace = grace })

	keeper := ts.register(t, "Keeper")
	keep := ts.openSSE(t, streamQuery(keeper.Token, at(keeper.Seq), ""), nil)
	keep.hello(t)
	said := ts.send(t, keeper.Token, "k1", "", "still here")

	// Dora opens a stream and closes it: the name is kept for the grace
	// period, then released.
	dora := ts.register(t, "Dora")
	closed := time.Now()
	d := ts.openWS(t, streamQuery(dora.Token, nil, ""))
	d.hello(t)
	d.Close()
	// Eve registers and never opens a stream at all.
	eve := ts.register(t, "Eve")

	left := map[string]bool{}
	for len(left) < 2 {
		e := keep.expect(t, "leave", func(e protocol.Event) bool { return e.Type == protocol.TypeLeave })
		left[e.From] = true
	}
	if !left["Dora"] || !left["Eve"] {
		t.Fatalf("left: %v", left)
	}
	if took := time.Since(closed); took < grace {
		t.Errorf("Dora was released %v after her stream closed, before the grace of %v", took, grace)
	}
	// Keeper registered before either and still has a stream open: kept.
	ts.tryRegister(t, "keeper").wantError(t, 409, protocol.CodeNameTaken, "is in use")
	// Its token still works, and its history still holds what it said.
	r := ts.do(t, request{method: "GET", path: "/api/history", token: keeper.Token})
	if r.status != http.StatusOK {
		t.Fatalf("Keeper's history: %d %s", r.status, r.body)
	}
	var hist protocol.Events
	r.decode(t, &hist)
	if len(hist.Events) != 1 || hist.Events[0].Seq != said || hist.Events[0].From != "Keeper" || hist.Events[0].Text != "still here" {
		t.Fatalf("Keeper's history %+v, want only its message %d", hist.Events, said)
	}
	// The released names can be taken again at once, and the old tokens
	// are dead.
	ts.register(t, "Dora")
	ts.register(t, "eve")
	ts.do(t, request{method: "GET", path: "/api/history", token: dora.Token}).wantError(t, 401, protocol.CodeUnauthorized, "expired")
	ts.do(t, request{method: "GET", path: "/api/history", token: eve.Token}).wantError(t, 401, protocol.CodeUnauthorized, "expired")
}
