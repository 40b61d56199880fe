package convo

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"hark/app/client"
	"hark/app/protocol"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func msg(seq uint64, from, to, text string) protocol.Event {
	return protocol.Event{Seq: seq, Type: protocol.TypeMessage, ID: fmt.Sprint("x", seq), From: from, To: to, Text: text,
		Time: protocol.NewTime(t0.Add(time.Duration(seq) * time.Second))}
}

func item(ev protocol.Event) client.Item { return client.Item{Event: ev} }

func state(items ...client.Item) client.State { return client.State{Epoch: "e1", Messages: items} }

func texts(c *Conversation) []string {
	var out []string
	for _, it := range c.Items() {
		out = append(out, it.Event.Text)
	}
	return out
}

func withs(m *Model) []string {
	var out []string
	for _, c := range m.List() {
		out = append(out, c.With)
	}
	return out
}

// Broadcasts go to Everyone, direct messages to one conversation per other
// person (names compared as the server does), the most recent first.
func TestRoutingAndOrder(t *testing.T) {
	m := New("Alice")
	m.Sync(state(
		item(msg(1, "Bob", "", "hi all")),
		item(msg(2, "Bob", "Alice", "psst")),
		item(msg(3, "Alice", "carol", "to carol")),
		item(protocol.Event{Seq: 4, Type: protocol.TypeJoin, From: "Dora"}),
		item(msg(5, "Carol", "ALICE", "back to you")),
	))
	if got := withs(m); fmt.Sprint(got) != "[ Carol Bob]" {
		t.Fatalf("list %q, want Everyone, Carol (newest), Bob", got)
	}
	if got := texts(m.Get("")); fmt.Sprint(got) != "[hi all ]" {
		t.Errorf("Everyone holds %q", got)
	}
	if got := texts(m.Get("CAROL")); fmt.Sprint(got) != "[to carol back to you]" {
		t.Errorf("Carol's conversation holds %q", got)
	}
	// Bob writes again: his conversation goes first.
	m.Sync(state(item(msg(6, "Bob", "Alice", "again"))))
	if got := withs(m); fmt.Sprint(got) != "[ Bob Carol]" {
		t.Errorf("list %q after Bob's message, want Bob first", got)
	}
}

// Unread counts what arrives live in a conversation not in view, or in
// the one in view while the page is hidden; opening or coming back reads
// it; one's own messages never count.
func TestUnread(t *testing.T) {
	m := New("Alice")
	m.Open("")
	m.Arrived(msg(1, "Bob", "Alice", "dm 1"))
	m.Arrived(msg(2, "Bob", "Alice", "dm 2"))
	m.Arrived(msg(3, "Bob", "", "in view"))
	m.Arrived(msg(4, "Alice", "Bob", "my own"))
	if u := m.Get("bob").Unread; u != 2 {
		t.Errorf("Bob's unread %d, want 2", u)
	}
	if m.Unread() != 2 || Title(m.Unread()) != "(2) Hark" {
		t.Errorf("total %d, title %q", m.Unread(), Title(m.Unread()))
	}
	m.SetHidden(true)
	m.Arrived(msg(5, "Carol", "", "while hidden"))
	if u := m.Get("").Unread; u != 1 {
		t.Errorf("Everyone's unread while hidden %d, want 1", u)
	}
	m.SetHidden(false)
	if u := m.Get("").Unread; u != 0 || m.Unread() != 2 {
		t.Errorf("after coming back: Everyone %d, total %d", u, m.Unread())
	}
	m.Open("BOB")
	if m.Unread() != 0 || Title(0) != "Hark" {
		t.Errorf("after opening Bob's: total %d", m.Unread())
	}
	if m.Active() != m.Get("bob") {
		t.Errorf("active is not Bob's conversation")
	}
}

// Scrollback pages merge with what the stream and the window brought:
// each message once, in seq order, across the seam; a page that reaches
// the start clears More.
func TestScrollbackSeam(t *testing.T) {
	m := New("Alice")
	var live []client.Item
	for s := uint64(150); s <= 200; s++ {
		live = append(live, item(msg(s, "Bob", "", fmt.Sprint(s))))
	}
	m.Sync(state(live...))
	c := m.Get("")
	if c.Oldest() != 150 || !c.More {
		t.Fatalf("oldest %d more %v", c.Oldest(), c.More)
	}
	page := func(from, to uint64, more bool) protocol.History {
		h := protocol.History{More: more}
		for s := from; s <= to; s++ {
			h.Events = append(h.Events, msg(s, "Bob", "", fmt.Sprint(s)))
		}
		return h
	}
	m.Older("", page(100, 160, true)) // overlaps the seam
	m.Older("", page(1, 99, false))
	m.Sync(state(append(live, item(msg(201, "Bob", "", "201")))...))
	items := c.Items()
	if len(items) != 201 {
		t.Fatalf("%d messages, want 201", len(items))
	}
	for i, it := range items {
		if it.Event.Seq != uint64(i+1) {
			t.Fatalf("message %d has seq %d", i, it.Event.Seq)
		}
	}
	if c.More {
		t.Errorf("More still set after the page that reached the start")
	}
	// A page of someone else's conversation is not merged here.
	m.Older("", protocol.History{Events: []protocol.Event{msg(300, "Bob", "Alice", "dm")}})
	if c.Len() != 201 || m.Get("Bob") != nil {
		t.Errorf("a direct message merged into Everyone's page")
	}
}

// Chunks are never changed in place: appending leaves what an earlier
// reader held as it was, and an insertion makes a new slice, so a
// component that holds an old chunk sees a difference.
func TestChunksNotChangedInPlace(t *testing.T) {
	m := New("Alice")
	var its []client.Item
	for s := uint64(10); s < 10+2*ChunkSize; s += 2 {
		its = append(its, item(msg(s, "Bob", "", fmt.Sprint(s))))
	}
	m.Sync(state(its...))
	c := m.Get("")
	before := slices.Clone(c.Chunks())
	if len(before) != 1 {
		t.Fatalf("%d chunks for %d messages", len(before), len(its))
	}
	v := c.Version
	m.Sync(state(item(msg(1000, "Bob", "", "new"))))
	if c.Version == v || len(c.Chunks()) != 2 || len(c.Chunks()[0]) != ChunkSize {
		t.Fatalf("append: version %d→%d, chunks %d", v, c.Version, len(c.Chunks()))
	}
	// An older message lands inside the first chunk: a new slice.
	first := c.Chunks()[0]
	m.Older("", protocol.History{More: true, Events: []protocol.Event{msg(13, "Bob", "", "13")}})
	if &c.Chunks()[0][0] == &first[0] {
		t.Errorf("an insertion changed the first chunk in place")
	}
	if first[1].Event.Seq != 12 || c.Chunks()[0][2].Event.Seq != 13 {
		t.Errorf("old chunk %d, new %d", first[1].Event.Seq, c.Chunks()[0][2].Event.Seq)
	}
	// Older than all, first chunk full: a chunk in front.
	m.Older("", protocol.History{More: true, Events: []protocol.Event{msg(2, "Bob", "", "2")}})
	if n := len(c.Chunks()); n != 3 || c.Oldest() != 2 {
		t.Errorf("%d chunks, oldest %d", n, c.Oldest())
	}
}

// One's own message shows once: unsent while the client has no seq for
// it, then in seq order.
func TestOwnUnsentThenSent(t *testing.T) {
	m := New("Alice")
	pending := client.Item{Event: protocol.Event{Type: protocol.TypeMessage, ID: "c-1", From: "Alice", To: "Bob", Text: "hi"}, Own: true, Status: client.Pending}
	if !m.Sync(state(pending)) {
		t.Fatal("a pending message changed nothing")
	}
	bob := m.Get("bob")
	if len(bob.Unsent()) != 1 || m.Sync(state(pending)) {
		t.Fatalf("unsent %d; the same state twice changed something", len(bob.Unsent()))
	}
	sent := pending
	sent.Event.Seq, sent.Status = 7, client.Sent
	m.Sync(state(sent))
	if got := bob.Items(); len(got) != 1 || got[0].Event.Seq != 7 || len(bob.Unsent()) != 0 {
		t.Fatalf("after sending: %+v", got)
	}
	// A new epoch forgets the sequenced messages.
	s := state()
	s.Epoch = "e2"
	if !m.Sync(s) || bob.Len() != 0 {
		t.Errorf("after a new epoch Bob's conversation holds %d", bob.Len())
	}
}

// The cache keeps the newest CacheMessages of each conversation, of the
// CacheConversations most recent, with unread counts, and loads back.
func TestCacheBounds(t *testing.T) {
	m := New("Alice")
	var its []client.Item
	seq := uint64(0)
	for range 3 * CacheMessages {
		seq++
		its = append(its, item(msg(seq, "Bob", "", fmt.Sprint(seq))))
	}
	for i := range CacheConversations + 5 {
		seq++
		its = append(its, item(msg(seq, fmt.Sprint("P", i), "Alice", "dm")))
		m.Arrived(its[len(its)-1].Event)
	}
	m.Sync(state(its...))
	b := m.Save("reg-1")

	r := New("Alice")
	if !r.Load(b, "reg-1") {
		t.Fatal("Load refused what Save wrote")
	}
	all := r.List()
	if len(all) != CacheConversations {
		t.Errorf("%d conversations back, want %d", len(all), CacheConversations)
	}
	every := r.Get("").Items()
	if len(every) != CacheMessages || every[0].Event.Seq != 2*CacheMessages+1 {
		t.Errorf("Everyone: %d messages from seq %d", len(every), every[0].Event.Seq)
	}
	if r.Get("P24") == nil || r.Get("P24").Unread != 1 || r.Get("P0") != nil {
		t.Errorf("the newest conversations, with unread counts, should be kept; the oldest dropped")
	}
	if r.Load([]byte("not json"), "reg-1") || r.Load(nil, "reg-1") {
		t.Errorf("Load took garbage")
	}
	// What the server sends after the reload merges without duplicates.
	r.Sync(state(its[len(its)-3:]...))
	if n := r.Get("P24").Len(); n != 1 {
		t.Errorf("P24's conversation holds %d after the window repeats it", n)
	}
}

// A cache is its registration's: the next holder of a released name (a
// registration of its own), or a page with no session, loads nothing of
// it, not even a conversation's name.
func TestCacheIsTheRegistrations(t *testing.T) {
	m := New("Alice")
	dm := item(msg(1, "Bob", "Alice", "for the first Alice only"))
	m.Arrived(dm.Event)
	m.Sync(state(dm))
	b := m.Save("first")
	for _, reg := range []string{"second", ""} {
		r := New("Alice")
		if r.Load(b, reg) {
			t.Errorf("registration %q loaded the cache of registration \"first\"", reg)
		}
		if r.Get("Bob") != nil {
			t.Errorf("registration %q sees a conversation with Bob", reg)
		}
	}
	// A cache written before caches named their registration is nobody's.
	if New("Alice").Load([]byte(`{"epoch":"e1","convs":[{"with":"Bob","items":[]}]}`), "first") {
		t.Error("a cache with no registration was loaded")
	}
}

// Opening a conversation with unread messages notes where they start (the
// list's New line): the first of the last Unread messages others wrote,
// one's own and joins skipped; opened again with none unread, there is no
// line.
func TestOpenMarksWhereTheUnreadStart(t *testing.T) {
	m := New("Alice")
	m.Open("")
	live := []protocol.Event{
		msg(1, "Bob", "Alice", "read before"),
		msg(2, "Bob", "Alice", "first unread"),
		msg(3, "Alice", "Bob", "my own, from another tab"),
		msg(4, "Bob", "Alice", "second unread"),
	}
	m.Sync(state(item(live[0])))
	m.Open("Bob")
	m.Open("")
	for _, ev := range live[1:] {
		m.Sync(state(item(ev)))
		m.Arrived(ev)
	}
	if u := m.Get("Bob").Unread; u != 2 {
		t.Fatalf("Bob's unread %d, want 2", u)
	}
	v := m.Get("Bob").Version
	c := m.Open("Bob")
	if c.NewFrom != 2 || c.Unread != 0 || c.Version == v {
		t.Fatalf("opened with 2 unread: NewFrom %d, unread %d, version moved %v; want 2, 0, true", c.NewFrom, c.Unread, c.Version != v)
	}
	m.Open("")
	if c := m.Open("Bob"); c.NewFrom != 0 {
		t.Fatalf("opened again with nothing unread: NewFrom %d, want 0", c.NewFrom)
	}
}
