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

// Typing events become State.Typing by conversation; a message from the
// typist in that conversation, their leave, or the time running out
// clears them; one's own typing is never shown.
func TestTypingState(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := New(Options{BaseURL: "http://127.0.0.1:1"})
	c.now = func() time.Time { return now }
	c.mu.Lock()
	c.begin("Alice", "tok", "e", 0)
	c.mu.Unlock()
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
