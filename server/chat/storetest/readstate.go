package storetest

import (
	"slices"
	"sync"
	"testing"

	"hark/app/protocol"
	"hark/server/chat"
)

// Read positions are kept per registration and per conversation (a
// room's apart from a person's), move
// only forward, are read on another node at once, keep the highest of
// marks racing on two nodes, and are gone once forgotten.
func readPositions(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	bob := protocol.ReadMark{With: "Bob", Seq: 10}
	if kept, moved, err := a.Reads.Mark(ctx(t), 7, "bob", bob); err != nil || !moved || kept != bob {
		t.Fatalf("a first mark: %+v, %v, %v; want it kept and moved", kept, moved, err)
	}
	if kept, moved, err := b.Reads.Mark(ctx(t), 7, "bob", protocol.ReadMark{With: "bob", Seq: 9}); err != nil || moved || kept != bob {
		t.Fatalf("a lower mark on the other node: %+v, %v, %v; want %+v kept, not moved", kept, moved, err, bob)
	}
	if _, moved, err := b.Reads.Mark(ctx(t), 7, "bob", bob); err != nil || moved {
		t.Fatalf("the same mark again: moved %v, %v; want not moved", moved, err)
	}
	everyone := protocol.ReadMark{Everyone: true, Seq: 3}
	if _, moved, err := b.Reads.Mark(ctx(t), 7, "", everyone); err != nil || !moved {
		t.Fatalf("another conversation: moved %v, %v; want moved", moved, err)
	}
	// A room's position, under its key, is kept whole beside a person's
	// whose name looks like it.
	room := protocol.ReadMark{Room: "abcdefgh", Seq: 5}
	if _, moved, err := a.Reads.Mark(ctx(t), 7, chat.RoomReadKey("abcdefgh"), room); err != nil || !moved {
		t.Fatalf("a room's mark: moved %v, %v; want moved", moved, err)
	}
	named := protocol.ReadMark{With: "#abcdefgh", Seq: 4}
	if _, moved, err := b.Reads.Mark(ctx(t), 7, chat.ReadKey(named), named); err != nil || !moved {
		t.Fatalf("the mark of a person named like the room: moved %v, %v; want moved (another conversation)", moved, err)
	}
	other := protocol.ReadMark{With: "Bob", Seq: 2}
	if _, moved, err := a.Reads.Mark(ctx(t), 8, "bob", other); err != nil || !moved {
		t.Fatalf("another registration's mark, lower: moved %v, %v; want moved (its own)", moved, err)
	}
	sorted := func(n chat.Store, reg chat.RegID) []protocol.ReadMark {
		got, err := n.Reads.Positions(ctx(t), reg)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(x, y protocol.ReadMark) int { return int(x.Seq) - int(y.Seq) })
		return got
	}
	for _, n := range []chat.Store{a, b} {
		if got := sorted(n, 7); !slices.Equal(got, []protocol.ReadMark{everyone, named, room, bob}) {
			t.Fatalf("registration 7's positions: %+v, want %+v, %+v, %+v and %+v", got, everyone, named, room, bob)
		}
		if got := sorted(n, 8); !slices.Equal(got, []protocol.ReadMark{other}) {
			t.Fatalf("registration 8's positions: %+v, want only its own %+v", got, other)
		}
	}

	// Marks racing on two nodes: whatever the order, the highest stays.
	var wg sync.WaitGroup
	for i := range 10 {
		n := []chat.Store{a, b}[i%2]
		wg.Go(func() {
			if _, _, err := n.Reads.Mark(ctx(t), 9, "", protocol.ReadMark{Everyone: true, Seq: uint64(100 + i)}); err != nil {
				t.Errorf("a racing mark: %v", err)
			}
		})
	}
	wg.Wait()
	if got := sorted(b, 9); len(got) != 1 || got[0].Seq != 109 {
		t.Fatalf("after ten racing marks: %+v, want the highest, 109", got)
	}

	if err := b.Reads.Forget(ctx(t), 7); err != nil {
		t.Fatal(err)
	}
	if err := a.Reads.Forget(ctx(t), 42); err != nil {
		t.Fatalf("forgetting a registration that never marked: %v", err)
	}
	if got := sorted(a, 7); len(got) != 0 {
		t.Fatalf("positions after Forget: %+v, want none", got)
	}
	if got := sorted(a, 8); len(got) != 1 {
		t.Fatalf("another registration's positions after Forget: %+v, want its one", got)
	}
	if _, moved, err := a.Reads.Mark(ctx(t), 7, "bob", protocol.ReadMark{With: "Bob", Seq: 1}); err != nil || !moved {
		t.Fatalf("a mark after Forget: moved %v, %v; want moved from nothing", moved, err)
	}
}
