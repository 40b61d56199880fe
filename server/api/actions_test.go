package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hark/app/protocol"
)

// act posts an action and returns its seq.
func (ts *testServer) act(t *testing.T, token string, a protocol.Action) uint64 {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: "/api/actions", token: token, body: a})
	if r.status != http.StatusOK {
		t.Fatalf("POST /api/actions %+v: %d %s", a, r.status, r.body)
	}
	var res protocol.SendResult
	r.decode(t, &res)
	if res.ID != a.ID || res.Seq == 0 {
		t.Fatalf("action %q answered %+v", a.ID, res)
	}
	return res.Seq
}

// shown is one line per sequenced event as a client applies it.
func shown(evs []protocol.Event) string {
	var out []string
	for _, ev := range evs {
		switch {
		case !ev.Sequenced() || ev.Type == protocol.TypeJoin:
		case ev.IsAction():
			out = append(out, fmt.Sprintf("%s@%d %s %s%v%s", ev.Type, ev.Target, ev.From, ev.Emoji, map[bool]string{true: "+", false: ""}[ev.On && ev.Type == protocol.TypeReact], ev.Text))
		case ev.Deleted:
			out = append(out, fmt.Sprintf("deleted#%d", ev.Seq))
		default:
			out = append(out, fmt.Sprintf("#%d %s %q re %d", ev.Seq, ev.From, ev.Text, ev.ReplyTo))
		}
	}
	return strings.Join(out, " | ")
}

// On every transport: a reply, reactions of two people toggled, an edit
// and a delete reach another person live; a resume from before them
// replays them, with the deleted message as its tombstone; history has
// them too.
func TestActionsOnEveryTransport(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			ts := newServer(t, nil)
			alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
			live := ts.open(t, tr, bob.Token, at(carol.Seq+1), carol.Epoch)

			m := ts.send(t, alice.Token, "m1", "", "hello")
			r := ts.do(t, request{method: "POST", path: "/api/messages", token: bob.Token, body: protocol.Send{ID: "m2", Text: "hi Alice", ReplyTo: m}})
			if r.status != http.StatusOK {
				t.Fatalf("a reply: %d %s", r.status, r.body)
			}
			ts.act(t, bob.Token, protocol.Action{Type: protocol.TypeReact, ID: "r1", Target: m, Emoji: "👍", On: true})
			ts.act(t, carol.Token, protocol.Action{Type: protocol.TypeReact, ID: "r2", Target: m, Emoji: "👍", On: true})
			ts.act(t, carol.Token, protocol.Action{Type: protocol.TypeReact, ID: "r3", Target: m, Emoji: "👍"})
			ts.act(t, alice.Token, protocol.Action{Type: protocol.TypeEdit, ID: "e1", Target: m, Text: "hello all"})
			last := ts.act(t, alice.Token, protocol.Action{Type: protocol.TypeDelete, ID: "d1", Target: m})

			want := fmt.Sprintf(`#%d Alice "hello" re 0 | #%d Bob "hi Alice" re %d | react@%d Bob 👍+ | react@%d Carol 👍+ | react@%d Carol 👍 | edit@%d Alice hello all | delete@%d Alice `, m, m+1, m, m, m, m, m, m)
			gone := strings.Replace(want, fmt.Sprintf(`#%d Alice "hello" re 0`, m), fmt.Sprintf("deleted#%d", m), 1)
			// A long poll reads the log at each request: one that came
			// after the delete reads the message as its tombstone.
			if got := shown(live.until(t, last)); got != want && !(tr == "poll" && got == gone) {
				t.Fatalf("live:\n%s\nwant\n%s", got, want)
			}
			// Resumed from before the message: the same, but the message
			// is its tombstone.
			replayed := ts.open(t, tr, bob.Token, at(m-1), alice.Epoch)
			if got := shown(replayed.until(t, last)); got != gone {
				t.Fatalf("resumed:\n%s\nwant\n%s", got, gone)
			}
			var h protocol.History
			ts.do(t, request{method: "GET", path: "/api/history", token: carol.Token}).decode(t, &h)
			if got := shown(h.Events); got != gone {
				t.Fatalf("history:\n%s\nwant\n%s", got, gone)
			}
		})
	}
}

// An action's refusals are clear errors: one on another person's message
// (403), on a message there is no seeing (404), and a body that is no
// action (400); a third person never learns of a direct message's
// reaction.
func TestActionsRefusedOverHTTP(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
	pub := ts.send(t, alice.Token, "p", "", "for all")
	dm := ts.send(t, alice.Token, "d", "Bob", "for bob")
	for _, c := range []struct {
		token  string
		body   any
		status int
		code   string
	}{
		{bob.Token, protocol.Action{Type: protocol.TypeEdit, ID: "1", Target: pub, Text: "mine"}, 403, protocol.CodeForbidden},
		{carol.Token, protocol.Action{Type: protocol.TypeReact, ID: "2", Target: dm, Emoji: "👍", On: true}, 404, protocol.CodeNotFound},
		{bob.Token, protocol.Action{Type: protocol.TypeReact, ID: "3", Target: pub, Emoji: "<b>", On: true}, 400, protocol.CodeBadRequest},
		{bob.Token, `{"type":"react","id":4,"target":1}`, 400, protocol.CodeBadRequest},
		{"", protocol.Action{Type: protocol.TypeDelete, ID: "5", Target: pub}, 401, protocol.CodeUnauthorized},
	} {
		r := ts.do(t, request{method: "POST", path: "/api/actions", token: c.token, body: c.body})
		var e protocol.ErrorBody
		r.decode(t, &e)
		if r.status != c.status || e.Error == nil || e.Error.Code != c.code || e.Error.Message == "" {
			t.Errorf("%v: %d %s, want %d %s with a message", c.body, r.status, r.body, c.status, c.code)
		}
	}
	ts.act(t, bob.Token, protocol.Action{Type: protocol.TypeReact, ID: "ok", Target: dm, Emoji: "❤️", On: true})
	var h protocol.History
	ts.do(t, request{method: "GET", path: "/api/history", token: carol.Token}).decode(t, &h)
	if got := shown(h.Events); strings.Contains(got, "react") || strings.Contains(got, "for bob") {
		t.Errorf("Carol's history shows the DM or its reaction: %s", got)
	}
}
