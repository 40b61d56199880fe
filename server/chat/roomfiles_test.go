package chat

import (
	"context"
	"strings"
	"testing"

	"hark/app/protocol"
)

// roomUpload stores text as a file of s's to room.
func roomUpload(t *testing.T, c *Chat, s *Session, room, text string) protocol.File {
	t.Helper()
	u, err := c.BeginRoomUpload(context.Background(), s, room)
	if err != nil {
		t.Fatalf("BeginRoomUpload: %v", err)
	}
	f, err := u.Store(context.Background(), protocol.File{Name: "f.txt", Type: "text/plain"}, strings.NewReader(text), nil)
	if err != nil {
		t.Fatalf("Store: %v", err)
	}
	return f
}

// A public room's file: uploaded by a member only (a non-member refused
// as its send would be), carried by a room message, read by every member
// (one who joined after it too), not_found to a non-member and to a
// member once removed; deleting the message deletes it.
func TestPublicRoomFileIsItsMembers(t *testing.T) {
	c := newTestChat(t, Config{})
	ctx := context.Background()
	alice, bob, carol, dave := register(t, c, "Alice"), register(t, c, "Bob"), register(t, c, "Carol"), register(t, c, "Dave")
	r := createRoom(t, c, alice, protocol.RoomRequest{Name: "lobby"})
	if _, err := c.JoinRoom(ctx, bob, r.ID); err != nil {
		t.Fatal(err)
	}
	_, err := c.BeginRoomUpload(ctx, carol, r.ID)
	wantCode(t, "a non-member uploading to a public room", err, protocol.CodeForbidden)
	_, err = c.BeginRoomUpload(ctx, carol, "nosuchrm")
	wantCode(t, "uploading to no room", err, protocol.CodeNotFound)

	f := roomUpload(t, c, alice, r.ID, "the plan")
	seq, err := c.Send(ctx, alice, protocol.Send{ID: "m", Room: r.ID, File: f.ID})
	if err != nil {
		t.Fatalf("sending the room's file: %v", err)
	}
	msg, _ := c.log.Message(seq)
	if ev := msg.Event(); ev.File == nil || *ev.File != f || ev.Room != r.ID {
		t.Fatalf("the event carries %+v in room %q, want %+v in %q", ev.File, ev.Room, f, r.ID)
	}
	if _, err := c.JoinRoom(ctx, dave, r.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Session{alice, bob, dave} {
		if got, err := readFile(c, s, f.ID); err != nil || got != "the plan" {
			t.Fatalf("%s reads %q, %v", s.name.Display, got, err)
		}
	}
	_, err = readFile(c, carol, f.ID)
	wantCode(t, "a non-member reading the room's file", err, protocol.CodeNotFound)
	if err := c.RemoveMember(ctx, alice, r.ID, "Bob", false); err != nil {
		t.Fatal(err)
	}
	_, err = readFile(c, bob, f.ID)
	wantCode(t, "a removed member reading the room's file", err, protocol.CodeNotFound)

	act(t, c, alice, protocol.Action{Type: protocol.TypeDelete, ID: "d", Target: seq})
	_, err = readFile(c, dave, f.ID)
	wantCode(t, "a member reading the file of a deleted message", err, protocol.CodeNotFound)
}

// In a private room a file is read by the members who see its message:
// one added before it went out, not one added after.
func TestPrivateRoomFileFollowsHistory(t *testing.T) {
	c := newTestChat(t, Config{})
	ctx := context.Background()
	alice, bob, carol, dave, erin := register(t, c, "Alice"), register(t, c, "Bob"), register(t, c, "Carol"), register(t, c, "Dave"), register(t, c, "Erin")
	g := createRoom(t, c, alice, protocol.RoomRequest{Name: "plans", Private: true, Members: []string{"Bob", "Carol"}})
	_, err := c.BeginRoomUpload(ctx, dave, g.ID)
	wantCode(t, "a non-member uploading to a private room", err, protocol.CodeNotFound)

	f := roomUpload(t, c, alice, g.ID, "secret")
	if _, err := c.AddMember(ctx, bob, g.ID, "Dave", false); err != nil { // between upload and send
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, alice, protocol.Send{ID: "m", Room: g.ID, File: f.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddMember(ctx, bob, g.ID, "Erin", false); err != nil { // after the send
		t.Fatal(err)
	}
	for _, s := range []*Session{alice, bob, carol, dave} {
		if got, err := readFile(c, s, f.ID); err != nil || got != "secret" {
			t.Fatalf("%s, who sees the message, reads %q, %v", s.name.Display, got, err)
		}
	}
	_, err = readFile(c, erin, f.ID)
	wantCode(t, "a member added after the message reading its file", err, protocol.CodeNotFound)
	if err := c.LeaveRoom(ctx, carol, g.ID); err != nil {
		t.Fatal(err)
	}
	_, err = readFile(c, carol, f.ID)
	wantCode(t, "a member who left reading the file", err, protocol.CodeNotFound)
}

// A room's file goes with one message to that room, from its uploader:
// not to everyone, another room or a person, not twice; a file of
// everyone's conversation does not go to a room. Refusals append nothing.
func TestRoomFileSendRules(t *testing.T) {
	c := newTestChat(t, Config{})
	ctx := context.Background()
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	r := createRoom(t, c, alice, protocol.RoomRequest{Name: "lobby"})
	other := createRoom(t, c, alice, protocol.RoomRequest{Name: "other"})
	if _, err := c.JoinRoom(ctx, bob, r.ID); err != nil {
		t.Fatal(err)
	}
	f := roomUpload(t, c, alice, r.ID, "x")
	everyones := upload(t, c, alice, "", "e.txt", "e")
	head := c.Head()
	for _, s := range []protocol.Send{
		{ID: "1", File: f.ID},                     // to everyone
		{ID: "2", To: "Bob", File: f.ID},          // to a person
		{ID: "3", Room: other.ID, File: f.ID},     // to another room
		{ID: "4", Room: r.ID, File: everyones.ID}, // everyone's file to the room
	} {
		_, err := c.Send(ctx, alice, s)
		wantCode(t, "sending "+s.ID, err, protocol.CodeNotFound)
	}
	_, err := c.Send(ctx, bob, protocol.Send{ID: "b", Room: r.ID, File: f.ID})
	wantCode(t, "another member sending the uploader's file", err, protocol.CodeNotFound)
	if c.Head() != head {
		t.Fatalf("refused sends appended: head %d, was %d", c.Head(), head)
	}
	seq := sendFile(t, c, alice, protocol.Send{ID: "ok", Room: r.ID, File: f.ID})
	if again := sendFile(t, c, alice, protocol.Send{ID: "ok", Room: r.ID, File: f.ID}); again != seq {
		t.Fatalf("a retry appended %d, want the first seq %d", again, seq)
	}
	_, err = c.Send(ctx, alice, protocol.Send{ID: "twice", Room: r.ID, File: f.ID})
	wantCode(t, "a room's file sent a second time", err, protocol.CodeNotFound)
}

func sendFile(t *testing.T, c *Chat, s *Session, send protocol.Send) uint64 {
	t.Helper()
	seq, err := c.Send(context.Background(), s, send)
	if err != nil {
		t.Fatalf("Send(%+v): %v", send, err)
	}
	return seq
}
