package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"hark/app/protocol"
)

// One broadcast reaches a WebSocket, an SSE and a long-poll client at once,
// as the same event; its sender is the token's name whatever the body says.
func TestBroadcastReachesEveryTransport(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	clients := map[string]*client{}
	for i, tr := range transports {
		s := ts.register(t, fmt.Sprintf("reader%d", i))
		clients[tr] = ts.open(t, tr, s.Token, nil, "")
		clients[tr].hello(t)
	}
	r := ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token,
		body: `{"id": "b-1", "text": "hello, all", "from": "Mallory", "seq": 1}`})
	if r.status != 200 {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	var res protocol.SendResult
	r.decode(t, &res)

	var first []byte
	for _, tr := range transports {
		evs := messages(clients[tr].until(t, res.Seq))
		if len(evs) != 1 {
			t.Fatalf("%s got %d messages, want 1: %+v", tr, len(evs), evs)
		}
		e := evs[0]
		if e.Seq != res.Seq || e.ID != "b-1" || e.From != "Alice" || e.To != "" || e.Text != "hello, all" || e.Time == nil {
			t.Errorf("%s got %+v", tr, e)
		}
		b, _ := json.Marshal(e)
		if first == nil {
			first = b
		} else if string(b) != string(first) {
			t.Errorf("%s event %s differs from %s", tr, b, first)
		}
	}
}

// A direct message reaches the recipient and every stream of the sender,
// and no one else: not live, not in history.
func TestDirectMessage(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	carol := ts.register(t, "Carol")
	tab1 := ts.openWS(t, streamQuery(alice.Token, nil, ""))
	tab2 := ts.openSSE(t, streamQuery(alice.Token, nil, ""), nil)
	bobPoll := ts.openPoll(t, bob.Token, nil, "")
	carolWS := ts.openWS(t, streamQuery(carol.Token, nil, ""))
	for _, c := range []*client{tab1, tab2, bobPoll, carolWS} {
		c.hello(t)
	}

	dm := ts.send(t, alice.Token, "dm-1", "bob", "just for you")
	reply := ts.send(t, bob.Token, "dm-2", "ＡＬＩＣＥ", "thanks")
	marker := ts.send(t, carol.Token, "marker", "", "everyone")

	for name, c := range map[string]*client{"Alice's WebSocket": tab1, "Alice's SSE": tab2, "Bob": bobPoll} {
		evs := messages(c.until(t, marker))
		if len(evs) != 3 || evs[0].Seq != dm || evs[1].Seq != reply || evs[2].Seq != marker {
			t.Fatalf("%s got %+v", name, evs)
		}
		if evs[0].From != "Alice" || evs[0].To != "Bob" || evs[1].From != "Bob" || evs[1].To != "Alice" {
			t.Errorf("%s: direct messages %+v and %+v do not name their parties' display forms", name, evs[0], evs[1])
		}
	}
	// Carol gets the broadcast after the two direct messages, and neither
	// of them: they would have come first.
	if evs := messages(carolWS.until(t, marker)); len(evs) != 1 || evs[0].ID != "marker" {
		t.Fatalf("Carol got %+v", evs)
	}

	var h protocol.Events
	ts.do(t, request{method: "GET", path: "/api/history", token: carol.Token}).decode(t, &h)
	if has(h.Events, "dm-1") || has(h.Events, "dm-2") || !has(h.Events, "marker") {
		t.Errorf("Carol's history: %+v", h.Events)
	}
	ts.do(t, request{method: "GET", path: "/api/history", token: bob.Token}).decode(t, &h)
	if !has(h.Events, "dm-1") || !has(h.Events, "dm-2") {
		t.Errorf("Bob's history: %+v", h.Events)
	}
	// Resuming replays the same visibility.
	late := ts.openSSE(t, streamQuery(carol.Token, at(carol.Seq), ""), nil)
	if evs := messages(late.until(t, marker)); len(evs) != 1 || evs[0].ID != "marker" {
		t.Fatalf("Carol's replay: %+v", evs)
	}
}

// A retried id is answered with the first seq and delivered once, also
// when the retries race and when they come over another transport.
func TestIdempotentRetry(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	watcher := ts.register(t, "Watcher")
	w := ts.openSSE(t, streamQuery(watcher.Token, at(watcher.Seq), ""), nil)

	first := ts.send(t, alice.Token, "r-1", "", "once")
	if again := ts.send(t, alice.Token, "r-1", "", "once"); again != first {
		t.Errorf("retry got seq %d, first %d", again, first)
	}

	const n = 20
	got := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "r-2", Text: "racing"}})
			var res protocol.SendResult
			if r.status == 200 && json.Unmarshal(r.body, &res) == nil {
				got[i] = res.Seq
			}
		}()
	}
	wg.Wait()
	for i, s := range got {
		if s == 0 || s != got[0] {
			t.Fatalf("concurrent retries got seqs %v (index %d)", got, i)
		}
	}

	// The same id over the WebSocket of the same session is the same send.
	ws := ts.openWS(t, streamQuery(alice.Token, nil, ""))
	ws.hello(t)
	ws.writeWS(t, protocol.Send{Type: protocol.TypeSend, ID: "r-1", Text: "once"})
	ack := ws.expect(t, "ack", func(e protocol.Event) bool { return e.Type == protocol.TypeAck })
	if ack.ID != "r-1" || ack.Seq != first {
		t.Errorf("WebSocket retry acked %+v, want seq %d", ack, first)
	}
	// Another session's id is its own.
	if other := ts.send(t, watcher.Token, "r-1", "", "mine"); other == first {
		t.Error("another session's id r-1 was taken for a retry")
	}

	marker := ts.send(t, alice.Token, "marker", "", "done")
	count := map[string]int{}
	for _, e := range messages(w.until(t, marker)) {
		count[e.From+"/"+e.ID]++
	}
	if count["Alice/r-1"] != 1 || count["Alice/r-2"] != 1 || count["Watcher/r-1"] != 1 {
		t.Errorf("delivered: %v", count)
	}
}

// Send frames on a WebSocket are answered on that socket: an ack with the
// seq, or an error frame with the id, and the socket stays open.
func TestWebSocketSendFrames(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	ws := ts.openWS(t, streamQuery(alice.Token, nil, ""))
	ws.hello(t)
	bobSSE := ts.openSSE(t, streamQuery(bob.Token, at(bob.Seq), ""), nil)

	// Alice's own events come on the socket beside the replies, in either
	// order; seen keeps them.
	var seen []protocol.Event
	reply := func(t *testing.T) protocol.Event {
		t.Helper()
		return ws.expect(t, "an ack or error", func(e protocol.Event) bool {
			seen = append(seen, e)
			return e.Type == protocol.TypeAck || e.Type == protocol.TypeError
		})
	}
	ws.writeWS(t, protocol.Send{Type: protocol.TypeSend, ID: "w-1", Text: "over the socket"})
	ack := reply(t)
	if ack.Type != protocol.TypeAck || ack.ID != "w-1" || ack.Seq == 0 {
		t.Fatalf("reply %+v, want an ack", ack)
	}
	if evs := messages(bobSSE.until(t, ack.Seq)); len(evs) != 1 || evs[0].From != "Alice" || evs[0].Text != "over the socket" {
		t.Fatalf("Bob got %+v", evs)
	}

	for _, tc := range []struct {
		name, frame, id, code, says string
		binary                      bool
	}{
		{"empty text", `{"type":"send","id":"e-1","text":""}`, "e-1", protocol.CodeBadRequest, "cannot be empty", false},
		{"long text", `{"type":"send","id":"e-2","text":"` + strings.Repeat("x", protocol.MaxTextBytes+1) + `"}`, "e-2", protocol.CodeTooLarge, "at most 4096 bytes", false},
		{"frame over 16 KiB", `{"type":"send","id":"e-3","text":"x","pad":"` + strings.Repeat("p", protocol.MaxBodyBytes) + `"}`, "", protocol.CodeTooLarge, "16384 bytes", false},
		{"not JSON", `{"type":"send",`, "", protocol.CodeBadRequest, "malformed JSON", false},
		{"wrong field type", `{"type":"send","id":"e-5","text":7}`, "", protocol.CodeBadRequest, `field "text"`, false},
		{"no type", `{"id":"e-6","text":"hi"}`, "e-6", protocol.CodeBadRequest, "needs a type", false},
		{"not a send", `{"type":"ack","id":"e-7","text":"hi"}`, "e-7", protocol.CodeBadRequest, "cannot be sent", false},
		{"no id", `{"type":"send","text":"hi"}`, "", protocol.CodeBadRequest, "needs an id", false},
		{"unknown recipient", `{"type":"send","id":"e-9","to":"Nobody","text":"hi"}`, "e-9", protocol.CodeNoSuchUser, `"Nobody" is not online`, false},
		{"binary", `{"type":"send","id":"e-10","text":"hi"}`, "", protocol.CodeBadRequest, "not binary", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.binary {
				if err := ws.ws.Write(t.Context(), websocket.MessageBinary, []byte(tc.frame)); err != nil {
					t.Fatal(err)
				}
			} else {
				ws.writeWS(t, tc.frame)
			}
			e := reply(t)
			if e.Type != protocol.TypeError || e.Error == nil {
				t.Fatalf("reply %+v, want an error frame", e)
			}
			if e.ID != tc.id || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.says) {
				t.Errorf("error frame id %q %+v, want id %q, %s saying %q", e.ID, e.Error, tc.id, tc.code, tc.says)
			}
		})
	}

	// The socket still works, for sending and receiving.
	ws.writeWS(t, protocol.Send{Type: protocol.TypeSend, ID: "w-2", To: "bob", Text: "still here"})
	ack = reply(t)
	if ack.Type != protocol.TypeAck || ack.ID != "w-2" {
		t.Fatalf("reply %+v, want an ack", ack)
	}
	if evs := messages(bobSSE.until(t, ack.Seq)); len(evs) != 1 || evs[0].ID != "w-2" || evs[0].To != "Bob" {
		t.Fatalf("Bob got %+v", evs)
	}
	// Her own direct message is echoed to her, and nothing refused
	// reached her either.
	if !has(seen, "w-2") {
		ws.expect(t, "its own direct message", func(e protocol.Event) bool { seen = append(seen, e); return e.Seq == ack.Seq })
	}
	if got := messages(seen); len(got) != 2 || got[0].ID != "w-1" || got[1].ID != "w-2" {
		t.Errorf("Alice's socket carried %+v", got)
	}

	// A frame too big to read at all closes only that socket.
	big := `{"type":"send","id":"huge","text":"` + strings.Repeat("h", 100<<10) + `"}`
	ws.ws.Write(t.Context(), websocket.MessageText, []byte(big))
	if err := ws.waitEnd(t); closeCode(err) != websocket.StatusMessageTooBig {
		t.Errorf("a 100 KiB frame ended the socket with %v, want 1009", err)
	}
	if evs := messages(bobSSE.until(t, ts.send(t, bob.Token, "after", "", "after the big frame"))); len(evs) != 1 || evs[0].ID != "after" {
		t.Errorf("Bob got %+v after the big frame", evs)
	}
	ts.stillServes(t)
}

func TestHistoryAndUsers(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "bob")
	alan := ts.register(t, "alan")
	for i := range 5 {
		id := fmt.Sprintf("h-%d", i)
		ts.send(t, alice.Token, id, "", "message "+id)
	}
	ts.send(t, alice.Token, "secret", "Bob", "psst")

	history := func(token, q string) []protocol.Event {
		var h protocol.Events
		r := ts.do(t, request{method: "GET", path: "/api/history" + q, token: token})
		if r.status != 200 {
			t.Fatalf("history%s: %d %s", q, r.status, r.body)
		}
		r.decode(t, &h)
		return h.Events
	}
	got := history(alan.Token, "?limit=3")
	if len(got) != 3 || got[0].ID != "h-2" || got[2].ID != "h-4" {
		t.Errorf("Alan's last 3: %+v", got)
	}
	if got := history(bob.Token, "?limit=2"); len(got) != 2 || got[0].ID != "h-4" || got[1].ID != "secret" {
		t.Errorf("Bob's last 2: %+v", got)
	}
	if got := history(alan.Token, ""); len(got) != 5 {
		t.Errorf("Alan's history: %d events, want the 5 broadcasts and no joins", len(got))
	}
	if got := history(alan.Token, "?limit=100000"); len(got) != 5 {
		t.Errorf("a limit over 500 is capped, not refused: %+v", got)
	}
	for _, q := range []string{"?limit=0", "?limit=-1", "?limit=ten"} {
		ts.do(t, request{method: "GET", path: "/api/history" + q, token: alan.Token}).wantError(t, 400, protocol.CodeBadRequest, "limit must be a whole number")
	}

	users := func(q string) protocol.Users {
		var u protocol.Users
		r := ts.do(t, request{method: "GET", path: "/api/users" + q, token: bob.Token})
		if r.status != 200 {
			t.Fatalf("users%s: %d %s", q, r.status, r.body)
		}
		r.decode(t, &u)
		return u
	}
	if u := users(""); u.Online != 3 || strings.Join(u.Users, ",") != "alan,Alice,bob" {
		t.Errorf("users: %+v", u)
	}
	if u := users("?prefix=AL"); u.Online != 3 || strings.Join(u.Users, ",") != "alan,Alice" {
		t.Errorf("users with prefix AL: %+v", u)
	}
	if u := users("?prefix=al&limit=1"); strings.Join(u.Users, ",") != "alan" {
		t.Errorf("users with limit 1: %+v", u)
	}
	if u := users("?prefix=zed"); u.Users == nil || len(u.Users) != 0 {
		t.Errorf("users with no match: %+v, want an empty list", u)
	}
	ts.do(t, request{method: "GET", path: "/api/users?limit=x", token: bob.Token}).wantError(t, 400, protocol.CodeBadRequest, "limit must be a whole number")
	ts.do(t, request{method: "GET", path: "/api/users"}).wantError(t, 401, protocol.CodeUnauthorized, "token")
}
