package chat

import (
	"context"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/clock"
)

// typings returns the typing events st hands out until it has been quiet
// for a moment, failing on any with a seq.
func typings(t *testing.T, st *Stream) []protocol.Event {
	t.Helper()
	got := quietEvents(t, st, protocol.TypeTyping)
	for _, ev := range got {
		if ev.Seq != 0 {
			t.Errorf("a typing event with seq %d: typing is never logged", ev.Seq)
		}
	}
	return got
}

// A room's typing reaches its members' streams, every one of them, and
// nobody else's: not someone outside the room, not the sender's own
// streams; and it is not logged.
func TestRoomTypingReachesMembersButTheSender(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob, carol := register(t, c, "Alice"), register(t, c, "Bob"), register(t, c, "Carol")
	r := createRoom(t, c, alice, protocol.RoomRequest{Name: "Gophers"})
	if _, err := c.JoinRoom(context.Background(), bob, r.ID); err != nil {
		t.Fatal(err)
	}
	settle(t, c)
	head := c.Head()
	alice1, alice2 := open(t, c, alice, Position{}), open(t, c, alice, Position{})
	bob1, bob2 := open(t, c, bob, Position{}), open(t, c, bob, Position{})
	carol1 := open(t, c, carol, Position{})
	for _, st := range []*Stream{alice1, alice2, bob1, bob2, carol1} {
		typings(t, st) // the hello
	}

	if err := c.RoomTyping(alice, r.ID); err != nil {
		t.Fatal(err)
	}
	for i, st := range []*Stream{bob1, bob2} {
		got := typings(t, st)
		if len(got) != 1 || got[0].From != "Alice" || got[0].Room != r.ID || got[0].To != "" {
			t.Errorf("Bob's stream %d got %+v, want Alice typing in room %s", i+1, got, r.ID)
		}
	}
	for who, st := range map[string]*Stream{"Alice's first": alice1, "Alice's second": alice2, "Carol's": carol1} {
		if got := typings(t, st); len(got) != 0 {
			t.Errorf("%s stream got %+v", who, got)
		}
	}
	if h := c.Head(); h != head {
		t.Errorf("the log's head moved from %d to %d: room typing was logged", head, h)
	}
}

// A room's typing is refused as a send to the room is: not_found for a
// room one may not know of (no such room, or a private one of others),
// forbidden for a public room one is not in; and it shares the typing
// budget, one every protocol.TypingEvery, with everyone's and direct
// typing.
func TestRoomTypingRefusals(t *testing.T) {
	fake := clock.NewFake(time.Now())
	c := newTestChat(t, Config{Clock: fake})
	alice, carol := register(t, c, "Alice"), register(t, c, "Carol")
	register(t, c, "Bob")
	register(t, c, "Dave")
	public := createRoom(t, c, alice, protocol.RoomRequest{Name: "Gophers"})
	group := createRoom(t, c, alice, protocol.RoomRequest{Name: "trio", Private: true, Members: []string{"Bob", "Dave"}})
	ctx := context.Background()
	for _, tc := range []struct{ what, room, code string }{
		{"a public room she is not in", public.ID, protocol.CodeForbidden},
		{"a private room of others", group.ID, protocol.CodeNotFound},
		{"no room", "nosuchroom", protocol.CodeNotFound},
	} {
		_, err := c.Send(ctx, carol, protocol.Send{ID: "c-" + tc.room, Room: tc.room, Text: "hi"})
		wantCode(t, "Carol's send to "+tc.what, err, tc.code)
		wantCode(t, "Carol typing in "+tc.what, c.RoomTyping(carol, tc.room), tc.code)
	}

	if err := c.RoomTyping(alice, group.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a second room typing at once", c.RoomTyping(alice, public.ID), protocol.CodeRateLimited)
	wantCode(t, "typing to everyone right after a room's", c.Typing(alice, ""), protocol.CodeRateLimited)
	fake.Advance(protocol.TypingEvery)
	if err := c.RoomTyping(alice, public.ID); err != nil {
		t.Errorf("a room typing %s later: %v", protocol.TypingEvery, err)
	}
}

// Above the presence threshold, where typing to everyone goes nowhere, a
// room's typing still reaches its members: they are all it reaches.
func TestRoomTypingAboveThePresenceThreshold(t *testing.T) {
	c := newTestChat(t, Config{PresenceThreshold: 2})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	register(t, c, "Carol")
	r := createRoom(t, c, alice, protocol.RoomRequest{Name: "Gophers"})
	if _, err := c.JoinRoom(context.Background(), bob, r.ID); err != nil {
		t.Fatal(err)
	}
	settle(t, c)
	st := open(t, c, bob, Position{})
	typings(t, st)
	if err := c.RoomTyping(alice, r.ID); err != nil {
		t.Fatal(err)
	}
	if got := typings(t, st); len(got) != 1 || got[0].From != "Alice" || got[0].Room != r.ID {
		t.Errorf("Bob got %+v above the threshold, want Alice typing in the room", got)
	}
}
