package natsstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/chat"
)

// A group made on one node is the group on the other: its member there
// gets its messages live and in history, someone in no room on either
// node gets none, of ten makers of one room name on both nodes one wins,
// and after both nodes restart on the same data directory the rooms,
// their members and their history are all there.
func TestRoomsAcrossNodesAndRestart(t *testing.T) {
	dir := t.TempDir()
	srv, nc := embedded(t, dir)
	a, b := newNode(t, nc, 1, time.Minute), newNode(t, nc, 1, time.Minute)
	ctx := context.Background()
	alice, _ := register(t, a.chat, "Alice")
	_, bobTok := register(t, a.chat, "Bob")
	register(t, a.chat, "Carol")
	_, daveTok := register(t, b.chat, "Dave")
	bob := mustAuth(t, b.chat, bobTok)
	onB := openStream(t, b.chat, bobTok)
	daveB := openStream(t, b.chat, daveTok)

	testkit.Eventually(t, "node a to know of Dave", func() bool { return hasName(a.chat, "Dave") })
	g, err := a.chat.CreateRoom(ctx, alice, protocol.RoomRequest{Name: "Plans", Private: true, Members: []string{"Bob", "Carol"}})
	if err != nil {
		t.Fatal(err)
	}
	send1, err := b.chat.Send(ctx, bob, protocol.Send{ID: "b1", Room: g.ID, Text: "from node b"})
	if err != nil {
		t.Fatalf("Bob, added on node a, sending on node b: %v", err)
	}
	if ev := nextOf(t, onB, protocol.TypeRoomMessage); ev.Seq != send1 || ev.Room != g.ID {
		t.Fatalf("Bob's stream on node b got %+v", ev)
	}
	if _, err := a.chat.Send(ctx, alice, protocol.Send{ID: "a1", Room: g.ID, Text: "from node a"}); err != nil {
		t.Fatal(err)
	}
	if ev := nextOf(t, onB, protocol.TypeRoomMessage); ev.Text != "from node a" {
		t.Fatalf("Bob's stream on node b got %+v", ev)
	}
	end, _ := a.chat.Send(ctx, alice, protocol.Send{ID: "a2", Text: "to everyone"})
	for {
		e := next(t, daveB)
		if e.Room() != "" || e.Type() == protocol.TypeRoomMessage {
			t.Fatalf("Dave, in no room, got %s", e.JSON)
		}
		if e.Seq() == end {
			break
		}
	}

	var won int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 10 {
		c := []*chat.Chat{a.chat, b.chat}[i%2]
		s := []*chat.Session{alice, bob}[i%2]
		wg.Go(func() {
			_, err := c.CreateRoom(ctx, s, protocol.RoomRequest{Name: "Race"})
			var pe *protocol.Error
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.As(err, &pe) || pe.Code != protocol.CodeNameTaken && pe.Code != protocol.CodeRateLimited:
				t.Errorf("a maker: %v, want name_taken", err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d of 10 makers of one room name on two nodes made it, want 1", won)
	}

	n := restart(t, dir, srv, nc, a, b)
	bob2 := mustAuth(t, n.chat, bobTok)
	p, err := n.chat.Page(bob2, chat.HistoryQuery{Room: g.ID})
	if err != nil || len(p.Entries) != 2 {
		t.Fatalf("the group's history after a restart: %d entries, %v", len(p.Entries), err)
	}
	l := n.chat.RoomList(bob2, "", 10)
	mine := map[string]bool{}
	for _, r := range l.Mine {
		mine[r.Name] = true
	}
	// Race is Bob's if his maker won it, Alice's otherwise.
	if !mine["Plans"] || len(l.Rooms) != 1 || l.Rooms[0].Name != "Race" || mine["Race"] != (l.Rooms[0].Owner == "Bob") {
		t.Fatalf("rooms after a restart %+v", l)
	}
	st := openStream(t, n.chat, bobTok)
	if _, err := n.chat.Send(ctx, bob2, protocol.Send{ID: "b2", Room: g.ID, Text: "after"}); err != nil {
		t.Fatal(err)
	}
	if ev := nextOf(t, st, protocol.TypeRoomMessage); ev.Text != "after" {
		t.Fatalf("after a restart Bob's stream got %+v: the hub's room index was not loaded", ev)
	}
}
