package chat

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"hark/app/protocol"
)

// roomEntry is a room message of room at seq.
func roomEntry(seq uint64, room string) *Entry {
	e := newEntry(protocol.Event{Type: protocol.TypeRoomMessage, From: "x", Room: room, Text: "t"}, 9, 0)
	e.room = room
	e.seal(seq)
	return e
}

// The hub's room lists follow streams and members alike: a member's
// stream opened after the join is the room's, and so is a stream open
// before it; a stream closed, a member removed and a room dropped take
// the streams off, while the member's other streams, other rooms and
// neighbours in the shard are left as they were.
func TestHubRoomListsFollowStreamsAndMembers(t *testing.T) {
	h := NewHub()
	// Carol shares Alice's shard; Bob has one of his own.
	const alice, bob, carol RegID = 1, 2, 1 + hubShards
	mk := func(reg RegID) *Stream {
		s := testStream(reg, 16)
		h.add(s)
		return s
	}
	var seq uint64
	deliver := func(room string) uint64 {
		seq++
		h.Deliver([]*Entry{roomEntry(seq, room)})
		return seq
	}
	want := func(what string, s *Stream, seqs ...uint64) {
		t.Helper()
		if got, _ := takeSeqs(s); fmt.Sprint(got) != fmt.Sprint(seqs) {
			t.Errorf("%s got %v, want %v", what, got, seqs)
		}
	}

	bobs, carols := mk(bob), mk(carol)
	h.addMember("r", alice) // no stream of Alice's yet
	h.addMember("r", bob)   // Bob's stream is open
	h.addMember("other", alice)
	alice1 := mk(alice)
	one := deliver("r")
	want("Alice's stream opened after her join", alice1, one)
	want("Bob's stream open before his join", bobs, one)
	want("Carol, in Alice's shard and no room", carols)

	alice2 := mk(alice)
	h.remove(alice1)
	two := deliver("r")
	want("Alice's closed stream", alice1)
	want("Alice's second stream", alice2, two)
	want("Bob", bobs, two)

	h.removeMember("r", bob)
	three, other := deliver("r"), deliver("other")
	want("Bob, removed while streaming", bobs)
	want("Alice, in both rooms", alice2, three, other)

	h.dropRoom("other")
	deliver("other")
	want("Alice, after her other room was dropped", alice2)
	h.addMember("r", bob)
	four := deliver("r")
	want("Bob, back", bobs, four)
	want("Alice", alice2, four)

	h.endSession(alice, alice2.session, Released)
	h.remove(bobs)
	h.removeMember("r", alice)
	h.removeMember("r", bob)
	h.remove(carols)
	for i := range h.shards {
		if sh := &h.shards[i]; len(sh.rooms) != 0 {
			t.Errorf("shard %d still lists rooms %v", i, sh.rooms)
		}
	}
	if len(h.rooms.rooms) != 0 || len(h.rooms.of) != 0 {
		t.Errorf("index still holds rooms %v, members' rooms %v", h.rooms.rooms, h.rooms.of)
	}
	for _, s := range []*Stream{alice1, alice2, bobs, carols} {
		if len(s.rooms) != 0 {
			t.Errorf("stream of %d still on lists %v", s.reg, s.rooms)
		}
	}
}

// EndAll takes every stream off every room's list, the members staying
// members: a stream opened after it is the room's again.
func TestHubEndAllEmptiesRoomLists(t *testing.T) {
	h := NewHub()
	h.addMember("r", 1)
	before := testStream(1, 8)
	h.add(before)
	h.EndAll(Shutdown)
	if len(h.shards[1].rooms) != 0 || len(before.rooms) != 0 {
		t.Fatalf("after EndAll: shard lists %v, stream's rooms %v", h.shards[1].rooms, before.rooms)
	}
	after := testStream(1, 8)
	h.add(after)
	h.Deliver([]*Entry{roomEntry(1, "r")})
	if got, _ := takeSeqs(after); fmt.Sprint(got) != "[1]" {
		t.Fatalf("a member's stream opened after EndAll got %v, want [1]", got)
	}
}

// A member whose stream opens after they joined, or reopens after it
// closed, gets the room's messages live on it.
func TestRoomMemberStreamOpenedAfterJoining(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	r := createRoom(t, c, alice, protocol.RoomRequest{Name: "Gophers"})
	if _, err := c.JoinRoom(context.Background(), bob, r.ID); err != nil {
		t.Fatal(err)
	}
	settle(t, c)
	bb := open(t, c, bob, Position{})
	sendRoom(t, c, alice, "a1", r.ID, "first")
	settle(t, c)
	if got, _ := roomTexts(t, bb); !slices.Equal(got, []string{"first"}) {
		t.Errorf("Bob's stream opened after his join got %q", got)
	}
	bb.Close()
	sendRoom(t, c, alice, "a2", r.ID, "while closed")
	again := open(t, c, bob, Position{})
	sendRoom(t, c, alice, "a3", r.ID, "second")
	settle(t, c)
	if got, _ := roomTexts(t, again); !slices.Equal(got, []string{"second"}) {
		t.Errorf("Bob's reopened stream got %q live, want the message after it opened", got)
	}
}
