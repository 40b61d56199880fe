package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/chat"
)

// The rooms' clauses, added to the contract's list here so that the
// list's other additions and these stay apart.
func init() {
	clauses = append(clauses, []struct {
		name string
		run  func(*testing.T, Fresh)
	}{
		{"RoomNameRaceHasOneWinner", roomNameRace},
		{"RoomMembersJoinAndLeaveOnEveryNode", roomMembers},
		{"PublicRoomsListByNameAndRenamesFreeTheOld", roomList},
		{"RoomEntriesKeepTheirRoom", roomEntries},
	}...)
}

func room(id, name string, private bool) chat.RoomRecord {
	return chat.RoomRecord{ID: id, Name: name, Key: protocol.NameKey(name), Private: private, Owner: 1, OwnerName: "Alice", Created: time.Now().Truncate(time.Millisecond)}
}

// current brings every node's copy of the rooms up to date.
func roomsCurrent(t *testing.T, nodes ...chat.Store) {
	t.Helper()
	for i, n := range nodes {
		if err := n.Rooms.Current(ctx(t)); err != nil {
			t.Fatalf("node %d's Rooms.Current: %v", i, err)
		}
	}
}

// Of many creators of one room name (by compare key) racing on two
// nodes, exactly one wins, the others are told ErrRoomTaken, and every
// node then has the winner's room.
func roomNameRace(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	const racers = 8
	names := []string{"Gophers", "gophers", "ＧＯＰＨＥＲＳ", " Gophers "}
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		node := []chat.Store{a, b}[i%2]
		r := room(fmt.Sprintf("id%d", i), names[i%len(names)], false)
		r.Key = protocol.NameKey("Gophers")
		wg.Go(func() { errs[i] = node.Rooms.Create(ctx(t), r) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("racers %d and %d both made the room", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, chat.ErrRoomTaken):
			t.Fatalf("racer %d: %v, want ErrRoomTaken", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("nobody made the room")
	}
	roomsCurrent(t, a, b)
	for i, n := range []chat.Store{a, b} {
		got := n.Rooms.Public("", 10)
		if len(got) != 1 || got[0].ID != fmt.Sprintf("id%d", winner) {
			t.Fatalf("node %d lists %+v, want the winner's room only", i, got)
		}
		if r, ok := n.Rooms.Room(got[0].ID); !ok || r.OwnerName != "Alice" || !r.Created.Equal(got[0].Created) {
			t.Fatalf("node %d's Room = %+v, %v", i, r, ok)
		}
	}
}

// A member put on one node is one on the other, with its Since; removed,
// it is none on either, and removing it again says it was none. A
// deleted room takes its members with it.
func roomMembers(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	r := room("g1", "Plans", true)
	if err := a.Rooms.Create(ctx(t), r); err != nil {
		t.Fatal(err)
	}
	for _, m := range []chat.Member{{Reg: 1, Name: "Alice", Since: 5}, {Reg: 2, Name: "Bob", Since: chat.NotYet}} {
		if err := a.Rooms.PutMember(ctx(t), r.ID, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Rooms.PutMember(ctx(t), r.ID, chat.Member{Reg: 2, Name: "Bob", Since: 9}); err != nil {
		t.Fatal(err)
	}
	roomsCurrent(t, a, b)
	for i, n := range []chat.Store{a, b} {
		if m, ok := n.Rooms.Member(r.ID, 2); !ok || m.Since != 9 || m.Name != "Bob" {
			t.Fatalf("node %d: Bob's membership %+v, %v; want Since 9, the last put", i, m, ok)
		}
		if got := n.Rooms.Members(r.ID); len(got) != 2 {
			t.Fatalf("node %d: members %+v", i, got)
		}
		if got := n.Rooms.RoomsOf(1); !slices.Equal(got, []string{r.ID}) {
			t.Fatalf("node %d: Alice's rooms %v", i, got)
		}
		var all int
		n.Rooms.Memberships(func(string, chat.Member) { all++ })
		if all != 2 {
			t.Fatalf("node %d: %d memberships, want 2", i, all)
		}
	}
	if was, err := b.Rooms.RemoveMember(ctx(t), r.ID, 2); err != nil || !was {
		t.Fatalf("RemoveMember: %v, %v", was, err)
	}
	if was, err := a.Rooms.RemoveMember(ctx(t), r.ID, 2); err != nil || was {
		t.Fatalf("RemoveMember again: %v, %v; want no member", was, err)
	}
	roomsCurrent(t, a, b)
	for i, n := range []chat.Store{a, b} {
		if _, ok := n.Rooms.Member(r.ID, 2); ok {
			t.Fatalf("node %d still has Bob in the room", i)
		}
	}
	if err := b.Rooms.Delete(ctx(t), r.ID); err != nil {
		t.Fatal(err)
	}
	roomsCurrent(t, a, b)
	for i, n := range []chat.Store{a, b} {
		if _, ok := n.Rooms.Room(r.ID); ok {
			t.Fatalf("node %d still has the deleted room", i)
		}
		if _, ok := n.Rooms.Member(r.ID, 1); ok || len(n.Rooms.RoomsOf(1)) != 0 {
			t.Fatalf("node %d still has Alice in the deleted room", i)
		}
	}
	if err := a.Rooms.Create(ctx(t), room("g2", "plans", false)); err != nil {
		t.Fatalf("the name of a deleted room was not freed: %v", err)
	}
}

// Public lists public rooms only, in name key order, a page at a time;
// a rename frees the old name and takes the new one (refusing a taken
// one), on every node.
func roomList(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	for _, r := range []chat.RoomRecord{room("1", "delta", false), room("2", "Alpha", false), room("3", "charlie", true), room("4", "bravo", false)} {
		if err := a.Rooms.Create(ctx(t), r); err != nil {
			t.Fatal(err)
		}
	}
	roomsCurrent(t, b)
	ids := func(rs []chat.RoomRecord) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(b.Rooms.Public("", 2)); !slices.Equal(got, []string{"2", "4"}) {
		t.Fatalf("first page %v, want [2 4]", got)
	}
	if got := ids(b.Rooms.Public(protocol.NameKey("bravo"), 2)); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("second page %v, want [1] (3 is private)", got)
	}
	renamed := room("1", "Echo", false)
	renamed.Topic = "renamed"
	if err := b.Rooms.Update(ctx(t), renamed); err != nil {
		t.Fatal(err)
	}
	taken := room("4", "alpha", false)
	if err := a.Rooms.Update(ctx(t), taken); !errors.Is(err, chat.ErrRoomTaken) {
		t.Fatalf("a rename to a taken name: %v, want ErrRoomTaken", err)
	}
	if err := a.Rooms.Update(ctx(t), room("9", "zulu", false)); !errors.Is(err, chat.ErrNoRoom) {
		t.Fatalf("an update of no room: %v, want ErrNoRoom", err)
	}
	if err := b.Rooms.Create(ctx(t), room("5", "DELTA", false)); err != nil {
		t.Fatalf("the old name was not freed by the rename: %v", err)
	}
	roomsCurrent(t, a, b)
	for i, n := range []chat.Store{a, b} {
		if r, ok := n.Rooms.Room("1"); !ok || r.Name != "Echo" || r.Topic != "renamed" {
			t.Fatalf("node %d: renamed room %+v, %v", i, r, ok)
		}
		if got := ids(n.Rooms.Public("", 10)); !slices.Equal(got, []string{"2", "4", "5", "1"}) {
			t.Fatalf("node %d lists %v, want [2 4 5 1]", i, got)
		}
	}
}

// A log keeps the room of an entry: every node reads it back, and reads
// a room's messages by its conversation, apart from everyone's.
func roomEntries(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	inRoom := entry(protocol.Event{Type: protocol.TypeRoomMessage, Room: "r1", From: "Alice", Text: "in r1"}, chat.Record{From: 1, Room: "r1", Dedupe: "a/1"}, time.Now())
	appendAll(t, a.Log, message(1, "Alice", "to all", time.Now()), inRoom,
		entry(protocol.Event{Type: protocol.TypeRoomJoin, Room: "r1", From: "Bob"}, chat.Record{From: 2, Room: "r1"}, time.Now()))
	currentAt(t, 3, a, b)
	for i, n := range []chat.Store{a, b} {
		var rooms []string
		n.Log.Since(0, func(e *chat.Entry) bool { rooms = append(rooms, e.Room()); return true })
		if !slices.Equal(rooms, []string{"", "r1", "r1"}) {
			t.Fatalf("node %d: rooms of the entries %q", i, rooms)
		}
		var got []*chat.Entry
		n.Log.Messages(0, chat.Conversation{Room: "r1"}, func(e *chat.Entry) bool { got = append(got, e); return true })
		if s := texts(got); !slices.Equal(s, []string{"room_message:Alice"}) {
			t.Fatalf("node %d: room r1's messages %v", i, s)
		}
		got = nil
		n.Log.Messages(0, chat.Conversation{Everyone: true}, func(e *chat.Entry) bool { got = append(got, e); return true })
		if s := texts(got); !slices.Equal(s, []string{"message:to all"}) {
			t.Fatalf("node %d: everyone's messages %v", i, s)
		}
	}
}
