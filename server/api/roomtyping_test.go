package api_test

import (
	"net/http"
	"testing"

	"hark/app/protocol"
)

// typeInRoom posts a typing notice in room.
func (ts *testServer) typeInRoom(t *testing.T, token, room string) response {
	t.Helper()
	return ts.postTyping(t, token, protocol.Typing{Room: room})
}

// isRoomTyping matches the typing event of from in room.
func isRoomTyping(from, room string) func(protocol.Event) bool {
	return func(e protocol.Event) bool {
		return e.Type == protocol.TypeTyping && e.From == from && e.Room == room && e.To == ""
	}
}

// joinRoom joins room as token and fails the test on a refusal.
func (ts *testServer) joinRoom(t *testing.T, token, room string) {
	t.Helper()
	if r := ts.do(t, request{method: "POST", path: "/api/rooms/" + room + "/join", token: token}); r.status != http.StatusOK {
		t.Fatalf("joining %s: %d %s", room, r.status, r.body)
	}
}

// On every transport, typing in a room reaches its members' streams, with
// no seq and the room's id, and neither the sender's own stream nor the
// stream of someone outside the room; it is never replayed.
func TestRoomTypingReachesMembersOnly(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			ts := newServer(t, nil)
			alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
			room := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Gophers"})
			ts.joinRoom(t, bob.Token, room.ID)
			a := ts.openHeld(t, tr, alice, 1)
			b := ts.openHeld(t, tr, bob, 2)
			c := ts.openHeld(t, tr, carol, 3)

			if r := ts.typeInRoom(t, alice.Token, room.ID); r.status != http.StatusNoContent {
				t.Fatalf("typing in the room: %d %s", r.status, r.body)
			}
			if e := b.expect(t, "Alice typing in the room", isRoomTyping("Alice", room.ID)); e.Seq != 0 || e.Time != nil {
				t.Errorf("Bob got %+v, want no seq and no time", e)
			}
			ts.held(t, tr, 3)
			seq := ts.send(t, bob.Token, "after", "", "after the typing")
			noTyping(t, "Alice, the sender", a.until(t, seq))
			noTyping(t, "Carol, outside the room", c.until(t, seq))
			noTyping(t, "Bob, after the one typing event", b.until(t, seq))

			r := ts.open(t, tr, bob.Token, at(0), "")
			noTyping(t, "Bob's replay", r.until(t, seq))
			r.Close()
		})
	}
}

// A typing frame with a room on a WebSocket is taken like
// POST /api/typing {"room"}; a refused one is answered with an error
// frame, as a send to the room would be.
func TestRoomTypingOverWebSocket(t *testing.T) {
	ts := newServer(t, nil)
	alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
	room := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Gophers"})
	ts.joinRoom(t, bob.Token, room.ID)
	b := ts.openWS(t, streamQuery(bob.Token, at(0), ""))
	b.hello(t)
	a := ts.openWS(t, streamQuery(alice.Token, at(0), ""))
	a.hello(t)
	c := ts.openWS(t, streamQuery(carol.Token, at(0), ""))
	c.hello(t)

	a.writeWS(t, protocol.Typing{Type: protocol.TypeTyping, Room: room.ID})
	b.expect(t, "Alice typing in the room", isRoomTyping("Alice", room.ID))

	c.writeWS(t, protocol.Typing{Type: protocol.TypeTyping, Room: room.ID})
	e := c.expect(t, "an error frame", func(e protocol.Event) bool { return e.Type == protocol.TypeError })
	if e.ID != "" || e.Error == nil || e.Error.Code != protocol.CodeForbidden {
		t.Errorf("Carol typing in a room she is not in, over WebSocket: %+v (%+v), want forbidden", e, e.Error)
	}
	// Carol's refusal took none of her budget: typing to everyone goes.
	c.writeWS(t, protocol.Typing{Type: protocol.TypeTyping})
	b.expect(t, "Carol typing to everyone", isTyping("Carol", ""))
}

// Typing in a room is refused as a send to it is: 403 forbidden for a
// public room one is not in, 404 not_found for a private room of others
// or no room at all; and 400 with both a room and a person.
func TestRoomTypingRefusals(t *testing.T) {
	ts := newServer(t, nil)
	alice, bob, carol, dave := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol"), ts.register(t, "Dave")
	public := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Gophers"})
	group := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Plans", Private: true, Members: []string{"Bob", "Carol"}})
	for _, tc := range []struct {
		what, room string
		status     int
		code       string
	}{
		{"a public room Dave is not in", public.ID, http.StatusForbidden, protocol.CodeForbidden},
		{"a private room of others", group.ID, http.StatusNotFound, protocol.CodeNotFound},
		{"no room", "nosuch", http.StatusNotFound, protocol.CodeNotFound},
	} {
		send := ts.do(t, request{method: "POST", path: "/api/messages", token: dave.Token, body: protocol.Send{ID: "d-" + tc.room, Room: tc.room, Text: "hi"}})
		send.wantError(t, tc.status, tc.code, "")
		ts.typeInRoom(t, dave.Token, tc.room).wantError(t, tc.status, tc.code, "")
	}
	ts.postTyping(t, bob.Token, protocol.Typing{To: "Carol", Room: group.ID}).
		wantError(t, http.StatusBadRequest, protocol.CodeBadRequest, "not both")

	if r := ts.typeInRoom(t, carol.Token, group.ID); r.status != http.StatusNoContent {
		t.Fatalf("Carol typing in her group: %d %s", r.status, r.body)
	}
	ts.typeInRoom(t, carol.Token, group.ID).wantError(t, http.StatusTooManyRequests, protocol.CodeRateLimited, "typing")
	ts.typing(t, carol.Token, "").wantError(t, http.StatusTooManyRequests, protocol.CodeRateLimited, "typing")
	ts.stillServes(t)
}
