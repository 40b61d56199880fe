package chat

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/clock"
)

// act is c.Act, failing the test on a refusal.
func act(t *testing.T, c *Chat, s *Session, a protocol.Action) uint64 {
	t.Helper()
	seq, err := c.Act(context.Background(), s, a)
	if err != nil {
		t.Fatalf("Act(%+v): %v", a, err)
	}
	return seq
}

// refused expects err to be a refusal with code.
func refused(t *testing.T, what string, err error, code string) {
	t.Helper()
	if perr, ok := err.(*protocol.Error); !ok || perr.Code != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

// history is what s's history shows, one line per event: its type, seq
// or target, who, and what.
func history(c *Chat, s *Session) string {
	var out []string
	for _, e := range c.History(s, 100) {
		ev := e.Event()
		switch {
		case ev.IsAction():
			out = append(out, fmt.Sprintf("%s@%d %s %s%s", ev.Type, ev.Target, ev.From, ev.Emoji, ev.Text))
		case ev.Deleted:
			out = append(out, fmt.Sprintf("deleted#%d %s", ev.Seq, ev.From))
		default:
			out = append(out, fmt.Sprintf("#%d %s %s", ev.Seq, ev.From, ev.Text))
		}
	}
	return strings.Join(out, " | ")
}

// Reactions, edits and deletes are events in the log, in history with the
// message they act on; a retried action is stored once.
func TestActionsAreEventsOfTheLog(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	m := send(t, c, alice, "m1", "", "hello")
	react := protocol.Action{Type: protocol.TypeReact, ID: "r1", Target: m, Emoji: "👍", On: true}
	first := act(t, c, bob, react)
	if again := act(t, c, bob, react); again != first {
		t.Fatalf("a retried reaction stored at %d, then %d: want once", first, again)
	}
	act(t, c, alice, protocol.Action{Type: protocol.TypeEdit, ID: "e1", Target: m, Text: "hello all"})
	reply := send(t, c, bob, "m2", "", "hi")
	if _, err := c.Send(context.Background(), bob, protocol.Send{ID: "m3", Text: "to the first", ReplyTo: m}); err != nil {
		t.Fatal(err)
	}
	act(t, c, bob, protocol.Action{Type: protocol.TypeDelete, ID: "d1", Target: reply})
	want := fmt.Sprintf("#%d Alice hello | react@%d Bob 👍 | edit@%d Alice hello all | deleted#%d Bob | #%d Bob to the first | delete@%d Bob ", m, m, m, reply, reply+1, reply)
	if got := history(c, alice); got != want {
		t.Fatalf("history\n%s\nwant\n%s", got, want)
	}
	// A reply names its parent.
	for _, e := range c.History(alice, 100) {
		if ev := e.Event(); ev.Text == "to the first" && ev.ReplyTo != m {
			t.Errorf("the reply answers %d, want %d", ev.ReplyTo, m)
		}
	}
}

// A deleted message's text is never handed out again: history, a replay
// and the log's Message show its tombstone; what was said in it stays
// nowhere a read reaches.
func TestDeletedMessagesAreTombstones(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	m := send(t, c, alice, "m1", "Bob", "a secret")
	act(t, c, alice, protocol.Action{Type: protocol.TypeDelete, ID: "d1", Target: m})
	for _, s := range []*Session{alice, bob} {
		if h := history(c, s); strings.Contains(h, "a secret") || !strings.Contains(h, fmt.Sprintf("deleted#%d Alice", m)) {
			t.Errorf("%s's history after the delete: %s", s.Name().Display, h)
		}
		st := open(t, c, s, Position{Resume: true})
		got, _ := st.Take(nil, 100)
		for _, e := range got {
			if strings.Contains(string(e.JSON), "a secret") {
				t.Errorf("%s's replay hands out the deleted text: %s", s.Name().Display, e.JSON)
			}
		}
	}
	if e, ok := c.log.Message(m); !ok || !e.Deleted() || strings.Contains(string(e.JSON), "a secret") {
		t.Errorf("the log's Message(%d) = %s, %v; want its tombstone", m, e.JSON, ok)
	}
}

// What may not be done is refused with a clear error and stores nothing:
// acting on a message that is not there, cannot be seen or was deleted;
// editing or deleting someone else's; editing past the window; a reply
// that would carry one conversation's message into another.
func TestActionsRefused(t *testing.T) {
	fake := clock.NewFake(time.Now())
	c := newTestChat(t, Config{Clock: fake, EditWindow: time.Hour})
	alice, bob, carol := register(t, c, "Alice"), register(t, c, "Bob"), register(t, c, "Carol")
	for _, s := range []*Session{alice, bob, carol} {
		open(t, c, s, Position{}) // keeps them past the grace the hours below run out
	}
	pub := send(t, c, alice, "p", "", "for all")
	dm := send(t, c, alice, "d", "Bob", "for bob")
	gone := send(t, c, alice, "g", "", "soon gone")
	act(t, c, alice, protocol.Action{Type: protocol.TypeDelete, ID: "x", Target: gone})
	head := c.log.Head()

	cases := []struct {
		name string
		s    *Session
		a    protocol.Action
		code string
	}{
		{"a reaction to no message", bob, protocol.Action{Type: protocol.TypeReact, ID: "1", Target: 999, Emoji: "👍", On: true}, protocol.CodeNotFound},
		{"a reaction to a DM of others", carol, protocol.Action{Type: protocol.TypeReact, ID: "2", Target: dm, Emoji: "👍", On: true}, protocol.CodeNotFound},
		{"a reaction to a deleted message", bob, protocol.Action{Type: protocol.TypeReact, ID: "3", Target: gone, Emoji: "👍", On: true}, protocol.CodeNotFound},
		{"a reaction to a join", bob, protocol.Action{Type: protocol.TypeReact, ID: "4", Target: 1, Emoji: "👍", On: true}, protocol.CodeNotFound},
		{"an edit of someone else's", bob, protocol.Action{Type: protocol.TypeEdit, ID: "5", Target: pub, Text: "mine now"}, protocol.CodeForbidden},
		{"a delete of someone else's", bob, protocol.Action{Type: protocol.TypeDelete, ID: "6", Target: pub}, protocol.CodeForbidden},
		{"an edit of a deleted message", alice, protocol.Action{Type: protocol.TypeEdit, ID: "7", Target: gone, Text: "back"}, protocol.CodeNotFound},
		{"a reaction that is no emoji", bob, protocol.Action{Type: protocol.TypeReact, ID: "8", Target: pub, Emoji: "hi", On: true}, protocol.CodeBadRequest},
		{"an action of no known type", bob, protocol.Action{Type: "pin", ID: "9", Target: pub}, protocol.CodeBadRequest},
		{"an empty edit", alice, protocol.Action{Type: protocol.TypeEdit, ID: "10", Target: pub, Text: "  "}, protocol.CodeBadRequest},
	}
	for _, tc := range cases {
		_, err := c.Act(context.Background(), tc.s, tc.a)
		refused(t, tc.name, err, tc.code)
	}
	for _, r := range []struct {
		name string
		s    *Session
		send protocol.Send
	}{
		{"a reply in a DM to a broadcast", bob, protocol.Send{ID: "r1", To: "Alice", Text: "re", ReplyTo: pub}},
		{"a reply to everyone to a DM", bob, protocol.Send{ID: "r2", Text: "re", ReplyTo: dm}},
		{"a reply to a DM of others", carol, protocol.Send{ID: "r3", To: "Alice", Text: "re", ReplyTo: dm}},
		{"a reply to a deleted message", bob, protocol.Send{ID: "r4", Text: "re", ReplyTo: gone}},
	} {
		_, err := c.Send(context.Background(), r.s, r.send)
		refused(t, r.name, err, protocol.CodeNotFound)
	}
	fake.Advance(2 * time.Hour)
	_, err := c.Act(context.Background(), alice, protocol.Action{Type: protocol.TypeEdit, ID: "late", Target: pub, Text: "too late"})
	refused(t, "an edit past the window", err, protocol.CodeForbidden)
	if h := c.log.Head(); h != head {
		t.Fatalf("refusals stored %d events", h-head)
	}
	// Within the window and in their own conversation, the same are taken.
	act(t, c, alice, protocol.Action{Type: protocol.TypeDelete, ID: "ok1", Target: pub})
	if _, err := c.Send(context.Background(), bob, protocol.Send{ID: "ok2", To: "Alice", Text: "re", ReplyTo: dm}); err != nil {
		t.Fatalf("a reply in a DM to a message of the same DM: %v", err)
	}
}

// A direct message's reactions are its two people's: a third person's
// history and stream never see them.
func TestActionsOnADirectMessageStayPrivate(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob, carol := register(t, c, "Alice"), register(t, c, "Bob"), register(t, c, "Carol")
	carolStream := open(t, c, carol, Position{})
	dm := send(t, c, alice, "d", "Bob", "psst")
	seq := act(t, c, bob, protocol.Action{Type: protocol.TypeReact, ID: "r", Target: dm, Emoji: "❤️", On: true})
	if h := history(c, carol); strings.Contains(h, "react") {
		t.Errorf("Carol's history shows the DM's reaction: %s", h)
	}
	settle(t, c)
	got, _ := carolStream.Take(nil, 100)
	for _, e := range got {
		if e.Seq() == seq {
			t.Errorf("Carol's stream handed out the DM's reaction")
		}
	}
	for _, s := range []*Session{alice, bob} {
		if h := history(c, s); !strings.Contains(h, fmt.Sprintf("react@%d Bob ❤️", dm)) {
			t.Errorf("%s's history lacks the reaction: %s", s.Name().Display, h)
		}
	}
	// In the conversation's own history, to each, as the other person.
	p, err := c.Page(alice, HistoryQuery{With: "Bob"})
	if err != nil || len(p.Entries) != 2 || p.Entries[1].Event().To != "Alice" {
		t.Fatalf("Alice's history with Bob: %v, %v; want the DM and Bob's reaction to her", p.Entries, err)
	}
}
