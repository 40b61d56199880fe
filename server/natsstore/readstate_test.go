package natsstore_test

import (
	"context"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/chat"
)

// nextRead reads st until its next read event.
func nextRead(t *testing.T, st *chat.Stream) protocol.Event {
	t.Helper()
	for {
		if e := next(t, st); e.Type() == protocol.TypeRead {
			return e.Event()
		}
	}
}

// Alice reads Bob's message on her laptop, on one node: her phone, on
// another node, gets the read event; Bob, on the phone's node, does not;
// and the position is read on the third node at once.
func TestReadAcrossNodes(t *testing.T) {
	t.Parallel() // its own servers; waits more than it works
	nodes := nodePerServer(t, cluster(t, 3))
	a, b, c := nodes[0].chat, nodes[1].chat, nodes[2].chat
	ctx := context.Background()
	laptop, laptopTok := register(t, a, "Alice")
	phone, phoneTok := linkOn(t, a, laptop, b)
	bob, bobTok := register(t, b, "Bob")
	onPhone := openStream(t, b, phoneTok)
	onBob := openStream(t, b, bobTok)
	openStream(t, a, laptopTok)
	dm := send(t, b, bob, "b1", "alice", "read me")
	if err := a.MarkRead(ctx, laptop, protocol.ReadMark{With: "Bob", Seq: dm}); err != nil {
		t.Fatalf("a mark on the laptop's node: %v", err)
	}
	if got := nextRead(t, onPhone); got.With != "Bob" || got.Seq != dm {
		t.Fatalf("the phone, on another node, got %+v; want read with Bob at %d", got, dm)
	}
	// Bob's next read event would be his own; his stream has none.
	if err := b.MarkRead(ctx, bob, protocol.ReadMark{With: "Alice", Seq: dm}); err != nil {
		t.Fatal(err)
	}
	if got := nextRead(t, onBob); got.With != "Alice" {
		t.Fatalf("Bob's stream got %+v first; Alice's position is not his", got)
	}
	late, _ := linkOn(t, b, phone, c)
	got, err := c.ReadPositions(ctx, late)
	if err != nil || len(got) != 1 || got[0].Seq != dm {
		t.Fatalf("a device linked on the third node reads %+v, %v; want Bob's conversation at %d", got, err, dm)
	}
}

// linkOn signs another device of s's person in on node to, with a code
// made on node from; it returns the new session and its token.
func linkOn(t *testing.T, from *chat.Chat, s *chat.Session, to *chat.Chat) (*chat.Session, string) {
	t.Helper()
	code, _, err := from.DeviceCode(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	dev, tok, _, err := to.Link(context.Background(), code, "")
	if err != nil {
		t.Fatalf("linking a device on another node: %v", err)
	}
	return dev, tok
}

// Read positions survive a restart of the node and its server.
func TestRestartKeepsReadPositions(t *testing.T) {
	dir := t.TempDir()
	srv, nc := embedded(t, dir)
	n := newNode(t, nc, 1, time.Minute)
	alice, aliceTok := register(t, n.chat, "Alice")
	bob, _ := register(t, n.chat, "Bob")
	seq := send(t, n.chat, bob, "b1", "", "hello all")
	if err := n.chat.MarkRead(context.Background(), alice, protocol.ReadMark{Everyone: true, Seq: seq}); err != nil {
		t.Fatal(err)
	}
	n = restart(t, dir, srv, nc, n)
	again, err := n.chat.Authenticate(aliceTok)
	if err != nil {
		t.Fatal(err)
	}
	got, err := n.chat.ReadPositions(context.Background(), again)
	if err != nil || len(got) != 1 || got[0] != (protocol.ReadMark{Everyone: true, Seq: seq}) {
		t.Fatalf("positions after the restart: %+v, %v; want everyone's at %d", got, err, seq)
	}
}
