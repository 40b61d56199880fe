package chat

import (
	"context"
	"errors"
	"testing"

	"hark/app/protocol"
)

func appendN(t *testing.T, l *MemoryLog, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := l.Append(context.Background(), &Entry{Event: protocol.Event{Type: protocol.TypeMessage, Text: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
}

func seqs(t *testing.T, l *MemoryLog, since uint64) ([]uint64, error) {
	t.Helper()
	var got []uint64
	err := l.Since(since, func(e *Entry) bool {
		got = append(got, e.Seq())
		return true
	})
	return got, err
}

func TestMemoryLogKeepsTheLastEntries(t *testing.T) {
	var delivered []uint64
	l := NewMemoryLog(5, func(e *Entry) { delivered = append(delivered, e.Seq()) })
	appendN(t, l, 8)
	if l.Head() != 8 {
		t.Fatalf("Head = %d, want 8", l.Head())
	}
	if len(delivered) != 8 || delivered[0] != 1 || delivered[7] != 8 {
		t.Fatalf("delivered %v, want 1..8 in order", delivered)
	}
	got, err := seqs(t, l, 3) // 4..8 are kept
	if err != nil || len(got) != 5 || got[0] != 4 || got[4] != 8 {
		t.Fatalf("Since(3) = %v, %v; want [4 5 6 7 8]", got, err)
	}
	if _, err := seqs(t, l, 2); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Since(2) = %v, want ErrTruncated (3 is gone)", err)
	}
	if got, err := seqs(t, l, 8); err != nil || len(got) != 0 {
		t.Fatalf("Since(head) = %v, %v; want nothing", got, err)
	}
	if _, err := seqs(t, l, 9); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Since(beyond head) = %v, want ErrTruncated", err)
	}
	var recent []uint64
	l.Recent(func(e *Entry) bool { recent = append(recent, e.Seq()); return len(recent) < 3 })
	if len(recent) != 3 || recent[0] != 8 || recent[2] != 6 {
		t.Fatalf("Recent = %v, want [8 7 6]", recent)
	}
}

func TestMemoryLogEncodesTheSeq(t *testing.T) {
	l := NewMemoryLog(10, nil)
	e := &Entry{Event: protocol.Event{Type: protocol.TypeJoin, From: "Alice"}}
	appendN(t, l, 2)
	if err := l.Append(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if want := `{"seq":3,"type":"join","from":"Alice"}`; string(e.JSON) != want {
		t.Fatalf("JSON = %s, want %s", e.JSON, want)
	}
}

func TestEpochsDiffer(t *testing.T) {
	a, b := NewMemoryLog(1, nil), NewMemoryLog(1, nil)
	if a.Epoch() == b.Epoch() || len(a.Epoch()) < 8 {
		t.Fatalf("epochs %q and %q: want two different random names", a.Epoch(), b.Epoch())
	}
}

func TestRegistryListsByKeyWithPrefix(t *testing.T) {
	r := NewMemoryRegistry()
	ctx := context.Background()
	for _, n := range []string{"Bob", "alice", "Alan", "Carol"} {
		name, err := protocol.ParseName(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Claim(ctx, name.Key, name.Display); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Claim(ctx, "bob", "BOB"); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("second claim of bob = %v, want ErrNameTaken", err)
	}
	if got := r.List("al", 10); len(got) != 2 || got[0] != "Alan" || got[1] != "alice" {
		t.Fatalf("List(al) = %v, want [Alan alice]", got)
	}
	if got := r.List("", 3); len(got) != 3 || got[2] != "Bob" {
		t.Fatalf("List('', 3) = %v, want [Alan alice Bob]", got)
	}
	r.Release(ctx, "alan")
	if got := r.List("a", 10); len(got) != 1 || got[0] != "alice" || r.Count() != 3 {
		t.Fatalf("after release: List(a) = %v, Count = %d", got, r.Count())
	}
}

func TestHubDropsOnlyTheSlowStream(t *testing.T) {
	h := NewHub()
	fast := &Stream{key: "fast", queue: make(chan *Entry, 4), ended: make(chan struct{})}
	slow := &Stream{key: "slow", queue: make(chan *Entry, 2), ended: make(chan struct{})}
	h.add(fast)
	h.add(slow)
	for i := 0; i < 3; i++ {
		h.Deliver(&Entry{Event: protocol.Event{Seq: uint64(i + 1), Type: protocol.TypeMessage}})
		<-fast.queue
	}
	if slow.Reason() != Overflow {
		t.Fatalf("slow stream reason = %v, want Overflow", slow.Reason())
	}
	if fast.Reason() != Open {
		t.Fatalf("fast stream reason = %v, want Open", fast.Reason())
	}
	h.remove(slow)
	h.remove(slow) // twice is harmless
	if h.Len() != 1 {
		t.Fatalf("Len = %d, want 1", h.Len())
	}
}

func TestHubDirectGoesToTheTwoParties(t *testing.T) {
	h := NewHub()
	mk := func(key string) *Stream {
		s := &Stream{key: key, queue: make(chan *Entry, 4), ended: make(chan struct{})}
		h.add(s)
		return s
	}
	alice1, alice2, bob, carol := mk("alice"), mk("alice"), mk("bob"), mk("carol")
	h.Deliver(&Entry{Event: protocol.Event{Seq: 1, Type: protocol.TypeMessage}, fromKey: "alice", toKey: "bob"})
	for name, s := range map[string]*Stream{"alice tab 1": alice1, "alice tab 2": alice2, "bob": bob} {
		if len(s.queue) != 1 {
			t.Errorf("%s got %d entries, want 1", name, len(s.queue))
		}
	}
	if len(carol.queue) != 0 {
		t.Errorf("carol got a direct message between alice and bob")
	}
}
