//go:build !js

package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/chat"
)

// Typing in a room reaches its members on every transport and shows in
// their State under the room alone, until the typist's message in the
// room; keystrokes tell the server once; the typist and someone outside
// the room see nothing; a non-member is refused as a send would be.
func TestTypingRoom(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			alice := join(t, srv.URL, tr, "Alice", nil)
			bob := join(t, srv.URL, tr, "Bob", nil)
			carol := join(t, srv.URL, tr, "Carol", nil)
			dave := newClient(t, srv.URL, tr, nil) // no stream: it says it by POST
			ctx := context.Background()
			if _, err := dave.Register(ctx, "Dave"); err != nil {
				t.Fatal(err)
			}
			room, err := alice.CreateRoom(ctx, "Go", "", false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bob.JoinRoom(ctx, room.ID); err != nil {
				t.Fatal(err)
			}
			bob.waitFor("his join", func(s State) bool {
				return slices.ContainsFunc(s.Messages, func(it Item) bool { return it.Event.Type == protocol.TypeRoomJoin && it.Event.From == "Bob" })
			})
			waitPolls(t, tr, srv.URL, 3)

			for range 5 { // keystrokes
				if err := alice.TypingRoom(ctx, room.ID); err != nil {
					t.Fatalf("Alice typing in the room: %v", err)
				}
			}
			bob.waitFor("Alice typing in the room", func(s State) bool { return fmt.Sprint(s.TypingInRoom(room.ID)) == "[Alice]" })
			if s := bob.State(); len(s.TypingIn("")) != 0 || len(s.TypingIn("Alice")) != 0 {
				t.Errorf("Bob shows Alice's room typing elsewhere: %+v", s.Typing)
			}
			if got := metric(t, srv.URL, `hark_typing_total{outcome="ok"}`); got != `hark_typing_total{outcome="ok"} 1` {
				t.Errorf("five keystrokes told the server: %q, want once", got)
			}
			// The typist's message in the room ends the indicator.
			alice.SendRoom(room.ID, "hello gophers", 0)
			bob.waitFor("Alice's room message to end her typing", func(s State) bool { return len(s.Typing) == 0 })
			seq := rawSendTo(t, srv.URL, bob.token(), "b1", "", "to everyone")
			for _, c := range []*tclient{alice, carol} {
				s := c.waitFor("the message to everyone", func(s State) bool { return s.Seq >= seq })
				if len(s.Typing) != 0 {
					t.Errorf("%s shows %+v: room typing is the room's members', not the typist's", s.Name, s.Typing)
				}
			}

			err = dave.TypingRoom(ctx, room.ID)
			if !isCode(err, protocol.CodeForbidden) {
				t.Errorf("Dave typing in a room he is not in: %v, want forbidden", err)
			}
			if err := dave.TypingRoom(ctx, "nosuch"); !isCode(err, protocol.CodeNotFound) {
				t.Errorf("Dave typing in no room: %v, want not_found", err)
			}
			testkit.Within(t, waitLimit, "the refusals to count", func() bool {
				return strings.HasSuffix(metric(t, srv.URL, `hark_typing_total{outcome="not_found"}`), " 1")
			})
		})
	}
}

// Room typing events are kept by room: apart from everyone's and direct
// typing, ended by the typist's room message or their leaving the room
// (not by their message elsewhere), and all of a person's by their leave.
func TestTypingRoomState(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := New(Options{BaseURL: "http://127.0.0.1:1"})
	c.now = func() time.Time { return now }
	c.mu.Lock()
	c.begin("Alice", "tok", "e", 0)
	c.mu.Unlock()
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
