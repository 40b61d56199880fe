package api_test

import (
	"strings"
	"testing"

	"hark/app/protocol"
)

// Above the presence threshold the server goes by counts: no join or leave
// events, hellos without the roster, presence counts; below it, back to
// names, with the roster once in a presence event.
func TestPresenceThreshold(t *testing.T) {
	ts := newServer(t, func(c *config) { c.Chat.PresenceThreshold = 3 })
	a := ts.register(t, "Ann")
	b := ts.register(t, "Ben")
	c := ts.register(t, "Cat")
	watch := ts.openWS(t, streamQuery(a.Token, at(a.Seq), a.Epoch))
	if h := watch.hello(t); h.Online != 3 || strings.Join(h.Users, ",") != "Ann,Ben,Cat" {
		t.Fatalf("hello at the threshold: %+v", h)
	}
	joins := 0
	for _, e := range watch.until(t, c.Seq+1) {
		if e.Type == protocol.TypeJoin {
			joins++
		}
	}
	if joins != 3 {
		t.Fatalf("%d joins up to the threshold, want 3", joins)
	}

	// everything keeps what watch carried from here on.
	var everything []protocol.Event
	see := func(what string, match func(protocol.Event) bool) protocol.Event {
		t.Helper()
		return watch.expect(t, what, func(e protocol.Event) bool {
			everything = append(everything, e)
			return match(e)
		})
	}

	// A fourth person: counts.
	d := ts.register(t, "Dan")
	if p := see("presence", isPresence); p.Online != 4 || p.Users != nil {
		t.Errorf("presence %+v, want online 4 without names", p)
	}
	hello := ts.openSSE(t, streamQuery(b.Token, nil, ""), nil).hello(t)
	if hello.Online != 4 || hello.Users != nil || hello.Name != "Ben" {
		t.Errorf("hello above the threshold: %+v, want online 4 and no users", hello)
	}
	e := ts.register(t, "Eve")
	f := ts.register(t, "Fay")
	see("presence of 6", func(e protocol.Event) bool { return isPresence(e) && e.Online == 6 })

	// Direct messages and the users endpoint work the same.
	dan := ts.openPoll(t, d.Token, at(d.Seq), d.Epoch)
	dm := ts.send(t, a.Token, "to-dan", "dan", "counting")
	if got := messages(dan.until(t, dm)); len(got) != 1 || got[0].To != "Dan" {
		t.Errorf("Dan got %+v", got)
	}
	var u protocol.Users
	ts.do(t, request{method: "GET", path: "/api/users?prefix=&limit=50", token: f.Token}).decode(t, &u)
	if u.Online != 6 || strings.Join(u.Users, ",") != "Ann,Ben,Cat,Dan,Eve,Fay" {
		t.Errorf("users above the threshold: %+v", u)
	}

	// Back to three: the roster comes once, in a presence event.
	for _, s := range []string{d.Token, e.Token, f.Token} {
		ts.leave(t, s)
	}
	p := see("presence with the roster", func(e protocol.Event) bool { return isPresence(e) && e.Users != nil })
	if p.Online != 3 || strings.Join(p.Users, ",") != "Ann,Ben,Cat" {
		t.Errorf("presence back below the threshold: %+v", p)
	}
	marker := ts.send(t, b.Token, "marker", "", "names again")
	see("marker", func(e protocol.Event) bool { return e.Seq == marker })
	for _, ev := range everything {
		if ev.Type == protocol.TypeJoin || ev.Type == protocol.TypeLeave {
			t.Errorf("a per-person event while counting: %+v", ev)
		}
	}
	// And per-person events again.
	ts.leave(t, c.Token)
	if l := watch.expect(t, "leave", func(e protocol.Event) bool { return e.Type == protocol.TypeLeave || isPresence(e) }); l.Type != protocol.TypeLeave || l.From != "Cat" {
		t.Errorf("got %+v, want Cat's leave", l)
	}
	if h := ts.openWS(t, streamQuery(b.Token, nil, "")).hello(t); h.Online != 2 || strings.Join(h.Users, ",") != "Ann,Ben" {
		t.Errorf("hello below the threshold: %+v", h)
	}
	ts.register(t, "Gus")
	if j := watch.expect(t, "join", func(e protocol.Event) bool { return e.Type == protocol.TypeJoin || isPresence(e) }); j.Type != protocol.TypeJoin || j.From != "Gus" {
		t.Errorf("got %+v, want Gus's join", j)
	}
}

func isPresence(e protocol.Event) bool { return e.Type == protocol.TypePresence }
