package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"hark/app/protocol"
)

func appendKind(t *testing.T, l *MemoryLog, kind string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		e := newEntry(protocol.Event{Type: kind, From: "Alice", Text: "x"}, 1, 0)
		if err := l.Append(context.Background(), e); err != nil {
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
	var fed []uint64
	l := NewMemoryLog(5, 5)
	l.Follow(func(e *Entry) { fed = append(fed, e.Seq()) })
	appendKind(t, l, protocol.TypeMessage, 8)
	if l.Head() != 8 {
		t.Fatalf("Head = %d, want 8", l.Head())
	}
	if fmt.Sprint(fed) != "[1 2 3 4 5 6 7 8]" {
		t.Fatalf("fed %v, want 1..8 in order", fed)
	}
	got, err := seqs(t, l, 3) // 4..8 are kept
	if err != nil || fmt.Sprint(got) != "[4 5 6 7 8]" {
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
	l.Messages(0, Conversation{}, func(e *Entry) bool { recent = append(recent, e.Seq()); return len(recent) < 3 })
	if fmt.Sprint(recent) != "[8 7 6]" {
		t.Fatalf("Messages = %v, want [8 7 6]", recent)
	}
}

// Joins and leaves are kept apart from messages: a churn of them never
// evicts history, and resume interleaves the two kinds in seq order.
func TestMemoryLogChurnKeepsMessages(t *testing.T) {
	l := NewMemoryLog(3, 4)
	appendKind(t, l, protocol.TypeMessage, 2) // 1, 2
	appendKind(t, l, protocol.TypeJoin, 1)    // 3
	appendKind(t, l, protocol.TypeMessage, 1) // 4
	if got, err := seqs(t, l, 0); err != nil || fmt.Sprint(got) != "[1 2 3 4]" {
		t.Fatalf("Since(0) = %v, %v; want [1 2 3 4]", got, err)
	}
	appendKind(t, l, protocol.TypeJoin, 100) // 5..104: evicts joins only
	var msgs []uint64
	l.Messages(0, Conversation{}, func(e *Entry) bool { msgs = append(msgs, e.Seq()); return true })
	if fmt.Sprint(msgs) != "[4 2 1]" {
		t.Fatalf("messages after churn = %v, want [4 2 1]: joins must not evict history", msgs)
	}
	if _, err := seqs(t, l, 4); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Since(4) after churn = %v, want ErrTruncated (joins 5.. are gone)", err)
	}
	if got, err := seqs(t, l, 100); err != nil || fmt.Sprint(got) != "[101 102 103 104]" {
		t.Fatalf("Since(100) = %v, %v; want the last four joins", got, err)
	}
}

// Messages walks the ring in chunks; every message comes once, newest
// first, across chunk boundaries.
func TestMemoryLogMessagesAcrossChunks(t *testing.T) {
	n := messagesChunk*2 + 7
	l := NewMemoryLog(n, 1)
	appendKind(t, l, protocol.TypeMessage, n+3) // the first three evicted
	want := uint64(n + 3)
	l.Messages(0, Conversation{}, func(e *Entry) bool {
		if e.Seq() != want {
			t.Fatalf("Messages gave %d, want %d", e.Seq(), want)
		}
		want--
		return true
	})
	if want != 3 {
		t.Fatalf("Messages stopped above %d, want all of 4..%d", want, n+3)
	}
}

func TestMemoryLogEncodesTheSeqWithoutEscapingHTML(t *testing.T) {
	l := NewMemoryLog(10, 10)
	appendKind(t, l, protocol.TypeMessage, 2)
	e := newEntry(protocol.Event{Type: protocol.TypeMessage, From: "Alice", Text: "<b>fish & chips</b>"}, 1, 0)
	if err := l.Append(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if want := `{"seq":3,"type":"message","from":"Alice","text":"<b>fish & chips</b>"}`; string(e.JSON) != want {
		t.Fatalf("JSON = %s, want %s", e.JSON, want)
	}
	if e.body != nil {
		t.Fatal("a sealed entry still holds its body: the text would be kept twice")
	}
	if ev := e.Event(); ev.Text != "<b>fish & chips</b>" || ev.Seq != 3 {
		t.Fatalf("Event() = %+v", ev)
	}
}

func TestEpochsDiffer(t *testing.T) {
	a, b := NewMemoryLog(1, 1), NewMemoryLog(1, 1)
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
		if err := r.Claim(ctx, name.Key, Holder{Display: name.Display, Reg: RegID(len(n))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Claim(ctx, "bob", Holder{Display: "BOB", Reg: 99}); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("second claim of bob = %v, want ErrNameTaken", err)
	}
	if got := r.List("al", 10); len(got) != 2 || got[0] != "Alan" || got[1] != "alice" {
		t.Fatalf("List(al) = %v, want [Alan alice]", got)
	}
	if got := r.List("", 3); len(got) != 3 || got[2] != "Bob" {
		t.Fatalf("List('', 3) = %v, want [Alan alice Bob]", got)
	}
	r.Release(ctx, "alan", RegID(len("Alan")))
	if got := r.List("a", 10); len(got) != 1 || got[0] != "alice" || r.Count() != 3 {
		t.Fatalf("after release: List(a) = %v, Count = %d", got, r.Count())
	}
}

// A release by an earlier registration never frees the name for a later
// holder of it.
func TestRegistryReleaseNeedsTheHolder(t *testing.T) {
	r := NewMemoryRegistry()
	ctx := context.Background()
	r.Claim(ctx, "bob", Holder{Display: "Bob", Reg: 1})
	r.Release(ctx, "bob", 1)
	r.Claim(ctx, "bob", Holder{Display: "BOB", Reg: 2})
	r.Release(ctx, "bob", 1) // the old session, late
	if h, ok := r.Lookup("bob"); !ok || h.Reg != 2 {
		t.Fatalf("Lookup(bob) = %+v, %v; want the second holder", h, ok)
	}
}

func testStream(reg RegID, limit int) *Stream {
	return &Stream{reg: reg, index: -1, limit: limit, bytes: 1 << 20, ready: make(chan struct{}, 1)}
}

// A stream's queue is bounded in bytes as well as in entries: three
// entries of about a KiB fit in 3.5 KiB, the fourth overflows the stream,
// which then hands out the three and ends. A single entry larger than the
// bound still fits an empty queue.
func TestStreamQueueIsBoundedInBytes(t *testing.T) {
	big := func(seq uint64, size int) *Entry {
		e := newEntry(protocol.Event{Type: protocol.TypeMessage, From: "x", Text: strings.Repeat("y", size)}, 9, 0)
		e.seal(seq)
		return e
	}
	st := testStream(1, 100)
	st.bytes = 3584
	if n, dropped := st.offer([]*Entry{big(1, 1000), big(2, 1000), big(3, 1000), big(4, 1000)}); n != 3 || dropped != 1 {
		t.Fatalf("offered four 1 KiB entries to a 3.5 KiB queue: %d queued, %d dropped; want 3, 1", n, dropped)
	}
	got, done := st.Take(nil, 10)
	if len(got) != 3 || got[2].Seq() != 3 || !done {
		t.Fatalf("the overflowed stream handed out %d entries (done %v), want 1 to 3 and its end", len(got), done)
	}

	lone := testStream(2, 100)
	lone.bytes = 100
	if n, dropped := lone.offer([]*Entry{big(5, 1000)}); n != 1 || dropped != 0 {
		t.Fatalf("one entry larger than the bound, to an empty queue: %d queued, %d dropped; want 1, 0", n, dropped)
	}
	if got, _ := lone.Take(nil, 10); len(got) != 1 || lone.queued != 0 {
		t.Fatalf("took %d, %d bytes still counted; want 1 and 0", len(got), lone.queued)
	}
}

func sealed(seq uint64, from, to RegID) *Entry {
	e := newEntry(protocol.Event{Type: protocol.TypeMessage, From: "x", Text: "t"}, from, to)
	e.seal(seq)
	return e
}

func takeSeqs(st *Stream) ([]uint64, bool) {
	got, done := st.Take(nil, 100)
	var out []uint64
	for _, e := range got {
		out = append(out, e.Seq())
	}
	return out, done
}

// With a queue of 2, entries 3 and 4 are queued, 5 overflows and ends the
// stream, and 6 is never queued: the stream hands out 3 and 4 and then
// ends, so its client resumes after 4 and reads 5 and 6 from the log. The
// fast stream beside it gets everything.
func TestHubOverflowHandsOutNothingAfterTheDrop(t *testing.T) {
	h := NewHub()
	var dropped int
	h.onOverflow = func(n int) { dropped += n }
	fast, slow := testStream(1, 8), testStream(2, 2)
	h.add(fast)
	h.add(slow)
	h.Deliver([]*Entry{sealed(3, 9, 0), sealed(4, 9, 0)})
	h.Deliver([]*Entry{sealed(5, 9, 0)})
	h.Deliver([]*Entry{sealed(6, 9, 0)})
	if slow.Reason() != Overflow || fast.Reason() != Open {
		t.Fatalf("reasons: slow %v, fast %v; want Overflow, Open", slow.Reason(), fast.Reason())
	}
	if got, done := takeSeqs(slow); fmt.Sprint(got) != "[3 4]" || !done {
		t.Fatalf("slow stream handed out %v (done %v), want [3 4] and the end", got, done)
	}
	if got, done := takeSeqs(slow); len(got) != 0 || !done {
		t.Fatalf("slow stream after its end: %v (done %v), want nothing", got, done)
	}
	if got, done := takeSeqs(fast); fmt.Sprint(got) != "[3 4 5 6]" || done {
		t.Fatalf("fast stream got %v (done %v), want [3 4 5 6]", got, done)
	}
	if dropped != 1 {
		t.Fatalf("dropped %d, want 1 (only 5 was refused; 6 never offered to an ended stream)", dropped)
	}
	h.remove(slow)
	h.remove(slow) // twice is harmless
	if h.Len() != 1 {
		t.Fatalf("Len = %d, want 1", h.Len())
	}
}

// A run larger than the room left is cut where the queue fills.
func TestHubOverflowInOneRun(t *testing.T) {
	h := NewHub()
	slow := testStream(2, 2)
	h.add(slow)
	h.Deliver([]*Entry{sealed(3, 9, 0), sealed(4, 9, 0), sealed(5, 9, 0), sealed(6, 9, 0)})
	if got, done := takeSeqs(slow); fmt.Sprint(got) != "[3 4]" || !done {
		t.Fatalf("slow stream handed out %v (done %v), want [3 4] and the end", got, done)
	}
}

func TestHubDirectGoesToTheTwoParties(t *testing.T) {
	h := NewHub()
	mk := func(reg RegID) *Stream {
		s := testStream(reg, 4)
		h.add(s)
		return s
	}
	const alice, bob, carol RegID = 1, 2, 3
	alice1, alice2, bobs, carols := mk(alice), mk(alice), mk(bob), mk(carol)
	h.Deliver([]*Entry{sealed(1, alice, 0), sealed(2, alice, bob), sealed(3, bob, 0)})
	for name, s := range map[string]*Stream{"alice tab 1": alice1, "alice tab 2": alice2, "bob": bobs} {
		if got, _ := takeSeqs(s); fmt.Sprint(got) != "[1 2 3]" {
			t.Errorf("%s got %v, want [1 2 3] in order", name, got)
		}
	}
	if got, _ := takeSeqs(carols); fmt.Sprint(got) != "[1 3]" {
		t.Errorf("carol got %v, want the broadcasts [1 3] only", got)
	}
}

// endSession takes the session's streams out of the hub before it ends
// them, and what was queued is dropped: a released session's stream hands
// out nothing. Another session of the same registration (another device
// of the person) keeps its stream.
func TestHubEndSessionRemovesThenEnds(t *testing.T) {
	h := NewHub()
	gone, device, other := testStream(1, 8), testStream(1, 8), testStream(2, 8)
	gone.session, device.session = &Session{}, &Session{}
	h.add(gone)
	h.add(device)
	h.add(other)
	h.Deliver([]*Entry{sealed(1, 2, 0)})
	h.endSession(1, gone.session, Released)
	h.Deliver([]*Entry{sealed(2, 2, 1)})
	if got, _ := takeSeqs(device); fmt.Sprint(got) != "[1 2]" || device.Reason() != Open {
		t.Fatalf("the same person's other device got %v (reason %v), want [1 2] and still open", got, device.Reason())
	}
	h.remove(device)
	if h.Len() != 1 || gone.index != -1 {
		t.Fatalf("Len = %d, index = %d; want the released stream out of the hub", h.Len(), gone.index)
	}
	if got, done := takeSeqs(gone); len(got) != 0 || !done || gone.Reason() != Released {
		t.Fatalf("released stream handed out %v (done %v, reason %v), want nothing", got, done, gone.Reason())
	}
	if got, _ := takeSeqs(other); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("the other stream got %v, want [1 2]", got)
	}
}

func TestIDMemoryIsBounded(t *testing.T) {
	m := newIDMemory(3)
	for i := 1; i <= 5; i++ {
		m.put("alice", fmt.Sprint("m", i), uint64(i))
	}
	if m.len() != 3 {
		t.Fatalf("remembers %d ids, want 3", m.len())
	}
	if _, ok := m.get("alice", "m2"); ok {
		t.Fatal("m2 still remembered: the oldest go first")
	}
	if seq, ok := m.get("alice", "m5"); !ok || seq != 5 {
		t.Fatalf("m5 = %d, %v; want 5", seq, ok)
	}
	if _, ok := m.get("bob", "m5"); ok {
		t.Fatal("ids are per name: bob's m5 is not alice's")
	}
}

// A node's copy of a durable log that skips seqs (the log's limits dropped
// them) answers a resume from before the hole with ErrTruncated, never the
// entries after the hole as if they followed.
func TestMemoryLogCopyMarksHoles(t *testing.T) {
	l := NewMemoryLogAt("e", 10, 10)
	add := func(seq uint64, kind string) {
		e := newEntry(protocol.Event{Type: kind, From: "x"}, 1, 0)
		e.seal(seq)
		l.Add(e)
	}
	add(1, protocol.TypeJoin)
	add(3, protocol.TypeMessage) // 2 was dropped
	add(4, protocol.TypeMessage)
	if _, err := seqs(t, l, 1); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Since(1) across the hole = %v, want ErrTruncated", err)
	}
	if got, err := seqs(t, l, 2); err != nil || fmt.Sprint(got) != "[3 4]" {
		t.Fatalf("Since(2) = %v, %v; want [3 4]", got, err)
	}
}

// Messages below a seq start there and go on, newest first, across chunk
// boundaries to the oldest kept; below 1 there is nothing.
func TestMemoryLogMessagesBefore(t *testing.T) {
	n := messagesChunk*2 + 7
	l := NewMemoryLog(n, 1)
	appendKind(t, l, protocol.TypeMessage, n+3) // 1..3 evicted
	for _, before := range []uint64{uint64(n + 4), uint64(n), messagesChunk + 1, 5, 4, 1} {
		want := min(before-1, uint64(n+3))
		l.Messages(before, Conversation{}, func(e *Entry) bool {
			if e.Seq() != want {
				t.Fatalf("Messages(%d) gave %d, want %d", before, e.Seq(), want)
			}
			want--
			return true
		})
		if want != 3 && before > 4 {
			t.Fatalf("Messages(%d) stopped above %d, want down to 4", before, want)
		}
		if before <= 4 && want != before-1 {
			t.Fatalf("Messages(%d) gave something; nothing is kept below 4", before)
		}
	}
}

// A stream's queue holds nothing its hello or replay covers: an entry the
// hub queued between the stream's joining and its start, or offered after
// it while the hub was behind the log, takes no room, counts towards no
// fill and wakes no one; it would otherwise make a transport write early
// (a busy stream's writes are held until its queue fills) only to drop
// it.
func TestStreamQueueHoldsNothingCovered(t *testing.T) {
	at := func(seq uint64) *Entry {
		e := newEntry(protocol.Event{Type: protocol.TypeMessage, From: "x", Text: "y"}, 9, 0)
		e.seal(seq)
		return e
	}
	st := testStream(1, 64)
	st.offer([]*Entry{at(4), at(5)}) // queued while joining
	st.start(nil, 5)
	if len(st.queue) != 0 || st.queued != 0 || st.Fill() != 0 {
		t.Fatalf("after a start covering seq 5: %d queued (%d bytes), fill %v; want nothing", len(st.queue), st.queued, st.Fill())
	}
	<-st.ready // the two offers' wake-up, from before the start

	if n, dropped := st.offer([]*Entry{at(5)}); n != 0 || dropped != 0 {
		t.Fatalf("offered seq 5 again: %d queued, %d dropped; want neither", n, dropped)
	}
	select {
	case <-st.ready:
		t.Fatal("an offer of nothing new woke the transport")
	default:
	}
	if n, _ := st.offer([]*Entry{at(5), at(6)}); n != 1 {
		t.Fatalf("offered seq 5 and 6: %d queued, want 1", n)
	}
	if got, _ := st.Take(nil, 10); len(got) != 1 || got[0].Seq() != 6 {
		t.Fatalf("took %d entries, want seq 6 alone", len(got))
	}
}
