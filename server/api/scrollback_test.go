package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"hark/app/protocol"
)

// history asks GET /api/history with query q and fails the test on a
// refusal.
func (ts *testServer) history(t *testing.T, token string, q url.Values) protocol.History {
	t.Helper()
	r := ts.do(t, request{method: "GET", path: "/api/history?" + q.Encode(), token: token})
	if r.status != 200 {
		t.Fatalf("history?%s: %d %s", q.Encode(), r.status, r.body)
	}
	var h protocol.History
	r.decode(t, &h)
	return h
}

// scroll pages back from the head with limit and the conversation in
// conv (with or everyone, if any), until more is false, and returns every
// event, oldest first. It fails on a page out of order or one that
// overlaps the page after it.
func (ts *testServer) scroll(t *testing.T, token string, limit int, conv url.Values) []protocol.Event {
	t.Helper()
	var all []protocol.Event
	var before uint64
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("scrolling never reached the start")
		}
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if before != 0 {
			q.Set("before", strconv.FormatUint(before, 10))
		}
		for k, v := range conv {
			q[k] = v
		}
		h := ts.history(t, token, q)
		if len(h.Events) > limit {
			t.Fatalf("a page of %d events, limit %d", len(h.Events), limit)
		}
		if h.More && len(h.Events) != limit {
			t.Fatalf("a page of %d events (limit %d) says there is more", len(h.Events), limit)
		}
		for i, e := range h.Events {
			if before != 0 && e.Seq >= before {
				t.Fatalf("before=%d gave seq %d", before, e.Seq)
			}
			if i > 0 && e.Seq <= h.Events[i-1].Seq {
				t.Fatalf("a page out of order: %v", seqs(h.Events))
			}
		}
		all = append(slices.Clone(h.Events), all...)
		if !h.More {
			return all
		}
		before = h.Events[0].Seq
	}
}

// Paging back with before, for everyone's view and one DM conversation,
// reads every message the caller may see once, in order, with no gap, to
// the start of what the server keeps, whatever the page size; a page
// between sends changes nothing before it.
func TestHistoryScrollback(t *testing.T) {
	t.Parallel()
	const keep = 40
	ts := newServer(t, func(c *config) { c.Store.Keep = keep })
	alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
	var all, everyone, aliceBob, aliceCarol []string // what Alice may see, by conversation
	for i := range 60 {
		id := fmt.Sprintf("m%d", i)
		switch i % 4 {
		case 0:
			ts.send(t, bob.Token, id, "", id)
			everyone = append(everyone, id)
		case 1:
			ts.send(t, alice.Token, id, "bob", id) // to Bob, by another case
			aliceBob = append(aliceBob, id)
		case 2:
			ts.send(t, bob.Token, id, "Alice", id)
			aliceBob = append(aliceBob, id)
		case 3:
			ts.send(t, carol.Token, id, "Alice", id)
			aliceCarol = append(aliceCarol, id)
		}
		ts.send(t, carol.Token, id+"-bc", "Bob", "not for alice") // never Alice's
		all = append(all, id)
	}
	// The server keeps the last 40 messages of 120: m40..m59 and their
	// Carol-to-Bob twins. What Alice may see of them:
	keptFrom := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			n, _ := strconv.Atoi(id[1:])
			if n >= 40 {
				out = append(out, id)
			}
		}
		return out
	}
	for _, limit := range []int{1, 3, 7, 500} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			for _, c := range []struct {
				conv url.Values
				want []string
			}{
				{nil, keptFrom(all)},
				{url.Values{"everyone": {"1"}}, keptFrom(everyone)},
				{url.Values{"with": {"BOB"}}, keptFrom(aliceBob)},
				{url.Values{"with": {"ｃａｒｏｌ"}}, keptFrom(aliceCarol)},
				{url.Values{"with": {"Nobody"}}, nil}, // never spoken to
			} {
				if got := ids(ts.scroll(t, alice.Token, limit, c.conv)); !slices.Equal(got, c.want) {
					t.Errorf("Alice's scrollback %v\n got %v\nwant %v", c.conv, got, c.want)
				}
			}
		})
	}

	// A page asked for below an old seq is the same after more sends.
	first := ts.history(t, alice.Token, url.Values{"limit": {"5"}})
	before := first.Events[0].Seq
	page := ts.history(t, alice.Token, url.Values{"limit": {"5"}, "before": {strconv.FormatUint(before, 10)}})
	ts.send(t, bob.Token, "later", "", "later")
	again := ts.history(t, alice.Token, url.Values{"limit": {"5"}, "before": {strconv.FormatUint(before, 10)}})
	if !slices.Equal(seqs(page.Events), seqs(again.Events)) || !page.More || !again.More {
		t.Errorf("a page below %d changed with a send: %v then %v", before, seqs(page.Events), seqs(again.Events))
	}
	// Below the oldest message kept: nothing, and no more.
	if h := ts.history(t, alice.Token, url.Values{"before": {"1"}}); len(h.Events) != 0 || h.More {
		t.Errorf("before=1: %+v", h)
	}
	// Without before or with, history is as it always was.
	if h := ts.history(t, bob.Token, url.Values{"limit": {"2"}}); len(h.Events) != 2 || h.Events[1].ID != "later" || !h.More {
		t.Errorf("Bob's last two: %v more %v", ids(h.Events), h.More)
	}
}

// with follows registrations: whoever takes a name next sees none of the
// earlier holder's conversation with anyone, and the other party sees the
// two holders' conversations as one (they are with the one name).
func TestHistoryWithIsPrivateToTheRegistration(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
	ts.send(t, alice.Token, "a1", "Bob", "to the first bob")
	ts.send(t, bob.Token, "b1", "Alice", "from the first bob")
	ts.leave(t, bob.Token)
	next := ts.register(t, "bob")
	for _, with := range []string{"Alice", "alice", "bob"} {
		if h := ts.history(t, next.Token, url.Values{"with": {with}}); len(h.Events) != 0 || h.More {
			t.Errorf("the next bob, with=%s: %+v", with, h.Events)
		}
	}
	ts.send(t, next.Token, "n1", "Alice", "from the next bob")
	if h := ts.history(t, next.Token, url.Values{"with": {"Alice"}}); len(h.Events) != 1 || h.Events[0].ID != "n1" {
		t.Errorf("the next bob sees, with Alice: %+v", h.Events)
	}
	h := ts.history(t, alice.Token, url.Values{"with": {"BOB"}})
	if got := fmt.Sprint(ids(h.Events)); got != "[a1 b1 n1]" {
		t.Errorf("Alice with Bob: %s, want [a1 b1 n1]", got)
	}
	// A note to oneself is the conversation with oneself.
	ts.send(t, alice.Token, "self", "Alice", "note to self")
	if h := ts.history(t, alice.Token, url.Values{"with": {"alice"}}); fmt.Sprint(ids(h.Events)) != "[self]" {
		t.Errorf("Alice with herself: %v", ids(h.Events))
	}
}

func ids(evs []protocol.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

// Bad before and with are refused with what is wrong, and the server goes
// on serving.
func TestHistoryBadParameters(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	for q, says := range map[string]string{
		"before=x":            "before must be a seq",
		"before=0":            "before must be a seq",
		"before=-3":           "before must be a seq",
		"before=":             "before must be a seq",
		"before=1.5":          "before must be a seq",
		"with=":               "with must be a name",
		"with=%20":            "with must be a name",
		"with=" + longName():  "with must be a name",
		"with=a%00b":          "with must be a name",
		"limit=0&before=3":    "limit must be a whole number",
		"everyone=yes":        "everyone must be 1 or 0",
		"everyone=true":       "everyone must be 1 or 0",
		"everyone=t":          "everyone must be 1 or 0",
		"everyone=FALSE":      "everyone must be 1 or 0",
		"everyone=F":          "everyone must be 1 or 0",
		"everyone=":           "everyone must be 1 or 0",
		"everyone=1&with=Bob": "ask for one",
	} {
		ts.do(t, request{method: "GET", path: "/api/history?" + q, token: alice.Token}).wantError(t, 400, protocol.CodeBadRequest, says)
	}
	ts.do(t, request{method: "GET", path: "/api/history?before=3"}).wantError(t, 401, protocol.CodeUnauthorized, "token")
	for _, q := range []string{"everyone=1", "everyone=0", "everyone=0&with=Bob"} {
		if r := ts.do(t, request{method: "GET", path: "/api/history?" + q, token: alice.Token}); r.status != 200 {
			t.Errorf("GET /api/history?%s: %d %s", q, r.status, r.body)
		}
	}
	ts.stillServes(t)
}

func longName() string {
	b := make([]byte, protocol.MaxNameRunes+1)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}
