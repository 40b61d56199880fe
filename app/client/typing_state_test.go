package client

import (
	"fmt"
	"testing"
	"time"

	"hark/app/protocol"
)

func typing(from, to string) protocol.Event {
	return protocol.Event{Type: protocol.TypeTyping, From: from, To: to}
}

// signedInAt is a client signed in as name, with no server, whose clock
// reads *now.
func signedInAt(name string, now *time.Time) *Client {
	c := New(Options{BaseURL: "http://127.0.0.1:1"})
	c.now = func() time.Time { return *now }
	c.mu.Lock()
	c.begin(name, "tok", "e", 0)
	c.mu.Unlock()
	return c
}

// Typing events become State.Typing by conversation; a message from the
// typist in that conversation, their leave, or the time running out
// clears them; one's own typing is never shown.
func TestTypingState(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := signedInAt("Alice", &now)
	in := func(with string) string { return fmt.Sprint(c.State().TypingIn(with)) }

	feed(t, c, typing("Bob", ""), typing("Carol", "Alice"), typing("ALICE", ""), typing("Dora", ""))
	if in("") != "[Bob Dora]" || in("carol") != "[Carol]" || in("Bob") != "[]" {
		t.Fatalf("typing: everyone %s, with Carol %s, with Bob %s", in(""), in("carol"), in("Bob"))
	}
	// Bob's direct message ends nothing of his typing to everyone; his
	// broadcast does.
	feed(t, c, protocol.Event{Seq: 1, Type: protocol.TypeMessage, From: "Bob", To: "Alice", Text: "psst"})
	if in("") != "[Bob Dora]" {
		t.Fatalf("after Bob's direct message, typing to everyone: %s", in(""))
	}
	feed(t, c, msg(2, "Bob", "hi all"))
	if in("") != "[Dora]" {
		t.Fatalf("after Bob's message, typing to everyone: %s", in(""))
	}
	// Carol leaves: her indicator goes with her.
	feed(t, c, protocol.Event{Seq: 3, Type: protocol.TypeLeave, From: "Carol"})
	if in("Carol") != "[]" {
		t.Fatalf("after Carol left: %s", in("Carol"))
	}
	// A new event from Dora keeps her on; time running out takes her off.
	now = now.Add(protocol.TypingLasts - time.Second)
	feed(t, c, typing("Dora", ""))
	now = now.Add(protocol.TypingLasts - time.Second)
	c.lapseTyping()
	if in("") != "[Dora]" {
		t.Fatalf("Dora typed again %v ago: %s", protocol.TypingLasts-time.Second, in(""))
	}
	now = now.Add(time.Second)
	c.lapseTyping()
	if s := c.State(); len(s.Typing) != 0 {
		t.Fatalf("after %v with no typing event: %+v", protocol.TypingLasts, s.Typing)
	}
}

// Room typing events are kept by room: apart from everyone's and direct
// typing, ended by the typist's room message or their leaving the room
// (not by their message elsewhere), and all of a person's by their leave.
func TestTypingRoomState(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := signedInAt("Alice", &now)
	inRoom := func(id string) string { return fmt.Sprint(c.State().TypingInRoom(id)) }
	roomTyping := func(from, room string) protocol.Event {
		return protocol.Event{Type: protocol.TypeTyping, From: from, Room: room}
	}

	feed(t, c, roomTyping("Bob", "r1"), roomTyping("Carol", "r2"), roomTyping("Bob", "r2"), typing("Bob", ""), roomTyping("Alice", "r1"))
	if inRoom("r1") != "[Bob]" || inRoom("r2") != "[Carol Bob]" || fmt.Sprint(c.State().TypingIn("")) != "[Bob]" || inRoom("") != "[]" {
		t.Fatalf("typing: r1 %s, r2 %s, everyone %v", inRoom("r1"), inRoom("r2"), c.State().TypingIn(""))
	}
	if got := c.State().TypingIn("Bob"); len(got) != 0 {
		t.Fatalf("Bob's room typing shows as typing to Alice: %v", got)
	}
	feed(t, c, protocol.Event{Seq: 1, Type: protocol.TypeRoomMessage, From: "Bob", Room: "r1", Text: "hi"})
	if inRoom("r1") != "[]" || inRoom("r2") != "[Carol Bob]" || fmt.Sprint(c.State().TypingIn("")) != "[Bob]" {
		t.Fatalf("after Bob's message in r1: r1 %s, r2 %s, everyone %v", inRoom("r1"), inRoom("r2"), c.State().TypingIn(""))
	}
	feed(t, c, msg(2, "Carol", "hi all"))
	if inRoom("r2") != "[Carol Bob]" {
		t.Fatalf("Carol's message to everyone ended her typing in r2: %s", inRoom("r2"))
	}
	feed(t, c, protocol.Event{Seq: 3, Type: protocol.TypeRoomLeave, From: "Carol", Room: "r2"})
	if inRoom("r2") != "[Bob]" {
		t.Fatalf("after Carol left r2: %s", inRoom("r2"))
	}
	feed(t, c, protocol.Event{Seq: 4, Type: protocol.TypeLeave, From: "Bob"})
	if s := c.State(); len(s.Typing) != 0 {
		t.Fatalf("after Bob left: %+v", s.Typing)
	}
}
