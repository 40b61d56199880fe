//go:build !js

package client

import (
	"context"
	"errors"
	"testing"

	"hark/app/protocol"
	"hark/server/chat"
)

// A reply carries its parent's seq to everyone; an action by one Client
// reaches the other as an event of the log, on every transport; a refused
// one is the server's error.
func TestRepliesAndActions(t *testing.T) {
	for _, tr := range []Transport{WebSocket, SSE, Poll} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			alice := join(t, srv.URL, tr, "Alice", nil)
			bob := join(t, srv.URL, tr, "Bob", nil)
			alice.Send("", "question")
			st := bob.waitFor("the question", func(s State) bool { _, ok := itemByText(s, "question"); return ok })
			q, _ := itemByText(st, "question")
			bob.SendReply("", "answer", q.Event.Seq)
			alice.waitFor("the answer, naming the question", func(s State) bool {
				it, ok := itemByText(s, "answer")
				return ok && it.Event.ReplyTo == q.Event.Seq
			})
			seq, err := bob.Act(context.Background(), protocol.Action{Type: protocol.TypeReact, Target: q.Event.Seq, Emoji: "👍", On: true})
			if err != nil || seq == 0 {
				t.Fatalf("a reaction: %d, %v", seq, err)
			}
			alice.waitFor("Bob's reaction", func(s State) bool {
				for _, it := range s.Messages {
					if it.Event.Seq == seq && it.Event.Type == protocol.TypeReact && it.Event.From == "Bob" && it.Event.Target == q.Event.Seq {
						return true
					}
				}
				return false
			})
			_, err = bob.Act(context.Background(), protocol.Action{Type: protocol.TypeDelete, Target: q.Event.Seq})
			var perr *protocol.Error
			if !errors.As(err, &perr) || perr.Code != protocol.CodeForbidden {
				t.Fatalf("deleting Alice's message as Bob: %v, want forbidden", err)
			}
		})
	}
}
