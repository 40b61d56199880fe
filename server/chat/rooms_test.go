package chat

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"hark/app/protocol"
)

// roomTexts reads st until it has been quiet for a moment and returns
// the texts of the room messages it handed out, and the types of all.
func roomTexts(t *testing.T, st *Stream) (msgs []string, types []string) {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		e, err := st.Next(ctx)
		cancel()
		if err != nil {
			return msgs, types
		}
		types = append(types, e.Type())
		if e.Type() == protocol.TypeRoomMessage {
			msgs = append(msgs, e.Event().Text)
		}
	}
}

func createRoom(t *testing.T, c *Chat, s *Session, req protocol.RoomRequest) protocol.Room {
	t.Helper()
	r, err := c.CreateRoom(context.Background(), s, req)
	if err != nil {
		t.Fatalf("CreateRoom(%+v): %v", req, err)
	}
	return r
}

func sendRoom(t *testing.T, c *Chat, s *Session, id, room, text string) uint64 {
	t.Helper()
	seq, err := c.Send(context.Background(), s, protocol.Send{ID: id, Room: room, Text: text})
	if err != nil {
		t.Fatalf("Send(%s to room %s): %v", id, room, err)
	}
	return seq
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var perr *protocol.Error
	if !errors.As(err, &perr) || perr.Code != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

func roomHistory(t *testing.T, c *Chat, s *Session, room string) []string {
	t.Helper()
	p, err := c.Page(s, HistoryQuery{Room: room})
	if err != nil {
		t.Fatalf("Page(room %s): %v", room, err)
	}
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.Event().Text)
	}
	return out
}

// A public room's messages reach its members, live, by history and by
// resume, and never anyone else; someone who joins later reads what was
// said before (public history is its members'), and a message to
// everyone still reaches everyone.
func TestPublicRoomMessagesReachMembersOnly(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob, carol := register(t, c, "Alice"), register(t, c, "Bob"), register(t, c, "Carol")
	ab, bb, cb := open(t, c, alice, Position{}), open(t, c, bob, Position{}), open(t, c, carol, Position{})
	r := createRoom(t, c, alice, protocol.RoomRequest{Name: "Gophers", Topic: "Go"})
	if r.Owner != "Alice" || r.Members != 1 || r.Private {
		t.Fatalf("room %+v: want Alice's, public, with one member", r)
	}
	sendRoom(t, c, alice, "a1", r.ID, "before Bob")
	if _, err := c.JoinRoom(context.Background(), bob, r.ID); err != nil {
		t.Fatal(err)
	}
	sendRoom(t, c, bob, "b1", r.ID, "hi room")
	send(t, c, carol, "c1", "", "to everyone")
	settle(t, c)

	if got, _ := roomTexts(t, ab); !slices.Equal(got, []string{"before Bob", "hi room"}) {
		t.Errorf("Alice (owner) got %q live", got)
	}
	got, types := roomTexts(t, bb)
	if !slices.Equal(got, []string{"hi room"}) {
		t.Errorf("Bob got %q live; he joined after the first", got)
	}
	if !slices.Contains(types, protocol.TypeRoomJoin) || !slices.Contains(types, protocol.TypeMessage) {
		t.Errorf("Bob's stream had %v: want his room_join and the message to everyone", types)
	}
	got, types = roomTexts(t, cb)
	if len(got) != 0 || slices.Contains(types, protocol.TypeRoomJoin) {
		t.Errorf("Carol, in no room, got %q (%v)", got, types)
	}
	if !slices.Contains(types, protocol.TypeRoom) {
		t.Errorf("Carol was not told of the public room (%v): lists of rooms follow it", types)
	}
	if h := roomHistory(t, c, bob, r.ID); !slices.Equal(h, []string{"before Bob", "hi room"}) {
		t.Errorf("Bob's room history %q: a public room's history is readable on joining", h)
	}
	if _, err := c.Page(carol, HistoryQuery{Room: r.ID}); err == nil {
		t.Error("Carol read the history of a room she is not in")
	}
	for _, e := range c.History(carol, 100) {
		if e.Type() == protocol.TypeRoomMessage {
			t.Errorf("Carol's history has the room's %q", e.Event().Text)
		}
	}
	st := open(t, c, carol, Position{Resume: true})
	replay, _ := st.Take(nil, 1000)
	for _, e := range replay {
		if e.Room() != "" {
			t.Errorf("Carol's resume replayed a room's %s", e.JSON)
		}
	}
	everyone, _ := c.Page(alice, HistoryQuery{Everyone: true})
	for _, e := range everyone.Entries {
		if e.Type() != protocol.TypeMessage {
			t.Errorf("everyone=1 has a %s", e.Type())
		}
	}
}

// A group conversation is private: only the people it was made with see
// it, someone added later sees what is said from then on, a non-member
// cannot join it, send to it or read it, and a removed member gets
// nothing more.
func TestGroupIsPrivateAndAddedSeeFromThenOn(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob, dave := register(t, c, "Alice"), register(t, c, "Bob"), register(t, c, "Dave")
	register(t, c, "Carol")
	ctx := context.Background()
	if _, err := c.CreateRoom(ctx, alice, protocol.RoomRequest{Name: "pair", Private: true, Members: []string{"bob"}}); err == nil {
		t.Fatal("a group of two was made")
	}
	_, err := c.CreateRoom(ctx, alice, protocol.RoomRequest{Name: "x", Private: true, Members: []string{"Bob", "Zed"}})
	wantCode(t, "a group with someone offline", err, protocol.CodeNoSuchUser)
	_, err = c.CreateRoom(ctx, alice, protocol.RoomRequest{Name: "x", Members: []string{"Bob", "Carol"}})
	wantCode(t, "members of a public room", err, protocol.CodeBadRequest)
	if len(c.RoomList(alice, "", 10).Mine) != 0 {
		t.Fatal("a refused room was kept")
	}

	db := open(t, c, dave, Position{})
	g := createRoom(t, c, alice, protocol.RoomRequest{Name: "Plans", Private: true, Members: []string{"bob", "CAROL"}})
	if g.Members != 3 || !g.Private {
		t.Fatalf("group %+v", g)
	}
	sendRoom(t, c, alice, "a1", g.ID, "secret")
	_, err = c.JoinRoom(ctx, dave, g.ID)
	wantCode(t, "joining a private room", err, protocol.CodeNotFound)
	_, err = c.Send(ctx, dave, protocol.Send{ID: "d1", Room: g.ID, Text: "let me in"})
	wantCode(t, "sending to a private room one is not in", err, protocol.CodeNotFound)
	_, err = c.Page(dave, HistoryQuery{Room: g.ID})
	wantCode(t, "reading a private room one is not in", err, protocol.CodeNotFound)
	if l := c.RoomList(dave, "", 10); len(l.Rooms) != 0 {
		t.Errorf("the private room is listed to Dave: %+v", l.Rooms)
	}
	settle(t, c)
	if _, types := roomTexts(t, db); slices.ContainsFunc(types, func(s string) bool { return KindOf(s).Room }) {
		t.Errorf("Dave's stream had %v of a private room", types)
	}

	if _, err := c.AddMember(ctx, bob, g.ID, "Dave", false); err != nil {
		t.Fatalf("a member adding someone: %v", err)
	}
	sendRoom(t, c, bob, "b1", g.ID, "welcome Dave")
	if h := roomHistory(t, c, dave, g.ID); !slices.Equal(h, []string{"welcome Dave"}) {
		t.Errorf("Dave, added, reads %q: want only what came after", h)
	}
	if got := replayTexts(t, c, dave); len(got) != 0 {
		t.Errorf("messages to everyone in Dave's replay: %q", got)
	}
	settle(t, c)
	if got, _ := roomTexts(t, db); !slices.Equal(got, []string{"welcome Dave"}) {
		t.Errorf("Dave got %q live", got)
	}

	err = c.RemoveMember(ctx, bob, g.ID, "Dave", false)
	wantCode(t, "a member who is not its owner removing someone", err, protocol.CodeForbidden)
	if err := c.RemoveMember(ctx, alice, g.ID, "dave", false); err != nil {
		t.Fatalf("the owner removing someone: %v", err)
	}
	sendRoom(t, c, alice, "a2", g.ID, "Dave is gone")
	settle(t, c)
	got, types := roomTexts(t, db)
	if len(got) != 0 || !slices.Contains(types, protocol.TypeRoomLeave) {
		t.Errorf("Dave, removed, got %q (%v): want only his room_leave", got, types)
	}
	_, err = c.Page(dave, HistoryQuery{Room: g.ID})
	wantCode(t, "a removed member reading", err, protocol.CodeNotFound)
}

// Room names are refused like nicknames: the compare key decides; a
// rename to a taken name is refused too, and the owner alone changes a
// room (or the operator).
func TestRoomNamesAndOwners(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	ctx := context.Background()
	r := createRoom(t, c, alice, protocol.RoomRequest{Name: "Gophers"})
	other := createRoom(t, c, bob, protocol.RoomRequest{Name: "Rustaceans"})
	_, err := c.CreateRoom(ctx, bob, protocol.RoomRequest{Name: "ＧＯＰＨＥＲＳ"})
	wantCode(t, "a taken room name", err, protocol.CodeNameTaken)
	_, err = c.CreateRoom(ctx, bob, protocol.RoomRequest{Name: "\x00"})
	wantCode(t, "a bad room name", err, protocol.CodeInvalidName)
	name, topic := "rustaceans", "new"
	_, err = c.UpdateRoom(ctx, alice, r.ID, protocol.RoomPatch{Name: &name}, false)
	wantCode(t, "a rename to a taken name", err, protocol.CodeNameTaken)
	_, err = c.UpdateRoom(ctx, bob, r.ID, protocol.RoomPatch{Topic: &topic}, false)
	wantCode(t, "a topic by someone else", err, protocol.CodeForbidden)
	if got, err := c.UpdateRoom(ctx, bob, r.ID, protocol.RoomPatch{Topic: &topic}, true); err != nil || got.Topic != "new" {
		t.Fatalf("the operator setting a topic: %+v, %v", got, err)
	}
	name = "Go"
	if got, err := c.UpdateRoom(ctx, alice, r.ID, protocol.RoomPatch{Name: &name}, false); err != nil || got.Name != "Go" {
		t.Fatalf("the owner renaming: %+v, %v", got, err)
	}
	if _, err := c.CreateRoom(ctx, bob, protocol.RoomRequest{Name: "gophers"}); err != nil {
		t.Errorf("the old name was not freed by the rename: %v", err)
	}
	l := c.RoomList(bob, "", 2)
	if len(l.Rooms) != 2 || l.Rooms[0].Name != "Go" || l.Next == "" {
		t.Fatalf("first page %+v", l)
	}
	if l = c.RoomList(bob, l.Next, 2); len(l.Rooms) != 1 || l.Rooms[0].ID != other.ID || l.Next != "" {
		t.Errorf("second page %+v", l)
	}
	if len(l.Mine) != 2 {
		t.Errorf("Bob's rooms %+v: want the two he made", l.Mine)
	}
}

// The room's owner may delete any message in it; a member may not
// delete another's; an action on a room message goes to the room's
// members only and carries the room.
func TestRoomOwnerDeletesAnyMessage(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob, carol := register(t, c, "Alice"), register(t, c, "Bob"), register(t, c, "Carol")
	ctx := context.Background()
	r := createRoom(t, c, alice, protocol.RoomRequest{Name: "Gophers"})
	for _, s := range []*Session{bob, carol} {
		if _, err := c.JoinRoom(ctx, s, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	seq := sendRoom(t, c, bob, "b1", r.ID, "spam")
	_, err := c.Act(ctx, carol, protocol.Action{Type: protocol.TypeDelete, ID: "c1", Target: seq})
	wantCode(t, "a member deleting another's message", err, protocol.CodeForbidden)
	out := register(t, c, "Dave")
	ob := open(t, c, out, Position{})
	if _, err := c.Act(ctx, alice, protocol.Action{Type: protocol.TypeDelete, ID: "a1", Target: seq}); err != nil {
		t.Fatalf("the owner deleting a message in the room: %v", err)
	}
	p, _ := c.Page(carol, HistoryQuery{Room: r.ID})
	if len(p.Entries) != 2 {
		t.Fatalf("history after the delete has %d events, want the tombstone and the delete", len(p.Entries))
	}
	if ev := p.Entries[0].Event(); !ev.Deleted || ev.Room != r.ID || ev.Type != protocol.TypeRoomMessage || ev.Text != "" {
		t.Errorf("tombstone %+v", ev)
	}
	if ev := p.Entries[1].Event(); ev.Type != protocol.TypeDelete || ev.Room != r.ID || ev.From != "Alice" {
		t.Errorf("delete %+v: want Alice's, in the room", ev)
	}
	settle(t, c)
	if _, types := roomTexts(t, ob); slices.Contains(types, protocol.TypeDelete) {
		t.Errorf("Dave, in no room, got the room's delete (%v)", types)
	}
	seq = sendRoom(t, c, bob, "b2", r.ID, "more")
	_, err = c.Act(ctx, out, protocol.Action{Type: protocol.TypeDelete, ID: "d1", Target: seq})
	wantCode(t, "a non-member deleting a room message", err, protocol.CodeNotFound)
	if _, err := c.Moderate(ctx, out, protocol.Action{Type: protocol.TypeDelete, ID: "d2", Target: seq}); err == nil {
		t.Error("the operator deleted a message it cannot see; it is not_found to it as to any non-member")
	}
	_, err = c.Send(ctx, out, protocol.Send{ID: "d3", Room: r.ID, Text: "hi"})
	wantCode(t, "sending to a public room one is not in", err, protocol.CodeForbidden)
}

// Rooms made too fast are refused rate_limited, per person and per
// address, with nothing stored.
func TestRoomCreationBudget(t *testing.T) {
	c := newTestChat(t, Config{RoomRate: 0.001, RoomBurst: 2, AddrRoomRate: 0.001, AddrRoomBurst: 3})
	ctx := context.Background()
	alice, _, _, _ := c.Register(ctx, "Alice", "10.0.0.1")
	bob, _, _, _ := c.Register(ctx, "Bob", "10.0.0.1")
	createRoom(t, c, alice, protocol.RoomRequest{Name: "r1"})
	createRoom(t, c, alice, protocol.RoomRequest{Name: "r2"})
	_, err := c.CreateRoom(ctx, alice, protocol.RoomRequest{Name: "r3"})
	wantCode(t, "a person's third room", err, protocol.CodeRateLimited)
	createRoom(t, c, bob, protocol.RoomRequest{Name: "r4"})
	_, err = c.CreateRoom(ctx, bob, protocol.RoomRequest{Name: "r5"})
	wantCode(t, "an address's fourth room", err, protocol.CodeRateLimited)
	if l := c.RoomList(alice, "", 10); len(l.Rooms) != 3 {
		t.Errorf("%d rooms kept, want 3", len(l.Rooms))
	}
}
