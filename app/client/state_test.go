package client

import (
	"context"
	"fmt"
	"testing"

	"hark/app/protocol"
)

// feed applies events as one stream would, without a server.
func feed(t *testing.T, c *Client, evs ...protocol.Event) {
	t.Helper()
	var ps pumpState
	for _, ev := range evs {
		if err := c.handle(context.Background(), &ps, ev); err != nil {
			t.Fatal(err)
		}
	}
}

func msg(seq uint64, from, text string) protocol.Event {
	return protocol.Event{Seq: seq, Type: protocol.TypeMessage, From: from, Text: text, ID: fmt.Sprint("x", seq)}
}

func texts(s State) []string {
	var out []string
	for _, it := range s.Messages {
		out = append(out, it.Event.Text)
	}
	return out
}

func TestDedupeBySeq(t *testing.T) {
	var got []uint64
	c := New(Options{BaseURL: "http://127.0.0.1:1", OnEvent: func(e protocol.Event) { got = append(got, e.Seq) }})
	c.st.Name = "Alice"
	// A replay overlapping what was seen, as after a transport switch.
	feed(t, c, msg(1, "Bob", "a"), msg(2, "Bob", "b"), msg(2, "Bob", "b"), msg(1, "Bob", "a"), msg(3, "Bob", "c"))
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("OnEvent got seqs %v, want [1 2 3]", got)
	}
	s := c.State()
	if fmt.Sprint(texts(s)) != "[a b c]" || s.Seq != 3 {
		t.Fatalf("list %v seq %d", texts(s), s.Seq)
	}
	// History overlapping the list (and newer than the position) is
	// merged by seq, in order, each once.
	c.mu.Lock()
	for _, ev := range []protocol.Event{msg(2, "Bob", "b"), msg(4, "Bob", "d"), msg(0, "Bob", "no seq")} {
		if ev.Seq != 0 {
			c.list(ev)
		}
	}
	c.mu.Unlock()
	feed(t, c, msg(4, "Bob", "d"), msg(5, "Bob", "e"))
	if s := c.State(); fmt.Sprint(texts(s)) != "[a b c d e]" {
		t.Fatalf("after history and stream: %v", texts(s))
	}
	if fmt.Sprint(got) != "[1 2 3 4 5]" {
		t.Fatalf("OnEvent got seqs %v", got)
	}
}

func TestOwnMessageShownOnce(t *testing.T) {
	c := New(Options{BaseURL: "http://127.0.0.1:1"})
	c.mu.Lock()
	c.begin("Alice", "tok", "e1", 0)
	c.mu.Unlock()
	id1 := c.Send("", "first")
	id2 := c.Send("", "second")
	if s := c.State(); len(s.Messages) != 2 || s.Messages[0].Status != Pending || len(c.outbox) != 2 {
		t.Fatalf("after Send: %+v", s.Messages)
	}
	// The own event arrives before any ack: it settles the pending item.
	feed(t, c, protocol.Event{Seq: 7, Type: protocol.TypeMessage, ID: id1, From: "Alice", Text: "first"})
	// An ack settles the other, then its event comes too.
	c.mu.Lock()
	c.settle(id2, 9, nil)
	c.mu.Unlock()
	feed(t, c, msg(8, "Bob", "between"), protocol.Event{Seq: 9, Type: protocol.TypeMessage, ID: id2, From: "Alice", Text: "second"})
	s := c.State()
	if fmt.Sprint(texts(s)) != "[first between second]" {
		t.Fatalf("list %v", texts(s))
	}
	for _, i := range []int{0, 2} {
		if it := s.Messages[i]; !it.Own || it.Status != Sent {
			t.Fatalf("own item %d: %+v", i, it)
		}
	}
	if s.Messages[1].Own || len(c.outbox) != 0 {
		t.Fatalf("Bob's item %+v, outbox %v", s.Messages[1], c.outbox)
	}
}

func TestKeepMessagesBound(t *testing.T) {
	c := New(Options{BaseURL: "http://127.0.0.1:1", KeepMessages: 3})
	c.mu.Lock()
	c.begin("Alice", "tok", "e1", 0)
	c.mu.Unlock()
	pending := c.Send("", "mine")
	for i := uint64(1); i <= 6; i++ {
		feed(t, c, msg(i, "Bob", fmt.Sprint(i)))
	}
	s := c.State()
	// The oldest go; the unsent own message stays, as it is still news.
	if fmt.Sprint(texts(s)) != "[5 6 mine]" || s.Messages[2].Event.ID != pending {
		t.Fatalf("kept %v", texts(s))
	}
	none := New(Options{BaseURL: "http://127.0.0.1:1", KeepMessages: -1})
	feed(t, none, msg(1, "Bob", "x"))
	if s := none.State(); len(s.Messages) != 0 || s.Seq != 1 {
		t.Fatalf("KeepMessages -1 kept %v", texts(s))
	}
}

func TestRosterAndPresence(t *testing.T) {
	c := New(Options{BaseURL: "http://127.0.0.1:1"})
	feed(t, c,
		protocol.Event{Type: protocol.TypeHello, Name: "Bob", Online: 2, Users: []string{"alice", "Bob"}, Epoch: "e"},
		protocol.Event{Seq: 1, Type: protocol.TypeJoin, From: "Carol"},
		protocol.Event{Seq: 2, Type: protocol.TypeJoin, From: "aaron"},
		protocol.Event{Seq: 3, Type: protocol.TypeLeave, From: "alice"})
	s := c.State()
	if fmt.Sprint(s.Users) != "[aaron Bob Carol]" || s.Online != 3 || s.Counts {
		t.Fatalf("roster %v online %d counts %v", s.Users, s.Online, s.Counts)
	}
	feed(t, c, protocol.Event{Type: protocol.TypeHello, Name: "Bob", Online: 500, Epoch: "e"},
		protocol.Event{Type: protocol.TypePresence, Online: 480})
	if s := c.State(); !s.Counts || s.Users != nil || s.Online != 480 {
		t.Fatalf("counts mode: %+v", summaryOf(s))
	}
	feed(t, c, protocol.Event{Type: protocol.TypePresence, Online: 2, Users: []string{"Bob", "Dan"}})
	if s := c.State(); s.Counts || fmt.Sprint(s.Users) != "[Bob Dan]" || s.Online != 2 {
		t.Fatalf("back to roster: %+v", summaryOf(s))
	}
}

func summaryOf(s State) State {
	s.Messages = nil
	return s
}
