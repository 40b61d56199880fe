package chat

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"hark/app/protocol"
)

// people of the index tests: registrations and their names' keys; 4 is a
// later holder of 1's name.
var threadPeople = []struct {
	reg  RegID
	name string
}{{1, "Alice"}, {2, "Bob"}, {3, "Carol"}, {4, "ALICE"}}

// randomMessage is a broadcast, a direct message or a note to oneself
// between threadPeople, with the compare keys a send gives it.
func randomMessage(r *rand.Rand) *Entry {
	from := threadPeople[r.IntN(len(threadPeople))]
	if r.IntN(3) == 0 {
		return newEntry(protocol.Event{Type: protocol.TypeMessage, From: from.name, Text: "all"}, from.reg, 0)
	}
	to := threadPeople[r.IntN(len(threadPeople))]
	e := newEntry(protocol.Event{Type: protocol.TypeMessage, From: from.name, To: to.name, Text: "dm"}, from.reg, to.reg)
	e.fromKey, e.toKey = protocol.NameKey(from.name), protocol.NameKey(to.name)
	return e
}

// everyMessage is what a conversation holds by definition: the whole
// ring, filtered entry by entry.
func everyMessage(l *MemoryLog, before uint64, c Conversation) []uint64 {
	var out []uint64
	l.Messages(before, Conversation{}, func(e *Entry) bool {
		switch {
		case c.Everyone && !e.Direct():
		case c.Reg != 0 && e.Direct() && e.from == c.Reg && e.toKey == c.Peer:
		case c.Reg != 0 && e.Direct() && e.to == c.Reg && e.fromKey == c.Peer:
		default:
			return true
		}
		out = append(out, e.seq)
		return true
	})
	return out
}

// The index of conversations agrees with a filter of the whole log, at
// every point of a long run of appends, evictions by count and by age,
// and paging with before; and a read visits only what it returns.
func TestConversationIndexAgreesWithTheLog(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Unix(1e9, 0)
	// Evictions by count first (no time passes), then by age (about 300
	// messages are younger than five minutes, fewer than the ring holds).
	l := NewMemoryLog(1000, 50)
	l.SetMaxAge(5*time.Minute, func() time.Time { return now })
	var convs []Conversation
	convs = append(convs, Conversation{Everyone: true})
	for _, p := range threadPeople {
		for _, q := range threadPeople {
			convs = append(convs, Conversation{Reg: p.reg, Peer: protocol.NameKey(q.name)})
		}
	}
	for i := range 3000 {
		e := randomMessage(r)
		e.at = now.UnixMilli()
		if err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			l.Append(context.Background(), newEntry(protocol.Event{Type: protocol.TypeJoin, From: "Dave"}, 0, 0))
		}
		if i >= 1500 {
			now = now.Add(time.Duration(r.IntN(3)) * time.Second)
		}
		if i%97 != 0 {
			continue
		}
		for _, c := range convs {
			for _, before := range []uint64{0, l.Head() / 2, l.Head() - 5} {
				want := everyMessage(l, before, c)
				var got []uint64
				l.Messages(before, c, func(e *Entry) bool { got = append(got, e.seq); return true })
				if !slices.Equal(got, want) {
					t.Fatalf("after %d appends, %+v before %d: index %v, log %v", i+1, c, before, got, want)
				}
			}
		}
	}
	// The index holds no more lists than conversations kept.
	l.mu.RLock()
	n := len(l.index.direct)
	l.mu.RUnlock()
	if n > len(threadPeople)*len(threadPeople) {
		t.Errorf("%d conversation lists for %d people", n, len(threadPeople))
	}
}

// A later holder of a name (another registration) reads none of the
// earlier holder's conversation with Bob, and Bob's conversation with the
// name holds both holders' messages, as history always has.
func TestConversationIsTheRegistrations(t *testing.T) {
	l := NewMemoryLog(100, 100)
	dm := func(from, to RegID, fromName, toName string) {
		e := newEntry(protocol.Event{Type: protocol.TypeMessage, From: fromName, To: toName, Text: "dm"}, from, to)
		e.fromKey, e.toKey = protocol.NameKey(fromName), protocol.NameKey(toName)
		l.Append(context.Background(), e)
	}
	dm(2, 1, "Bob", "Alice") // 1: to the first Alice
	dm(4, 2, "alice", "Bob") // 2: from the next one
	read := func(c Conversation) string {
		var got []uint64
		l.Messages(0, c, func(e *Entry) bool { got = append(got, e.seq); return true })
		return fmt.Sprint(got)
	}
	if got := read(Conversation{Reg: 4, Peer: "bob"}); got != "[2]" {
		t.Errorf("the next Alice's conversation with Bob: %s, want [2]", got)
	}
	if got := read(Conversation{Reg: 2, Peer: "alice"}); got != "[2 1]" {
		t.Errorf("Bob's conversation with the name alice: %s, want [2 1]", got)
	}
}

// A record stored before records carried the names' keys has them read
// from its body when it is loaded.
func TestEntryFromAnOldRecordHasItsKeys(t *testing.T) {
	e := newEntry(protocol.Event{Type: protocol.TypeMessage, From: "Ｂｏｂ", To: "Alice", Text: "dm"}, 2, 1)
	rec := e.Record()
	rec.FromKey, rec.ToKey = "", ""
	got := EntryFromRecord(7, rec)
	if got.fromKey != "bob" || got.toKey != "alice" {
		t.Errorf("keys %q, %q; want bob, alice", got.fromKey, got.toKey)
	}
}

// A read of a quiet conversation (one message) beside 10,000 of the
// reader's own direct messages with someone else: its cost should not
// grow with the log.
func BenchmarkHistoryQuietConversation(b *testing.B) {
	for _, kept := range []int{100, 10000} {
		b.Run(fmt.Sprint(kept), func(b *testing.B) {
			l := NewMemoryLog(kept+1, 10)
			for range kept {
				e := newEntry(protocol.Event{Type: protocol.TypeMessage, From: "Alice", To: "Bob", Text: "busy"}, 1, 2)
				e.fromKey, e.toKey = "alice", "bob"
				l.Append(context.Background(), e)
			}
			e := newEntry(protocol.Event{Type: protocol.TypeMessage, From: "Alice", To: "Carol", Text: "quiet"}, 1, 3)
			e.fromKey, e.toKey = "alice", "carol"
			l.Append(context.Background(), e)
			c := &Chat{log: l}
			s := &Session{reg: 1}
			b.ReportAllocs()
			for b.Loop() {
				p, err := c.Page(s, HistoryQuery{With: "Dave", Limit: 50})
				if err != nil || len(p.Entries) != 0 {
					b.Fatal(err, len(p.Entries))
				}
			}
		})
	}
}
