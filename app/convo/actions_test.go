package convo

import (
	"fmt"
	"testing"

	"hark/app/client"
	"hark/app/protocol"
)

func action(seq uint64, typ, from, to string, target uint64, emoji string, on bool, text string) protocol.Event {
	return protocol.Event{Seq: seq, Type: typ, From: from, To: to, Target: target, Emoji: emoji, On: on, Text: text}
}

func reactions(it client.Item) string { return fmt.Sprint(it.Reactions) }

// Actions show on their message: reactions by person, toggled by the last
// each sent, whatever order the events came in and however often; the
// last edit's text; a delete for good. The chunk that held the message
// is replaced, never changed in place.
func TestActionsShowOnTheirMessage(t *testing.T) {
	m := New("Alice")
	m.Sync(state(item(msg(1, "Alice", "", "hello"))))
	before := m.Get("").Chunks()[0]
	m.Sync(state(
		item(action(2, protocol.TypeReact, "Bob", "", 1, "👍", true, "")),
		item(action(4, protocol.TypeReact, "Carol", "", 1, "👍", false, "")),
		item(action(3, protocol.TypeReact, "Carol", "", 1, "👍", true, "")),
		item(action(5, protocol.TypeReact, "Carol", "", 1, "🎉", true, "")),
		item(action(6, protocol.TypeEdit, "Alice", "", 1, "", false, "hello all")),
	))
	m.Sync(state(item(action(2, protocol.TypeReact, "Bob", "", 1, "👍", true, "")))) // again
	it, ok := m.Get("").Message(1)
	if !ok {
		t.Fatal("the message is gone")
	}
	if got := reactions(it); got != "[{👍 [Bob]} {🎉 [Carol]}]" {
		t.Errorf("reactions %s: Carol took her 👍 back (seq 4 after 3, though it came first)", got)
	}
	if it.Event.Text != "hello all" || !it.Edited {
		t.Errorf("after an edit: %q, edited %v", it.Event.Text, it.Edited)
	}
	if before[0].Event.Text != "hello" || before[0].Reactions != nil {
		t.Error("the chunk a renderer already had was changed in place")
	}
	m.Sync(state(item(action(7, protocol.TypeDelete, "Alice", "", 1, "", false, ""))))
	it, _ = m.Get("").Message(1)
	if !it.Event.Deleted || it.Event.Text != "" || it.Reactions != nil || it.Edited {
		t.Errorf("after a delete: %+v, want a tombstone with nothing on it", it)
	}
}

// An action that comes before its message (a newer history page, the
// message on an older one) shows once the message comes; one on a direct
// message goes to that conversation, whoever acted.
func TestActionsBeforeTheirMessage(t *testing.T) {
	m := New("Alice")
	m.Sync(state(item(msg(1, "Alice", "Bob", "psst"))))
	m.Older("Bob", protocol.History{Events: []protocol.Event{
		msg(5, "Bob", "Alice", "older? no, newer"),
		action(9, protocol.TypeReact, "Bob", "Alice", 3, "❤️", true, ""),
	}, More: true})
	m.Older("Bob", protocol.History{Events: []protocol.Event{msg(3, "Alice", "Bob", "an older one")}})
	it, ok := m.Get("Bob").Message(3)
	if !ok || reactions(it) != "[{❤️ [Bob]}]" {
		t.Fatalf("the older message came with %s, want Bob's ❤️ from before", reactions(it))
	}
	m.Sync(state(item(action(10, protocol.TypeReact, "Alice", "Bob", 1, "👍", true, ""))))
	if it, _ := m.Get("Bob").Message(1); reactions(it) != "[{👍 [Alice]}]" {
		t.Errorf("Alice's own reaction in her conversation with Bob: %s", reactions(it))
	}
	if got := texts(m.Get("")); len(got) != 0 {
		t.Errorf("Everyone's conversation holds %q: actions on DMs went astray", got)
	}
}

// A reply shows its parent's sender and first line, once the parent is
// held (it may come later, on an older page), as it is now: edited, or
// deleted.
func TestRepliesQuoteTheirParent(t *testing.T) {
	m := New("Alice")
	reply := msg(8, "Bob", "", "indeed")
	reply.ReplyTo = 5
	m.Sync(state(item(reply)))
	if it, _ := m.Get("").Message(8); it.Quote != nil {
		t.Fatalf("a quote %+v of a parent not held", it.Quote)
	}
	m.Older("", protocol.History{Events: []protocol.Event{msg(5, "Alice", "", "first line\nsecond line")}})
	if it, _ := m.Get("").Message(8); it.Quote == nil || *it.Quote != (client.Quote{From: "Alice", Text: "first line …"}) {
		t.Fatalf("once the parent came, the quote is %+v", it.Quote)
	}
	m.Sync(state(item(action(9, protocol.TypeEdit, "Alice", "", 5, "", false, "better"))))
	if it, _ := m.Get("").Message(8); it.Quote.Text != "better" {
		t.Errorf("after the parent's edit the quote reads %q", it.Quote.Text)
	}
	m.Sync(state(item(action(10, protocol.TypeDelete, "Alice", "", 5, "", false, ""))))
	if it, _ := m.Get("").Message(8); !it.Quote.Deleted || it.Quote.Text != "" {
		t.Errorf("after the parent's delete the quote is %+v, want it to say so", it.Quote)
	}
}
