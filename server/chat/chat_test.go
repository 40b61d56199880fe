package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/clock"
	"hark/internal/testkit"
)

// newTestChat is a chat on a memory store, with the test's policies and
// its per-address budgets off unless the test sets them.
func newTestChat(t *testing.T, cfg Config) *Chat {
	t.Helper()
	var now func() time.Time
	if cfg.Clock != nil {
		now = cfg.Clock.Now
	}
	return newTestChatOn(t, MemoryStore(Limits{}, now), cfg)
}

// graceRunsOut moves fake on until s is released: the grace's timer runs
// in a goroutine of its own and may arm itself again, so the clock moves
// in steps until it has.
func graceRunsOut(t *testing.T, fake *clock.Fake, s *Session) {
	t.Helper()
	testkit.Eventually(t, "the grace release", func() bool {
		fake.Advance(time.Second)
		return !s.Live()
	})
}

// withLog is a memory store whose log is l.
func withLog(l Log) Store {
	st := MemoryStore(Limits{}, nil)
	st.Log = l
	return st
}

// newTestChatOn is newTestChat on st.
func newTestChatOn(t *testing.T, st Store, cfg Config) *Chat {
	t.Helper()
	if cfg.PresenceInterval == 0 {
		cfg.PresenceInterval = time.Hour
	}
	for _, off := range []*int{&cfg.AddrSessions} {
		if *off == 0 {
			*off = -1
		}
	}
	if cfg.AddrRegisterRate == 0 {
		cfg.AddrRegisterRate = -1
	}
	if cfg.AddrSendRate == 0 {
		cfg.AddrSendRate = -1
	}
	c := New(st, cfg)
	t.Cleanup(c.Close)
	return c
}

func register(t *testing.T, c *Chat, name string) *Session {
	t.Helper()
	s, _, _, err := c.Register(context.Background(), name, "")
	if err != nil {
		t.Fatalf("Register(%q): %v", name, err)
	}
	return s
}

func open(t *testing.T, c *Chat, s *Session, pos Position) *Stream {
	t.Helper()
	st, err := c.Open(s, pos)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

func send(t *testing.T, c *Chat, s *Session, id, to, text string) uint64 {
	t.Helper()
	seq, err := c.Send(context.Background(), s, protocol.Send{ID: id, To: to, Text: text})
	if err != nil {
		t.Fatalf("Send(%s): %v", id, err)
	}
	return seq
}

// texts reads st until it has been quiet for a moment or it ends, and
// returns the texts of the messages it handed out.
func texts(t *testing.T, st *Stream) (got []string, ended bool) {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		e, err := st.Next(ctx)
		cancel()
		switch {
		case errors.Is(err, ErrEnded):
			return got, true
		case err != nil:
			return got, false
		case e.Type() == protocol.TypeMessage:
			got = append(got, e.Event().Text)
		}
	}
}

func historyTexts(c *Chat, s *Session) []string {
	var out []string
	for _, e := range c.History(s, 100) {
		out = append(out, e.Event().Text)
	}
	return out
}

// replayTexts opens a stream for s from the start of the log and returns
// the message texts of its replay.
func replayTexts(t *testing.T, c *Chat, s *Session) []string {
	t.Helper()
	st := open(t, c, s, Position{Resume: true})
	defer st.Close()
	got, _ := st.Take(nil, 1000)
	var out []string
	for _, e := range got {
		if e.Type() == protocol.TypeMessage {
			out = append(out, e.Event().Text)
		}
	}
	return out
}

// A stream ended for overflow hands out what was queued before the entry it
// dropped and nothing after it, so resuming after its last seq loses
// nothing.
func TestOverflowResumesWithoutAGap(t *testing.T) {
	c := newTestChat(t, Config{QueueLen: 2})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	settle(t, c) // the joins are delivered: the queue holds only what follows
	st := open(t, c, bob, Position{})
	st.Take(nil, 1) // the hello
	var seqs []uint64
	for i := 3; i <= 6; i++ {
		seqs = append(seqs, send(t, c, alice, fmt.Sprint("m", i), "", fmt.Sprint(i)))
	}
	testkit.Eventually(t, "the overflow", func() bool { return st.Reason() == Overflow })
	got, ended := texts(t, st)
	if fmt.Sprint(got) != "[3 4]" || !ended {
		t.Fatalf("slow stream handed out %v (ended %v), want [3 4] then the end", got, ended)
	}
	resumed := open(t, c, bob, Position{Since: seqs[1], Resume: true})
	if got, _ := texts(t, resumed); fmt.Sprint(got) != "[5 6]" {
		t.Fatalf("resume after 4 gave %v, want [5 6]", got)
	}
	if s := c.Stats(); s.SlowDisconnects != 1 || s.Dropped == 0 {
		t.Fatalf("stats %+v: want one slow disconnect", s)
	}
}

// After Bob leaves and someone takes his name again, Bob's old stream
// never hands out anything more, least of all a direct message to the new
// holder of the name.
func TestReleasedStreamNeverSeesTheNextHolder(t *testing.T) {
	for _, how := range []string{"leave", "grace"} {
		t.Run(how, func(t *testing.T) {
			fake := clock.NewFake(time.Now())
			c := newTestChat(t, Config{Grace: 5 * time.Second, Clock: fake})
			alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
			open(t, c, alice, Position{}) // keeps alice past the grace
			old := open(t, c, bob, Position{})
			switch how {
			case "leave":
				c.Leave(context.Background(), bob)
			case "grace":
				old.Close() // no stream left: the grace runs out
				graceRunsOut(t, fake, bob)
			}
			newBob := register(t, c, "ｂｏｂ")
			send(t, c, alice, "dm", "BOB", "for the new bob")
			if got, _ := texts(t, old); len(got) != 0 {
				t.Fatalf("the released stream handed out %v", got)
			}
			if how == "leave" && old.Reason() != Released {
				t.Fatalf("old stream reason %v, want Released", old.Reason())
			}
			if got := historyTexts(c, newBob); fmt.Sprint(got) != "[for the new bob]" {
				t.Fatalf("new bob's history %v", got)
			}
		})
	}
}

// Open and Leave racing never leave a stream subscribed for a released
// session: either Open is refused, or the stream it returned ends.
func TestOpenRacingLeaveLeavesNoOrphan(t *testing.T) {
	c := newTestChat(t, Config{})
	for i := 0; i < 200; i++ {
		s := register(t, c, fmt.Sprint("racer", i))
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Leave(context.Background(), s)
		}()
		st, err := c.Open(s, Position{})
		wg.Wait()
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		for err == nil {
			_, err = st.Next(ctx)
		}
		cancel()
		if !errors.Is(err, ErrEnded) {
			t.Fatalf("round %d: the stream of a released session is still open (%v)", i, err)
		}
		st.Close()
	}
	if n := c.hub.Len(); n != 0 {
		t.Fatalf("%d streams left in the hub", n)
	}
}

// A direct message belongs to the two registrations party to it: whoever
// takes a released name later (in any case or width) sees none of it, in
// history or in replay, whether the name was left or its grace ran out.
func TestNextHolderOfANameSeesNoEarlierDirectMessages(t *testing.T) {
	for _, how := range []string{"leave", "grace"} {
		for _, again := range []string{"bob", "BOB", "ＢＯＢ"} {
			t.Run(how+"/"+again, func(t *testing.T) {
				fake := clock.NewFake(time.Now())
				c := newTestChat(t, Config{Grace: 5 * time.Second, Clock: fake})
				alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
				keepAlice := open(t, c, alice, Position{})
				_ = keepAlice
				send(t, c, alice, "a1", "Bob", "to old bob")
				send(t, c, bob, "b1", "Alice", "from old bob")
				send(t, c, alice, "a2", "", "to everyone")
				if got := historyTexts(c, bob); len(got) != 3 {
					t.Fatalf("old bob's own history %v, want all three", got)
				}
				switch how {
				case "leave":
					c.Leave(context.Background(), bob)
				case "grace":
					graceRunsOut(t, fake, bob)
				}
				next := register(t, c, again)
				if got := historyTexts(c, next); fmt.Sprint(got) != "[to everyone]" {
					t.Fatalf("the next %q reads history %v, want only the broadcast", again, got)
				}
				if got := replayTexts(t, c, next); fmt.Sprint(got) != "[to everyone]" {
					t.Fatalf("the next %q replays %v, want only the broadcast", again, got)
				}
				if got := historyTexts(c, alice); len(got) != 3 {
					t.Fatalf("alice's history %v, want her conversation intact", got)
				}
			})
		}
	}
}

// A released session can send nothing, whoever holds its name now.
func TestReleasedSessionCannotSend(t *testing.T) {
	fake := clock.NewFake(time.Now())
	c := newTestChat(t, Config{Grace: 5 * time.Second, Clock: fake})
	left, lapsed := register(t, c, "Left"), register(t, c, "Lapsed")
	c.Leave(context.Background(), left)
	graceRunsOut(t, fake, lapsed)
	for _, s := range []*Session{left, lapsed} {
		_, err := c.Send(context.Background(), s, protocol.Send{ID: "x", Text: "still here?"})
		if perr, ok := err.(*protocol.Error); !ok || perr.Code != protocol.CodeUnauthorized {
			t.Fatalf("send from released %s = %v, want unauthorized", s.Name().Display, err)
		}
	}
	if _, err := c.Open(left, Position{}); err == nil {
		t.Fatal("a released session opened a stream")
	}
}

// Any authenticated request keeps a session without a stream alive; it is
// released a grace period after the last one.
func TestRequestsKeepASessionAlive(t *testing.T) {
	const grace = 30 * time.Second
	fake := clock.NewFake(time.Now())
	c := newTestChat(t, Config{Grace: grace, Clock: fake})
	_, tok, _, err := c.Register(context.Background(), "Bot", "")
	if err != nil {
		t.Fatal(err)
	}
	var s *Session
	for i := range 9 { // three graces of requests, a third of one apart
		if s, err = c.Authenticate(tok); err != nil {
			t.Fatalf("a session making requests every %v was released after %v", grace/3, time.Duration(i)*grace/3)
		}
		fake.Advance(grace / 3)
		time.Sleep(time.Millisecond) // a timer that fired runs in a goroutine of its own: let it
	}
	graceRunsOut(t, fake, s)
	if _, err := c.Authenticate(tok); err == nil {
		t.Fatal("the token still works after the release")
	}
}

// A send retried from a new session of the same name (the client took its
// name again after the server forgot it) is delivered once.
func TestRetryAfterReclaimIsDeliveredOnce(t *testing.T) {
	c := newTestChat(t, Config{})
	first := register(t, c, "Alice")
	seq := send(t, c, first, "c-1", "", "once")
	c.Leave(context.Background(), first)
	again := register(t, c, "alice")
	head := c.Head()
	if got := send(t, c, again, "c-1", "", "once"); got != seq {
		t.Fatalf("retry after reclaim got seq %d, want the first %d", got, seq)
	}
	if c.Head() != head {
		t.Fatal("the retry was appended again")
	}
	if send(t, c, again, "c-2", "", "new") == seq {
		t.Fatal("a new id was taken for a retry")
	}
}

// One address can hold only so many names and register only so fast, and
// its sends share one budget across its sessions.
func TestAddressBudgets(t *testing.T) {
	c := newTestChat(t, Config{AddrRegisterRate: 0.001, AddrRegisterBurst: 3, AddrSessions: 2, AddrSendRate: 0.001, AddrSendBurst: 3})
	ctx := context.Background()
	reg := func(name, addr string) (*Session, error) {
		s, _, _, err := c.Register(ctx, name, addr)
		return s, err
	}
	wantLimited := func(err error, what string) {
		t.Helper()
		perr, ok := err.(*protocol.Error)
		if !ok || perr.Code != protocol.CodeRateLimited || perr.RetryAfter < 1 {
			t.Fatalf("%s: %v, want rate_limited with a retry_after", what, err)
		}
	}
	a, err := reg("a1", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := reg("a2", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = reg("a3", "192.0.2.1")
	wantLimited(err, "a third live session from one address")
	if _, err := reg("b1", "192.0.2.2"); err != nil {
		t.Fatalf("another address is not limited: %v", err)
	}
	c.Leave(ctx, a)
	if _, err := reg("a3", "192.0.2.1"); err != nil {
		t.Fatalf("after a leave there is room again: %v", err)
	}
	c.Leave(ctx, b)
	_, err = reg("a4", "192.0.2.1")
	wantLimited(err, "a fourth registration within the burst of 3")
	if _, err := reg("a4", "192.0.2.1"); err == nil {
		t.Fatal("the refused registration took the name")
	}

	// Sends: three at once from the address, whichever session sends.
	s1, s2 := register(t, c, "s1"), register(t, c, "s2")
	s1.addr, s2.addr = "198.51.100.7", "198.51.100.7"
	send(t, c, s1, "1", "", "x")
	send(t, c, s2, "2", "", "x")
	send(t, c, s1, "3", "", "x")
	_, err = c.Send(ctx, s2, protocol.Send{ID: "4", Text: "x"})
	wantLimited(err, "a fourth send from one address")
}

// Deliveries reach a stream in seq order without a gap, whoever appends
// and however many at once: the fan-out follows the log.
func TestConcurrentSendsArriveInOrder(t *testing.T) {
	c := newTestChat(t, Config{QueueLen: 10000, Rate: 1e6, Burst: 1e6})
	reader := register(t, c, "Reader")
	st := open(t, c, reader, Position{})
	hello, _ := st.Take(nil, 1)
	from := hello[0].Event().Seq // the head the stream started at
	var senders []*Session
	for i := 0; i < 4; i++ {
		senders = append(senders, register(t, c, fmt.Sprint("w", i)))
	}
	var wg sync.WaitGroup
	for i, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				c.Send(context.Background(), s, protocol.Send{ID: fmt.Sprint(i, "-", j), Text: "x"})
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for want := from + 1; want <= c.Head(); want++ {
		e, err := st.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for seq %d: %v", want, err)
		}
		if e.Seq() != want {
			t.Fatalf("got seq %d, want %d", e.Seq(), want)
		}
	}
}

// settle waits until the fan-out has delivered everything in the log.
func settle(t *testing.T, c *Chat) {
	t.Helper()
	testkit.Eventually(t, "the fan-out to catch up", func() bool { return c.Stats().FanoutLag == 0 })
}

// laggingLog is a node's copy of a shared log that has not yet reached a
// position a client saw on a faster node.
type laggingLog struct{ *MemoryLog }

func (l laggingLog) Current(ctx context.Context, seq uint64) error {
	for l.Head() < seq {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// A resume from a position ahead of this node, in its epoch, waits for the
// node to catch up and replays from there: no reset.
func TestResumeAheadWaitsForTheLog(t *testing.T) {
	log := laggingLog{NewMemoryLog(100, 100)}
	c := newTestChatOn(t, withLog(log), Config{})
	alice := register(t, c, "Alice")
	ahead := c.Head() + 2
	go func() {
		time.Sleep(100 * time.Millisecond) // the node catches up
		for i := range 3 {
			c.Send(context.Background(), alice, protocol.Send{ID: fmt.Sprint("late", i), Text: fmt.Sprint("late ", i)})
		}
	}()
	st := open(t, c, alice, Position{Since: ahead, Resume: true, Epoch: c.Epoch()})
	first, _ := st.Take(nil, 10)
	var msgs []string
	for _, e := range first {
		switch e.Type() {
		case protocol.TypeReset:
			t.Fatal("a position ahead of the node was answered with reset")
		case protocol.TypeMessage:
			msgs = append(msgs, e.Event().Text)
		}
	}
	more, _ := texts(t, st)
	if got := append(msgs, more...); fmt.Sprint(got) != "[late 2]" {
		t.Fatalf("after catching up the stream gave %v, want only what follows the position: [late 2]", got)
	}
}

// A stream that had fallen behind and then whose session left hands out
// nothing more: the release wins over the overflow.
func TestReleaseAfterOverflowHandsOutNothing(t *testing.T) {
	c := newTestChat(t, Config{QueueLen: 2})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	settle(t, c)
	st := open(t, c, bob, Position{})
	st.Take(nil, 1) // the hello
	for i := range 4 {
		send(t, c, alice, fmt.Sprint("m", i), "", "x")
	}
	testkit.Eventually(t, "the overflow", func() bool { return st.Reason() == Overflow })
	c.Leave(context.Background(), bob)
	if got, done := st.Take(nil, 10); len(got) != 0 || !done || st.Reason() != Released {
		t.Fatalf("after the leave the stream handed out %d entries (done %v, reason %v), want none", len(got), done, st.Reason())
	}
}

// With a maximum age, events older than it leave history, and a resume
// from before them gets a reset, as for events dropped by count.
func TestMaxAgeDropsOldEvents(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	c := newTestChatOn(t, MemoryStore(Limits{MaxAge: time.Hour}, fake.Now), Config{Clock: fake})
	alice := register(t, c, "Alice")
	open(t, c, alice, Position{}) // keeps her past the grace the hour and a half runs out
	send(t, c, alice, "old", "", "an hour and more ago")
	fake.Advance(90 * time.Minute)
	send(t, c, alice, "new", "", "just now")
	if got := historyTexts(c, alice); fmt.Sprint(got) != "[just now]" {
		t.Fatalf("history %q, want only what is younger than the maximum age", got)
	}
	st := open(t, c, alice, Position{Since: 0, Resume: true})
	got, _ := st.Take(nil, 10)
	if len(got) < 2 || got[1].Type() != protocol.TypeReset {
		t.Fatalf("a resume from before the dropped events: %d entries, want hello then reset", len(got))
	}
}

// When entries of a shared log are gone before this node's copy read them
// (the durable log's limits dropped them while the copy lagged), a stream
// open on the node does not go on past them as if nothing were missing:
// it hands out what came before, ends as an overflow does, and its
// client's resume from the last seq it saw is told to reset.
func TestCopyGapEndsOpenStreams(t *testing.T) {
	copyLog := NewMemoryLogAt("e1", 100, 100)
	c := newTestChatOn(t, withLog(copyLog), Config{})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	settle(t, c)
	st := open(t, c, bob, Position{})
	before := send(t, c, alice, "m1", "", "before the gap")
	// Another node's message, three seqs on: two were never read here.
	rec := newEntry(protocol.Event{Type: protocol.TypeMessage, From: "Carol", Text: "after the gap"}, 9, 0).Record()
	copyLog.Add(EntryFromRecord(before+3, rec))
	got, ended := texts(t, st)
	if fmt.Sprint(got) != "[before the gap]" || !ended || st.Reason() != Overflow {
		t.Fatalf("the open stream handed out %v (ended %v, %v), want what came before the gap, then the end", got, ended, st.Reason())
	}
	resumed := open(t, c, bob, Position{Since: before, Resume: true})
	var types []string
	for {
		batch, _ := resumed.Take(nil, 10)
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			types = append(types, e.Type())
		}
	}
	if fmt.Sprint(types) != "[hello reset]" {
		t.Fatalf("the resume from before the gap handed out %v, want [hello reset]", types)
	}
	// Streams opened after the gap are not ended by it.
	later := open(t, c, bob, Position{})
	send(t, c, alice, "m2", "", "later")
	if got, _ := texts(t, later); fmt.Sprint(got) != "[later]" {
		t.Fatalf("a stream opened after the gap handed out %v", got)
	}
}

// failingLog is a log whose appends fail from when fail is set.
type failingLog struct {
	*MemoryLog
	fail atomic.Bool
}

func (l *failingLog) Append(ctx context.Context, e *Entry) error {
	if l.fail.Load() {
		return errors.New("the store is down")
	}
	return l.MemoryLog.Append(ctx, e)
}

// What the chat cannot do and nobody asked about (a join or a leave that
// could not be logged) is logged, not dropped in silence; the name is
// taken and freed all the same.
func TestChatLogsWhatItCannotDo(t *testing.T) {
	var logs testkit.Buffer
	l := &failingLog{MemoryLog: NewMemoryLog(100, 100)}
	c := newTestChatOn(t, withLog(l), Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	l.fail.Store(true)
	s, _, _, err := c.Register(context.Background(), "Alice", "")
	if err != nil {
		t.Fatalf("a registration whose join cannot be logged: %v", err)
	}
	if err := c.Leave(context.Background(), s); err != nil {
		t.Fatalf("a leave that cannot be logged: %v", err)
	}
	for _, want := range []string{`msg="chat: logging a join" name=Alice err="the store is down"`, `msg="chat: logging a leave" name=Alice`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, logs.String())
		}
	}
	if _, _, _, err := c.Register(context.Background(), "alice", ""); err != nil {
		t.Errorf("the name was not freed: %v", err)
	}
}
