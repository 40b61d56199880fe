//go:build !js

package client

import (
	"context"
	"slices"
	"testing"

	"hark/app/protocol"
	"hark/server/chat"
)

// roomTexts are the texts of the room messages of room id the client was
// delivered, in order.
func (tc *tclient) roomTexts(id string) []string {
	var out []string
	for _, e := range tc.delivered() {
		if e.Type == protocol.TypeRoomMessage && e.Room == id {
			out = append(out, e.Text)
		}
	}
	return out
}

// roomOfThree starts a server where Alice, Bob and Carol are online, on
// the transport tr, and Alice has made the public room "Go" ("gophers").
func roomOfThree(t *testing.T, tr Transport) (alice, bob, carol *tclient, room protocol.Room) {
	t.Helper()
	srv := newServer(t, chat.Config{})
	alice = join(t, srv.URL, tr, "Alice", nil)
	bob = join(t, srv.URL, tr, "Bob", nil)
	carol = join(t, srv.URL, tr, "Carol", nil)
	room, err := alice.CreateRoom(context.Background(), "Go", "gophers", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return alice, bob, carol, room
}

// sentRoom sends text to the room id and returns its seq once sent.
func (tc *tclient) sentRoom(id, text string) uint64 {
	tc.t.Helper()
	qid := tc.SendRoom(id, text, 0)
	s := tc.waitFor(text+" sent", func(s State) bool {
		it, ok := pendingItem(s, qid)
		return ok && it.Status == Sent && it.Event.Seq != 0
	})
	it, _ := pendingItem(s, qid)
	return it.Event.Seq
}

// A room made by one client is joined by another, listed for both, and
// its messages, sent through the outbox, reach its members on every
// transport as room messages (never as everyone's), with its history;
// someone not in it never gets them, and a member who left gets no more.
func TestRooms(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			alice, bob, carol, room := roomOfThree(t, tr)
			ctx := context.Background()
			if room.ID == "" || room.Name != "Go" || room.Topic != "gophers" || room.Owner != "Alice" || room.Members != 1 {
				t.Fatalf("CreateRoom answered %+v", room)
			}
			if _, err := alice.CreateRoom(ctx, "go", "", false, nil); !isCode(err, protocol.CodeNameTaken) {
				t.Errorf("a second room called go: %v", err)
			}
			// Bob sees it listed, not as his, and joins.
			rs, err := bob.Rooms(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs.Rooms) != 1 || rs.Rooms[0].ID != room.ID || len(rs.Mine) != 0 {
				t.Fatalf("Bob's Rooms: %+v", rs)
			}
			joined, err := bob.JoinRoom(ctx, room.ID)
			if err != nil || joined.Members != 2 {
				t.Fatalf("JoinRoom: %+v, %v", joined, err)
			}
			if rs, err := bob.Rooms(ctx); err != nil || len(rs.Mine) != 1 || rs.Mine[0].ID != room.ID {
				t.Fatalf("Bob's rooms after joining: %+v, %v", rs, err)
			}
			// Alice hears of Bob's join, with the room as it is now.
			alice.waitFor("Bob's join", func(s State) bool {
				return slices.ContainsFunc(s.Messages, func(it Item) bool {
					e := it.Event
					return e.Type == protocol.TypeRoomJoin && e.Room == room.ID && e.From == "Bob" && e.RoomInfo != nil && e.RoomInfo.Members == 2
				})
			})

			id := alice.SendRoom(room.ID, "hello gophers", 0)
			it, ok := pendingItem(alice.State(), id)
			if !ok || it.Event.Type != protocol.TypeRoomMessage || it.Event.Room != room.ID {
				t.Errorf("the pending item: %+v", it)
			}
			bob.waitFor("the room message", func(State) bool { return slices.Contains(bob.roomTexts(room.ID), "hello gophers") })
			alice.waitFor("her message settled", func(s State) bool {
				it, ok := pendingItem(s, id)
				return ok && it.Status == Sent && it.Event.Seq != 0 && it.Event.Room == room.ID
			})
			if slices.Contains(bob.texts(), "hello gophers") {
				t.Error("the room's message was delivered as everyone's")
			}
			h, err := bob.History(ctx, HistoryQuery{Room: room.ID})
			if err != nil || len(h.Events) != 1 || h.Events[0].Text != "hello gophers" {
				t.Errorf("the room's history: %+v, %v", h, err)
			}
			if h, err := bob.History(ctx, HistoryQuery{Everyone: true}); err != nil || slices.ContainsFunc(h.Events, func(e protocol.Event) bool { return e.Room != "" }) {
				t.Errorf("everyone's history holds the room's: %+v, %v", h, err)
			}
			if _, err := carol.History(ctx, HistoryQuery{Room: room.ID}); !isCode(err, protocol.CodeNotFound) {
				t.Errorf("a non-member's history of the room: %v", err)
			}

			// Bob leaves; Alice's next message reaches neither him nor
			// Carol, who was never in it; Carol's send to it is refused.
			if err := bob.LeaveRoom(ctx, room.ID); err != nil {
				t.Fatal(err)
			}
			bob.waitFor("his leave", func(s State) bool {
				return slices.ContainsFunc(s.Messages, func(it Item) bool {
					return it.Event.Type == protocol.TypeRoomLeave && it.Event.From == "Bob"
				})
			})
			alice.SendRoom(room.ID, "after Bob", 0)
			alice.Send("", "to everyone") // after the room's, in the log
			bob.waitTexts("to everyone")
			carol.waitTexts("to everyone")
			if got := bob.roomTexts(room.ID); !slices.Equal(got, []string{"hello gophers"}) {
				t.Errorf("Bob, gone, got the room's %q", got)
			}
			if got := carol.roomTexts(room.ID); len(got) != 0 {
				t.Errorf("Carol, never in it, got the room's %q", got)
			}
			cid := carol.SendRoom(room.ID, "let me in", 0)
			carol.waitFor("the refusal", func(s State) bool {
				it, ok := pendingItem(s, cid)
				return ok && it.Status == Failed
			})
		})
	}
}

// A group conversation is a private room made with its people; someone
// not in it cannot see or join it, but any member may add them; a
// message goes to a room or a person, never both; without a session
// there are no rooms.
func TestGroupRoomAndRefusals(t *testing.T) {
	srv := newServer(t, chat.Config{})
	alice := join(t, srv.URL, SSE, "Alice", nil)
	bob := join(t, srv.URL, SSE, "Bob", nil)
	join(t, srv.URL, SSE, "Carol", nil)
	dave := join(t, srv.URL, SSE, "Dave", nil)
	ctx := context.Background()
	if _, err := alice.CreateRoom(ctx, "pair", "", true, []string{"Bob"}); !isCode(err, protocol.CodeBadRequest) {
		t.Errorf("a group of two: %v", err)
	}
	g, err := alice.CreateRoom(ctx, "trio", "", true, []string{"Bob", "Carol"})
	if err != nil || !g.Private || g.Members != 3 {
		t.Fatalf("a group of three: %+v, %v", g, err)
	}
	if rs, err := bob.Rooms(ctx); err != nil || len(rs.Rooms) != 0 || len(rs.Mine) != 1 || rs.Mine[0].ID != g.ID {
		t.Errorf("Bob's rooms: %+v, %v", rs, err)
	}
	if rs, err := dave.Rooms(ctx); err != nil || len(rs.Rooms)+len(rs.Mine) != 0 {
		t.Errorf("Dave sees %+v, %v", rs, err)
	}
	if _, err := dave.JoinRoom(ctx, g.ID); !isCode(err, protocol.CodeNotFound) {
		t.Errorf("Dave joins the group: %v", err)
	}
	alice.SendRoom(g.ID, "just us", 0)
	bob.waitFor("the group's message", func(State) bool { return slices.Contains(bob.roomTexts(g.ID), "just us") })
	alice.Send("", "to all")
	dave.waitTexts("to all")
	if got := dave.roomTexts(g.ID); len(got) != 0 {
		t.Errorf("Dave got the group's %q", got)
	}
	// Both a room and a person: refused before it leaves the client, and
	// by the server.
	id := alice.queue(queued{Send: protocol.Send{Room: g.ID, To: "Bob", Text: "both"}})
	if it, ok := pendingItem(alice.State(), id); !ok || it.Status != Failed {
		t.Errorf("a send to a room and a person: %+v", it)
	}
	if err := alice.do(ctx, "POST", "/api/messages", nil, protocol.Send{ID: "both-1", Room: g.ID, To: "Bob", Text: "both"}, nil); !isCode(err, protocol.CodeBadRequest) {
		t.Errorf("the server took a send to a room and a person: %v", err)
	}
	// Any member adds someone, not only the owner; not someone outside.
	if _, err := dave.AddMember(ctx, g.ID, "Dave"); !isCode(err, protocol.CodeNotFound) {
		t.Errorf("Dave, not in it, adds himself: %v", err)
	}
	if got, err := bob.AddMember(ctx, g.ID, "Dave"); err != nil || got.Members != 4 {
		t.Fatalf("Bob adds Dave: %+v, %v", got, err)
	}
	if rs, err := dave.Rooms(ctx); err != nil || len(rs.Mine) != 1 || rs.Mine[0].ID != g.ID {
		t.Errorf("Dave's rooms once added: %+v, %v", rs, err)
	}
	c := New(Options{BaseURL: srv.URL})
	if _, err := c.Rooms(ctx); err != ErrNoSession {
		t.Errorf("Rooms without a session: %v", err)
	}
	if err := c.DeleteRoom(ctx, g.ID); err != ErrNoSession {
		t.Errorf("DeleteRoom without a session: %v", err)
	}
}

// hasRoomEvent reports whether tc was delivered an event of type typ in
// the room id that ok accepts.
func (tc *tclient) hasRoomEvent(typ, id string, ok func(protocol.Event) bool) bool {
	return slices.ContainsFunc(tc.delivered(), func(e protocol.Event) bool {
		return e.Type == typ && e.Room == id && ok(e)
	})
}

// The owner of a room renames it, sets its topic, adds and removes a
// member, deletes a member's message and deletes the room; a member who
// is not the owner is refused each of those (forbidden), and every
// member hears of each change.
func TestRoomOwner(t *testing.T) {
	alice, bob, carol, room := roomOfThree(t, SSE)
	ctx := context.Background()
	if _, err := bob.JoinRoom(ctx, room.ID); err != nil {
		t.Fatal(err)
	}

	// Renamed and a new topic, then the topic alone: the name stays.
	name, topic := "Golang", "all things gopher"
	if _, err := bob.UpdateRoom(ctx, room.ID, &name, nil); !isCode(err, protocol.CodeForbidden) {
		t.Errorf("Bob renames Alice's room: %v", err)
	}
	got, err := alice.UpdateRoom(ctx, room.ID, &name, &topic)
	if err != nil || got.Name != name || got.Topic != topic || got.Owner != "Alice" {
		t.Fatalf("UpdateRoom: %+v, %v", got, err)
	}
	topic2 := "gophers only"
	if got, err := alice.UpdateRoom(ctx, room.ID, nil, &topic2); err != nil || got.Name != name || got.Topic != topic2 {
		t.Errorf("UpdateRoom of the topic alone: %+v, %v", got, err)
	}
	bob.waitFor("the room renamed", func(State) bool {
		return bob.hasRoomEvent(protocol.TypeRoom, room.ID, func(e protocol.Event) bool {
			return e.Change == protocol.RoomUpdated && e.RoomInfo != nil && e.RoomInfo.Name == name && e.RoomInfo.Topic == topic2
		})
	})

	// Added by Alice, Carol is in; Bob may not take her out, Alice may.
	if got, err := alice.AddMember(ctx, room.ID, "Carol"); err != nil || got.Members != 3 {
		t.Fatalf("AddMember: %+v, %v", got, err)
	}
	if rs, err := carol.Rooms(ctx); err != nil || len(rs.Mine) != 1 || rs.Mine[0].ID != room.ID {
		t.Errorf("Carol's rooms once added: %+v, %v", rs, err)
	}
	if _, err := alice.AddMember(ctx, room.ID, "Nobody"); !isCode(err, protocol.CodeNoSuchUser) {
		t.Errorf("adding someone not online: %v", err)
	}
	if err := bob.RemoveMember(ctx, room.ID, "Carol"); !isCode(err, protocol.CodeForbidden) {
		t.Errorf("Bob removes Carol: %v", err)
	}
	if err := alice.RemoveMember(ctx, room.ID, "Carol"); err != nil {
		t.Fatal(err)
	}
	carol.waitFor("her removal", func(State) bool {
		return carol.hasRoomEvent(protocol.TypeRoomLeave, room.ID, func(e protocol.Event) bool { return e.From == "Carol" && e.By == "Alice" })
	})
	if rs, err := carol.Rooms(ctx); err != nil || len(rs.Mine) != 0 {
		t.Errorf("Carol's rooms once removed: %+v, %v", rs, err)
	}

	// Alice deletes Bob's message in her room; Bob may not delete hers.
	bseq := bob.sentRoom(room.ID, "from Bob")
	aseq := alice.sentRoom(room.ID, "from Alice")
	if _, err := bob.Act(ctx, protocol.Action{Type: protocol.TypeDelete, Target: aseq}); !isCode(err, protocol.CodeForbidden) {
		t.Errorf("Bob deletes Alice's message: %v", err)
	}
	if _, err := alice.Act(ctx, protocol.Action{Type: protocol.TypeDelete, Target: bseq}); err != nil {
		t.Fatalf("the owner deletes a member's message: %v", err)
	}
	bob.waitFor("the delete", func(State) bool {
		return bob.hasRoomEvent(protocol.TypeDelete, room.ID, func(e protocol.Event) bool { return e.Target == bseq && e.From == "Alice" })
	})

	// Bob may not delete the room; Alice does, and it is gone for both.
	if err := bob.DeleteRoom(ctx, room.ID); !isCode(err, protocol.CodeForbidden) {
		t.Errorf("Bob deletes Alice's room: %v", err)
	}
	if err := alice.DeleteRoom(ctx, room.ID); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("the room deleted", func(State) bool {
		return bob.hasRoomEvent(protocol.TypeRoom, room.ID, func(e protocol.Event) bool { return e.Change == protocol.RoomDeleted })
	})
	if rs, err := bob.Rooms(ctx); err != nil || len(rs.Rooms)+len(rs.Mine) != 0 {
		t.Errorf("Bob's rooms after the deletion: %+v, %v", rs, err)
	}
	if _, err := alice.UpdateRoom(ctx, room.ID, nil, &topic); !isCode(err, protocol.CodeNotFound) {
		t.Errorf("updating a deleted room: %v", err)
	}
}
