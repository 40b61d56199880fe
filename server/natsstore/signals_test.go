package natsstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"hark/app/protocol"
	"hark/server/chat"
	"hark/server/natsstore/natstest"
)

// Typing goes between nodes on a plain NATS subject: a typing to everyone
// reaches the streams of every node (the sender's own node too), a typing
// to one person reaches only that person's streams, wherever they are,
// and none of it enters the stream (the log).
func TestTypingAcrossNodes(t *testing.T) {
	a, b := separateNodes(t)
	alice, _ := register(t, a.chat, "Alice")
	dora, doraTok := register(t, a.chat, "Dora")
	_, bobTok := register(t, b.chat, "Bob")
	_, carolTok := register(t, b.chat, "Carol")
	open := func(n *node, tok string) *chat.Stream {
		t.Helper()
		st := openStream(t, n.chat, tok)
		if e := next(t, st); e.Type() != protocol.TypeHello {
			t.Fatalf("first %s, want hello", e.JSON)
		}
		return st
	}
	bob, carol, doraHere := open(b, bobTok), open(b, carolTok), open(a, doraTok)

	if err := a.chat.Typing(alice, ""); err != nil {
		t.Fatal(err)
	}
	for who, st := range map[string]*chat.Stream{"Bob on b": bob, "Carol on b": carol, "Dora on a": doraHere} {
		e := nextNot(t, st, protocol.TypeJoin)
		if ev := e.Event(); ev.Type != protocol.TypeTyping || ev.From != "Alice" || ev.To != "" || e.Seq() != 0 {
			t.Errorf("%s got %s, want Alice typing to everyone", who, e.JSON)
		}
	}
	if err := a.chat.Typing(dora, "bob"); err != nil {
		t.Fatal(err)
	}
	if ev := nextNot(t, bob, protocol.TypeJoin).Event(); ev.Type != protocol.TypeTyping || ev.From != "Dora" || ev.To != "Bob" {
		t.Errorf("Bob got %+v, want Dora typing to Bob", ev)
	}
	seq := send(t, a.chat, alice, "m", "", "after the typing")
	if e := nextNot(t, carol, protocol.TypeJoin); e.Seq() != seq {
		t.Errorf("Carol got %s before the message: Dora's typing to Bob, or a repeat", e.JSON)
	}
	// The stream holds the four joins and the message, nothing else.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.store.Log.Current(ctx, seq); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	b.store.Log.Since(0, func(e *chat.Entry) bool { kinds = append(kinds, e.Type()); return true })
	if fmt.Sprint(kinds) != "[join join join join message]" || seq != 5 {
		t.Errorf("the stream holds %v, the message at %d: typing was logged", kinds, seq)
	}
}

// separateNodes are two nodes on a NATS server, each with a connection
// of its own, as a cluster's nodes are.
func separateNodes(t *testing.T) (a, b *node) {
	t.Helper()
	url := natstest.Server(t)
	connect := func() *nats.Conn {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	return newNode(t, connect(), 1, time.Minute), newNode(t, connect(), 1, time.Minute)
}

// next reads st's next entry, failing after a few seconds.
func next(t *testing.T, st *chat.Stream) *chat.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := st.Next(ctx)
	if err != nil {
		t.Fatalf("waiting for an event: %v", err)
	}
	return e
}

// nextNot reads st's next entry not of type skip.
func nextNot(t *testing.T, st *chat.Stream, skip string) *chat.Entry {
	t.Helper()
	for {
		if e := next(t, st); e.Type() != skip {
			return e
		}
	}
}

// A single node on the embedded server (an in-process connection) hears
// its own signals back, so typing works there as on a cluster.
func TestTypingOnTheEmbeddedServer(t *testing.T) {
	_, nc := embedded(t, t.TempDir())
	n := newNode(t, nc, 1, time.Minute)
	alice, _ := register(t, n.chat, "Alice")
	_, bobTok := register(t, n.chat, "Bob")
	st := openStream(t, n.chat, bobTok)
	if err := n.chat.Typing(alice, "Bob"); err != nil {
		t.Fatal(err)
	}
	for {
		e := next(t, st)
		if e.Type() == protocol.TypeTyping {
			if ev := e.Event(); ev.From != "Alice" || ev.To != "Bob" {
				t.Errorf("Bob got %s", e.JSON)
			}
			return
		}
	}
}

// Typing in a room goes between nodes too: each node hands it to its own
// streams of the room's members, and to none of the sender's, on
// whichever node they are open, nor to anyone outside the room.
func TestRoomTypingAcrossNodes(t *testing.T) {
	a, b := separateNodes(t)
	ctx := context.Background()
	alice, aliceTok := register(t, a.chat, "Alice")
	_, bobTok := register(t, a.chat, "Bob")
	_, doraTok := register(t, a.chat, "Dora")
	_, carolTok := register(t, a.chat, "Carol")
	g, err := a.chat.CreateRoom(ctx, alice, protocol.RoomRequest{Name: "Plans", Private: true, Members: []string{"Bob", "Dora"}})
	if err != nil {
		t.Fatal(err)
	}
	streams := map[string]*chat.Stream{
		"Bob on b": openStream(t, b.chat, bobTok), "Carol on b": openStream(t, b.chat, carolTok),
		"Alice on b": openStream(t, b.chat, aliceTok), "Dora on a": openStream(t, a.chat, doraTok),
	}
	// typingsUntil reads st up to the entry seq, returning the typing
	// events on the way.
	typingsUntil := func(st *chat.Stream, seq uint64) []protocol.Event {
		t.Helper()
		var out []protocol.Event
		for {
			e := next(t, st)
			if e.Type() == protocol.TypeTyping {
				out = append(out, e.Event())
			}
			if e.Seq() == seq {
				return out
			}
		}
	}
	// Both nodes' hubs have the room's members before anyone types: the
	// index follows the log, typing does not wait for it.
	seq := send(t, a.chat, alice, "m1", "", "the room is made")
	for who, st := range streams {
		if got := typingsUntil(st, seq); len(got) != 0 {
			t.Fatalf("%s got %+v before anyone typed", who, got)
		}
	}

	if err := a.chat.RoomTyping(alice, g.ID); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"Bob on b", "Dora on a"} {
		if ev := next(t, streams[who]).Event(); ev.Type != protocol.TypeTyping || ev.From != "Alice" || ev.Room != g.ID || ev.To != "" {
			t.Errorf("%s, a member, got %+v, want Alice typing in %s", who, ev, g.ID)
		}
	}
	// Signals from one node reach another in the order they were sent:
	// whoever is told of Dora's typing to everyone, after Alice's in the
	// room, would have been told of Alice's by then.
	dora := mustAuth(t, a.chat, doraTok)
	if err := a.chat.Typing(dora, ""); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"Alice on b", "Carol on b"} {
		if ev := next(t, streams[who]).Event(); ev.Type != protocol.TypeTyping || ev.From != "Dora" || ev.Room != "" {
			t.Errorf("%s got %+v, want Dora typing to everyone (and nothing of Alice's in the room)", who, ev)
		}
	}
}
