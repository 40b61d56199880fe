// Package storetest is the contract every chat.Store keeps, as tests: the
// memory store, the embedded NATS one and a NATS cluster each pass it
// (chat's, natsstore's TestStoreContract), and adding a store means
// passing it. Each clause is tested once, for all stores.
//
// A store shared by several nodes is tested through two of them, on
// different servers where there are several: a clause that holds on one
// node must hold across nodes. A node's copy may lag the store (reads of
// names are eventual), so reads after a write wait for it, boundedly;
// what the store decides (one winner of a name, one delete of a session,
// the next seq) is asserted at once.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/chat"
)

// Deployment is one deployment of a store, fresh for a clause: each call
// is a node of it (for a store held in one process, the same store
// again). Nodes are closed when the test ends.
type Deployment func(t *testing.T) chat.Store

// Fresh makes a new, empty deployment keeping what l says.
type Fresh func(t *testing.T, l chat.Limits) Deployment

// Run runs every clause of the contract on deployments from fresh, each
// as a subtest of t named for the clause.
func Run(t *testing.T, fresh Fresh) {
	for _, c := range clauses {
		t.Run(c.name, func(t *testing.T) { c.run(t, fresh) })
	}
}

var clauses = []struct {
	name string
	run  func(*testing.T, Fresh)
}{
	{"AppendGivesTheNextSeqAndFollowSeesEachOnce", appendAndFollow},
	{"SinceReplaysInOrderAndStops", sinceReplays},
	{"MessagesReadOneConversationNewestFirst", messagesByConversation},
	{"DeletedMessageReadsAsItsTombstone", tombstones},
	{"EvictedPositionIsTruncatedAndChurnKeepsMessages", truncation},
	{"MaxAgeDropsOldEvents", maxAge},
	{"EpochIsOneForTheDeployment", epoch},
	{"NameRaceHasOneWinner", nameRace},
	{"ReleaseFreesOnlyForTheHolder", release},
	{"SessionsLeaseAndGo", sessions},
	{"CurrentMeansEveryAcknowledgedWriteIsHere", current},
	{"SignalsReachEveryNode", signals},
	{"FilesRoundTripWithTheirMetadata", filesRoundTrip},
	{"FilesDeleteWithTheirThumbnails", filesDelete},
	{"LargeFilesStreamAndFailedOnesLeaveNothing", filesLarge},
	{"DeviceCodesAreTakenOnce", deviceCodes},
	{"DevicesOfAPersonAreFoundTogether", devicesOfAPerson},
	{"PasskeysAreKeptPerName", passkeysPerName},
	{"PasskeyCeremoniesAreTakenOnceAndExpire", passkeyCeremonies},
	{"ReadPositionsMoveForwardPerPersonAndConversation", readPositions},
}

// wait bounds how long a node's copy may take to show a write.
const wait = 10 * time.Second

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return c
}

// message is an unsealed broadcast from reg, at.
func message(reg chat.RegID, from, text string, at time.Time) *chat.Entry {
	return entry(protocol.Event{Type: protocol.TypeMessage, From: from, Text: text}, chat.Record{From: reg, Dedupe: from + "/" + text}, at)
}

// direct is an unsealed direct message from one registration to another.
func direct(from chat.RegID, fromName string, to chat.RegID, toName, text string) *chat.Entry {
	r := chat.Record{From: from, To: to, FromKey: protocol.NameKey(fromName), ToKey: protocol.NameKey(toName), Dedupe: fromName + "/" + text}
	return entry(protocol.Event{Type: protocol.TypeMessage, From: fromName, To: toName, Text: text}, r, time.Now())
}

// join is an unsealed join of name.
func join(reg chat.RegID, name string) *chat.Entry {
	return entry(protocol.Event{Type: protocol.TypeJoin, From: name}, chat.Record{From: reg}, time.Now())
}

func entry(ev protocol.Event, r chat.Record, at time.Time) *chat.Entry {
	ev.Time = protocol.NewTime(at)
	body, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	r.Kind, r.Body, r.At = ev.Type, body, at
	return chat.NewEntry(r)
}

func appendAll(t *testing.T, l chat.Log, es ...*chat.Entry) {
	t.Helper()
	for _, e := range es {
		if err := l.Append(ctx(t), e); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
}

// currentAt makes each node's view of the log current up to seq: a node's
// copy of a shared log, the appending node's too, may be behind what the
// store acknowledged.
func currentAt(t *testing.T, seq uint64, nodes ...chat.Store) {
	t.Helper()
	for i, n := range nodes {
		if err := n.Log.Current(ctx(t), seq); err != nil {
			t.Fatalf("node %d's Current(%d): %v", i, seq, err)
		}
		if h := n.Log.Head(); h < seq {
			t.Fatalf("node %d's head is %d once current at %d", i, h, seq)
		}
	}
}

// texts are the texts of entries, in the order given.
func texts(es []*chat.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		ev := e.Event()
		out[i] = ev.Type + ":" + ev.Text
		if ev.Type != protocol.TypeMessage {
			out[i] = ev.Type + ":" + ev.From
		}
	}
	return out
}

func since(l chat.Log, seq uint64) ([]*chat.Entry, error) {
	var out []*chat.Entry
	err := l.Since(seq, func(e *chat.Entry) bool { out = append(out, e); return true })
	return out, err
}

func messages(l chat.Log, before uint64, c chat.Conversation) []*chat.Entry {
	var out []*chat.Entry
	l.Messages(before, c, func(e *chat.Entry) bool { out = append(out, e); return true })
	return out
}

// recorded is what a store hands to a function it was given (a log's
// Follow, OnGone, a signals feed), from its own goroutines.
type recorded[T any] struct {
	mu  sync.Mutex
	all []T
}

func (r *recorded[T]) add(v T) { r.mu.Lock(); r.all = append(r.all, v); r.mu.Unlock() }

func (r *recorded[T]) got() []T { r.mu.Lock(); defer r.mu.Unlock(); return slices.Clone(r.all) }

// feed records the seqs a log's Follow hands out.
type feed struct{ recorded[uint64] }

func (f *feed) entry(e *chat.Entry) { f.add(e.Seq()) }

// Append gives each entry the seq after the head, the head follows, and
// every node's Follow hands out every entry once, in seq order.
func appendAndFollow(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	var fa, fb feed
	a.Log.Follow(fa.entry)
	if b.Log != a.Log {
		b.Log.Follow(fb.entry)
	}
	now := time.Now()
	es := []*chat.Entry{message(1, "Alice", "one", now), join(2, "Bob"), direct(1, "Alice", 2, "Bob", "psst"), message(2, "Bob", "two", now)}
	for i, e := range es {
		appendAll(t, a.Log, e)
		if e.Seq() != uint64(i+1) {
			t.Fatalf("entry %d appended at seq %d, want %d: seqs go up by one from 1", i, e.Seq(), i+1)
		}
	}
	currentAt(t, 4, a, b)
	if h := a.Log.Head(); h != 4 {
		t.Fatalf("head %d once current after four appends, want 4", h)
	}
	want := []uint64{1, 2, 3, 4}
	feeds := []*feed{&fa}
	if b.Log != a.Log {
		feeds = append(feeds, &fb)
	}
	for i, f := range feeds {
		testkit.Within(t, wait, fmt.Sprint("node ", i, "'s Follow to hand out seqs 1 to 4"), func() bool { return len(f.got()) >= 4 })
		if got := f.got(); !slices.Equal(got, want) {
			t.Fatalf("node %d's Follow handed out %v, want %v: each once, in order", i, got, want)
		}
	}
}

// Since replays the entries after a seq in order, with their events
// intact, and stops when told.
func sinceReplays(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	now := time.Now()
	appendAll(t, a.Log, message(1, "Alice", "one", now), join(2, "Bob"), message(2, "Bob", "two", now))
	currentAt(t, 3, a, b)
	for _, n := range []struct {
		name string
		l    chat.Log
	}{{"appending node", a.Log}, {"other node", b.Log}} {
		got, err := since(n.l, 0)
		if err != nil || fmt.Sprint(texts(got)) != "[message:one join:Bob message:two]" {
			t.Fatalf("%s: Since(0) = %v, %v; want the three in order", n.name, texts(got), err)
		}
		if got[1].Seq() != 2 || got[2].Event().Seq != 3 {
			t.Fatalf("%s: replayed seqs %d and %d (event says %d), want 2 and 3", n.name, got[1].Seq(), got[2].Seq(), got[2].Event().Seq)
		}
		got, err = since(n.l, 2)
		if err != nil || fmt.Sprint(texts(got)) != "[message:two]" {
			t.Fatalf("%s: Since(2) = %v, %v; want what came after 2", n.name, texts(got), err)
		}
		if got, err := since(n.l, 3); err != nil || len(got) != 0 {
			t.Fatalf("%s: Since(head) = %v, %v; want nothing", n.name, texts(got), err)
		}
		visits := 0
		n.l.Since(0, func(*chat.Entry) bool { visits++; return false })
		if visits != 1 {
			t.Fatalf("%s: Since visited %d entries after visit said stop, want 1", n.name, visits)
		}
	}
}

// Messages reads messages only, newest first, below a seq, by
// conversation: everyone's, or one registration's direct messages with
// one name (its own notes when the name is its own).
func messagesByConversation(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	now := time.Now()
	appendAll(t, a.Log,
		message(1, "Alice", "hello all", now),      // 1
		join(3, "Carol"),                           // 2
		direct(1, "Alice", 2, "Bob", "to Bob"),     // 3
		direct(2, "Bob", 1, "Alice", "to Alice"),   // 4
		direct(1, "Alice", 3, "Carol", "to Carol"), // 5
		direct(1, "Alice", 1, "Alice", "a note"),   // 6
		message(2, "Bob", "hi all", now),           // 7
	)
	currentAt(t, 7, a, b)
	for _, c := range []struct {
		conv   chat.Conversation
		before uint64
		want   string
	}{
		{chat.Conversation{}, 0, "[message:hi all message:a note message:to Carol message:to Alice message:to Bob message:hello all]"},
		{chat.Conversation{}, 5, "[message:to Alice message:to Bob message:hello all]"},
		{chat.Conversation{Everyone: true}, 0, "[message:hi all message:hello all]"},
		{chat.Conversation{Reg: 1, Peer: protocol.NameKey("Bob")}, 0, "[message:to Alice message:to Bob]"},
		{chat.Conversation{Reg: 2, Peer: protocol.NameKey("Alice")}, 0, "[message:to Alice message:to Bob]"},
		{chat.Conversation{Reg: 1, Peer: protocol.NameKey("Alice")}, 0, "[message:a note]"},
		{chat.Conversation{Reg: 2, Peer: protocol.NameKey("Carol")}, 0, "[]"},
	} {
		for _, l := range []chat.Log{a.Log, b.Log} {
			if got := fmt.Sprint(texts(messages(l, c.before, c.conv))); got != c.want {
				t.Fatalf("Messages(before %d, %+v) = %s, want %s", c.before, c.conv, got, c.want)
			}
		}
	}
}

// Message finds a kept message by seq, and nothing else; once a delete
// of it is appended, every read on every node (Message, Since, Messages)
// shows its tombstone, never its text.
func tombstones(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	appendAll(t, a.Log, message(1, "Alice", "a secret", time.Now()), join(2, "Bob")) // 1, 2
	currentAt(t, 2, a, b)
	for _, n := range []chat.Store{a, b} {
		if e, ok := n.Log.Message(1); !ok || e.Deleted() || e.Event().Text != "a secret" {
			t.Fatalf("Message(1) = %v, %v; want the message", e, ok)
		}
		if _, ok := n.Log.Message(2); ok {
			t.Fatal("Message(2) found a join")
		}
		if _, ok := n.Log.Message(3); ok {
			t.Fatal("Message(3) found what was never appended")
		}
	}
	del := entry(protocol.Event{Type: protocol.TypeDelete, From: "Alice", Target: 1}, chat.Record{From: 1, Dedupe: "Alice/d"}, time.Now())
	appendAll(t, a.Log, del) // 3
	currentAt(t, 3, a, b)
	for i, n := range []chat.Store{a, b} {
		e, ok := n.Log.Message(1)
		if !ok || !e.Deleted() || !e.Event().Deleted || e.Seq() != 1 {
			t.Fatalf("node %d: Message(1) after its delete = %v, %v; want its tombstone at seq 1", i, e, ok)
		}
		replay, err := since(n.Log, 0)
		if err != nil || len(replay) != 3 || !replay[0].Deleted() {
			t.Fatalf("node %d: Since(0) after the delete = %v, %v; want the tombstone, the join, the delete", i, texts(replay), err)
		}
		for _, e := range append(replay, messages(n.Log, 0, chat.Conversation{})...) {
			if strings.Contains(string(e.JSON), "a secret") {
				t.Fatalf("node %d: a read hands out the deleted text: %s", i, e.JSON)
			}
		}
	}
}

// A position whose next entries were evicted reads as truncated (the
// client is reset); what is kept still replays. Joins and leaves are kept
// apart: their churn never evicts messages.
func truncation(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{Keep: 3, KeepPresence: 2})
	a, b := d(t), d(t)
	now := time.Now()
	for i := range 6 {
		appendAll(t, a.Log, message(1, "Alice", fmt.Sprint("m", i), now)) // seqs 1-6
	}
	for i := range 5 {
		appendAll(t, a.Log, join(chat.RegID(10+i), fmt.Sprint("P", i))) // seqs 7-11
	}
	currentAt(t, 11, a, b)
	for _, l := range []chat.Log{a.Log, b.Log} {
		testkit.Within(t, wait, "Since(1) to be truncated with 3 messages kept", func() bool {
			_, err := since(l, 1)
			return errors.Is(err, chat.ErrTruncated)
		})
		if got := fmt.Sprint(texts(messages(l, 0, chat.Conversation{}))); got != "[message:m5 message:m4 message:m3]" {
			t.Fatalf("messages kept after five joins: %s, want the last three messages", got)
		}
		if got, err := since(l, 9); err != nil || fmt.Sprint(texts(got)) != "[join:P3 join:P4]" {
			t.Fatalf("Since(9) = %v, %v; want the two joins kept", texts(got), err)
		}
	}
}

// With a maximum age, events older than it leave history, and a position
// before them is truncated.
func maxAge(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{MaxAge: time.Second})
	a := d(t)
	appendAll(t, a.Log, message(1, "Alice", "old", time.Now()))
	currentAt(t, 1, a)
	testkit.Within(t, wait, "the message to age out of history", func() bool {
		return len(messages(a.Log, 0, chat.Conversation{})) == 0
	})
	if _, err := since(a.Log, 0); !errors.Is(err, chat.ErrTruncated) {
		t.Fatalf("Since(0) after the only event aged out: %v, want ErrTruncated", err)
	}
}

// The epoch names the deployment's log: not empty, the same on every node
// and at every call.
func epoch(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	e := a.Log.Epoch()
	if e == "" || a.Log.Epoch() != e || b.Log.Epoch() != e {
		t.Fatalf("epochs %q, %q, %q: want one, not empty", e, a.Log.Epoch(), b.Log.Epoch())
	}
	if other := fresh(t, chat.Limits{})(t).Log.Epoch(); other == e {
		t.Fatalf("two deployments share the epoch %q", e)
	}
}

// Of many claims of one name, on two nodes at once, exactly one wins;
// every node comes to see the winner.
func nameRace(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	nodes := []chat.Store{d(t), d(t)}
	const claimers = 8
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	for i := range claimers {
		wg.Go(func() {
			errs[i] = nodes[i%2].Names.Claim(ctx(t), "alice", chat.Holder{Display: "Alice", Reg: chat.RegID(100 + i)})
		})
	}
	wg.Wait()
	winner := chat.RegID(0)
	for i, err := range errs {
		switch {
		case err == nil && winner != 0:
			t.Fatalf("two claims of one name won: registrations %d and %d", winner, 100+i)
		case err == nil:
			winner = chat.RegID(100 + i)
		case !errors.Is(err, chat.ErrNameTaken):
			t.Fatalf("a losing claim failed with %v, want ErrNameTaken", err)
		}
	}
	if winner == 0 {
		t.Fatal("no claim of a free name won")
	}
	for i, n := range nodes {
		testkit.Within(t, wait, fmt.Sprint("node ", i, " to see the winner"), func() bool {
			h, ok := n.Names.Lookup("alice")
			return ok && h.Reg == winner && h.Display == "Alice" && n.Names.Count() == 1
		})
		if got := n.Names.List("al", 10); !slices.Equal(got, []string{"Alice"}) {
			t.Fatalf("node %d lists %v for prefix al, want [Alice]", i, got)
		}
		if got := n.Names.List("b", 10); len(got) != 0 {
			t.Fatalf("node %d lists %v for prefix b, want none", i, got)
		}
		held := 0
		n.Names.Holders(func(key string, h chat.Holder) {
			held++
			if key != "alice" || h.Reg != winner {
				t.Fatalf("node %d: Holders visited %q %+v", i, key, h)
			}
		})
		if held != 1 {
			t.Fatalf("node %d: Holders visited %d names, want 1", i, held)
		}
	}
}

// Only the registration holding a name frees it; a freed name can be
// taken again, on any node.
func release(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	if err := a.Names.Claim(ctx(t), "bob", chat.Holder{Display: "Bob", Reg: 1}); err != nil {
		t.Fatal(err)
	}
	testkit.Within(t, wait, "the other node to see Bob", func() bool { _, ok := b.Names.Lookup("bob"); return ok })
	if freed, err := b.Names.Release(ctx(t), "bob", 2); err != nil || freed {
		t.Fatalf("a release by another registration: freed %v, %v; want false", freed, err)
	}
	if freed, err := b.Names.Release(ctx(t), "bob", 1); err != nil || !freed {
		t.Fatalf("the holder's release: freed %v, %v; want true", freed, err)
	}
	if freed, err := a.Names.Release(ctx(t), "bob", 1); err != nil || freed {
		t.Fatalf("a second release: freed %v, %v; want false", freed, err)
	}
	if err := a.Names.Claim(ctx(t), "bob", chat.Holder{Display: "BOB", Reg: 3}); err != nil {
		t.Fatalf("claiming a freed name: %v", err)
	}
	testkit.Within(t, wait, "the other node to see the new holder", func() bool {
		h, ok := b.Names.Lookup("bob")
		return ok && h.Reg == 3 && h.Display == "BOB"
	})
}

// A session is created, read and touched on any node; it is idle by the
// last touch; a delete wins once, and every node is told it is gone.
func sessions(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	var gone recorded[chat.Digest]
	b.Sessions.OnGone(gone.add)
	t0 := time.Now().Truncate(time.Millisecond)
	d1, d2 := chat.Digest{1}, chat.Digest{2}
	rec := chat.SessionRecord{Name: "Alice", Reg: 7, Addr: "192.0.2.1", Seen: t0}
	if err := a.Sessions.Create(ctx(t), d1, rec); err != nil {
		t.Fatal(err)
	}
	if err := a.Sessions.Create(ctx(t), d2, chat.SessionRecord{Name: "Bob", Reg: 8, Seen: t0}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []chat.Store{a, b} {
		got, ok, err := n.Sessions.Get(ctx(t), d1)
		if err != nil || !ok || got.Name != rec.Name || got.Reg != rec.Reg || got.Addr != rec.Addr || !got.Seen.Equal(t0) {
			t.Fatalf("Get = %+v, %v, %v; want %+v", got, ok, err, rec)
		}
		if _, ok, err := n.Sessions.Get(ctx(t), chat.Digest{9}); ok || err != nil {
			t.Fatalf("Get of an unknown session: %v, %v; want not found", ok, err)
		}
	}
	if err := b.Sessions.Touch(ctx(t), d1, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := b.Sessions.Touch(ctx(t), d1, t0.Add(time.Second)); err != nil {
		t.Fatal(err) // older than the last touch: changes nothing
	}
	for _, n := range []chat.Store{a, b} {
		if err := n.Sessions.Current(ctx(t)); err != nil {
			t.Fatal(err)
		}
		idle := n.Sessions.Idle(t0.Add(30 * time.Second))
		if !slices.Contains(idle, d2) || slices.Contains(idle, d1) {
			t.Fatalf("idle since 30 s after the start: %v; want Bob's alone (Alice was touched at 1 min)", idle)
		}
		if idle := n.Sessions.Idle(t0.Add(2 * time.Minute)); !slices.Contains(idle, d1) {
			t.Fatalf("idle since 2 min after the start: %v; want Alice's too", idle)
		}
		if !n.Sessions.Has(7) || n.Sessions.Has(99) {
			t.Fatal("Has: want registration 7's session, and none of 99")
		}
	}
	results := make([]bool, 2)
	var wg sync.WaitGroup
	for i, n := range []chat.Store{a, b} {
		wg.Go(func() {
			ok, err := n.Sessions.Delete(ctx(t), d1)
			if err != nil {
				t.Errorf("Delete: %v", err)
			}
			results[i] = ok
		})
	}
	wg.Wait()
	if results[0] == results[1] {
		t.Fatalf("two deletes of one session, one per node, reported %v: want exactly one to win", results)
	}
	testkit.Within(t, wait, "the other node to be told the session is gone", func() bool {
		return slices.Contains(gone.got(), d1)
	})
	for _, n := range []chat.Store{a, b} {
		if err := n.Sessions.Current(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if n.Sessions.Has(7) {
			t.Fatal("Has reports the deleted session once current")
		}
		if _, ok, _ := n.Sessions.Get(ctx(t), d1); ok {
			t.Fatal("Get finds the deleted session")
		}
	}
}

// Current returns at once on a node that has every acknowledged write,
// and after it that node reads them: a log up to the seq asked for, the
// sessions all of them.
func current(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	for i := range 20 {
		appendAll(t, a.Log, message(1, "Alice", fmt.Sprint("m", i), time.Now()))
		if err := a.Sessions.Create(ctx(t), chat.Digest{byte(i + 1)}, chat.SessionRecord{Name: fmt.Sprint("n", i), Reg: chat.RegID(i + 1), Seen: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	currentAt(t, 20, a, b)
	if err := b.Sessions.Current(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if !b.Sessions.Has(chat.RegID(i + 1)) {
			t.Fatalf("once current, the other node lacks session %d of 20 made before", i+1)
		}
	}
	if b.Log != a.Log {
		// A copy of a shared log waits for a seq it has not got, until
		// ctx ends; a log held in one process has nothing to wait for.
		short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := b.Log.Current(short, 1000); err == nil {
			t.Fatal("a copy's Current returned for a seq never appended")
		}
	}
}

// A signal published on one node reaches every node's feed, whole: a
// direct one with its recipient, a room's with its room and sender. It is
// live only and best effort, so it is published until seen.
func signals(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	for _, sig := range []chat.Signal{
		{Kind: protocol.TypeTyping, To: 5, JSON: []byte(`{"type":"typing","from":"Alice","to":"Bob"}`)},
		{Kind: protocol.TypeTyping, Room: "r1", From: 7, JSON: []byte(`{"type":"typing","from":"Alice","room":"r1"}`)},
	} {
		var got recorded[chat.Signal]
		b.Signals.Follow(got.add)
		testkit.Within(t, wait, "the signal to reach the other node", func() bool {
			if err := a.Signals.Publish(sig); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
			return len(got.got()) > 0
		})
		if s := got.got()[0]; s.Kind != sig.Kind || s.To != sig.To || s.Room != sig.Room || s.From != sig.From || string(s.JSON) != string(sig.JSON) {
			t.Fatalf("received %+v, want %+v", s, sig)
		}
	}
}
