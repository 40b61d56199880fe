package natsstore_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"hark/server/chat"
)

// Scrollback reads the node's copy of the stream like the memory log:
// paging back with Before reads what the caller may see once each, to the
// start of what is kept, and With keeps one registration's conversation
// with a name; on a node other than the one the messages were sent on.
func TestScrollbackOnTheStore(t *testing.T) {
	_, nc := embedded(t, t.TempDir())
	a := newNode(t, nc, 1, time.Minute) // keeps 100 messages
	alice, aliceTok := register(t, a.chat, "Alice")
	bob, _ := register(t, a.chat, "Bob")
	var all, withBob []string
	for i := range 130 {
		id := fmt.Sprintf("m%d", i)
		switch i % 3 {
		case 0:
			send(t, a.chat, bob, id, "", id)
		case 1:
			send(t, a.chat, alice, id, "bob", id)
		case 2:
			send(t, a.chat, bob, id, "Alice", id)
		}
		if i >= 30 { // the first 30 fall out of what the stream keeps
			all = append(all, id)
			if i%3 != 0 {
				withBob = append(withBob, id)
			}
		}
	}
	b := newNode(t, nc, 1, time.Minute) // a second node loads the stream
	aliceB := mustAuth(t, b.chat, aliceTok)
	for _, n := range []*node{a, b} {
		s := alice
		if n == b {
			s = aliceB
		}
		for _, q := range []struct {
			with string
			want []string
		}{{"", all}, {"BOB", withBob}} {
			var got []string
			var before uint64
			for {
				p, err := n.chat.Page(s, chat.HistoryQuery{Limit: 7, Before: before, With: q.with})
				if err != nil {
					t.Fatal(err)
				}
				got = append(texts(p.Entries), got...)
				if !p.More {
					break
				}
				before = p.Entries[0].Seq()
			}
			if !slices.Equal(got, q.want) {
				t.Errorf("scrollback with=%q\n got %v\nwant %v", q.with, got, q.want)
			}
		}
	}
}
