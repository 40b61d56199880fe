//go:build !js

package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

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
