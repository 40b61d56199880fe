package natsstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/chat"
)

// Actions made on one node are on the other, and after a restart: a
// reaction, an edit, and a delete whose message reads as its tombstone on
// both, and after both restart on the same data directory, its text
// nowhere.
func TestActionsAcrossNodesAndRestart(t *testing.T) {
	dir := t.TempDir()
	srv, nc := embedded(t, dir)
	a, b := newNode(t, nc, 1, time.Minute), newNode(t, nc, 1, time.Minute)
	alice, aliceTok := register(t, a.chat, "Alice")
	_, bobTok := register(t, a.chat, "Bob")
	bob, err := b.chat.Authenticate(bobTok)
	if err != nil {
		t.Fatal(err)
	}
	m := send(t, a.chat, alice, "m1", "", "hello")
	secret := send(t, a.chat, alice, "m2", "Bob", "a secret")
	ctx := context.Background()
	// On the other node, Bob acts on what Alice sent on the first.
	if _, err := b.chat.Act(ctx, bob, protocol.Action{Type: protocol.TypeReact, ID: "r", Target: m, Emoji: "🎉", On: true}); err != nil {
		t.Fatalf("a reaction on the other node: %v", err)
	}
	if _, err := a.chat.Act(ctx, alice, protocol.Action{Type: protocol.TypeEdit, ID: "e", Target: m, Text: "hello all"}); err != nil {
		t.Fatal(err)
	}
	last, err := a.chat.Act(ctx, alice, protocol.Action{Type: protocol.TypeDelete, ID: "d", Target: secret})
	if err != nil {
		t.Fatal(err)
	}
	const want = "message:hello message:deleted react:🎉 edit:hello all delete:"
	read := func(c *chat.Chat, s *chat.Session) string {
		var out []string
		for _, e := range c.History(s, 100) {
			ev := e.Event()
			what := ev.Text
			if ev.Deleted {
				what = "deleted"
			}
			out = append(out, ev.Type+":"+what+ev.Emoji)
		}
		return strings.Join(out, " ")
	}
	testkit.Eventually(t, "Bob's node to have every action", func() bool { return b.chat.Head() >= last })
	for name, got := range map[string]string{"Alice's node": read(a.chat, alice), "Bob's node": read(b.chat, bob)} {
		if got != want {
			t.Fatalf("%s's history: %s, want %s", name, got, want)
		}
	}
	// Bob, on his node, can no longer act on the deleted message.
	if _, err := b.chat.Act(ctx, bob, protocol.Action{Type: protocol.TypeReact, ID: "late", Target: secret, Emoji: "👍", On: true}); err == nil {
		t.Fatal("a reaction to a deleted message was taken on the other node")
	}

	n := restart(t, dir, srv, nc, a, b)
	alice2, err := n.chat.Authenticate(aliceTok)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(n.chat, alice2); got != want {
		t.Fatalf("after the restart: %s, want %s", got, want)
	}
	st, err := n.chat.Open(alice2, chat.Position{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, _ := st.Take(nil, 100)
	for _, e := range got {
		if strings.Contains(string(e.JSON), "a secret") {
			t.Fatalf("a replay after the restart hands out the deleted text: %s", e.JSON)
		}
	}
}
