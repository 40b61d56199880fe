package api_test

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"hark/app/protocol"
)

// sendBurst sends n broadcasts from token with ids prefix-0 … and returns
// their seqs.
func sendBurst(t *testing.T, ts *testServer, token, prefix string, n int) []uint64 {
	t.Helper()
	out := make([]uint64, n)
	for i := range n {
		out[i] = ts.send(t, token, fmt.Sprintf("%s-%d", prefix, i), "", "burst")
	}
	return out
}

// Resume by since on each transport across a burst sent while the client
// was away, with more sent while it reconnects: every visible event once,
// in order, no gap at the seam between replay and live.
func TestResumeSince(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			ts := newServer(t, nil)
			alice := ts.register(t, "Alice")
			bob := ts.register(t, "Bob")
			carol := ts.register(t, "Carol")

			c := ts.open(t, tr, bob.Token, at(bob.Seq), bob.Epoch)
			before := sendBurst(t, ts, alice.Token, "a", 10)
			evs := c.until(t, before[9])
			last := evs[len(evs)-1].Seq
			c.Close()

			// Away: a burst, with a direct message to Carol that Bob must not
			// see and one to Bob that he must.
			want := sendBurst(t, ts, alice.Token, "b", 20)
			ts.send(t, alice.Token, "not-bob", "Carol", "private")
			want = append(want, ts.send(t, carol.Token, "to-bob", "bob", "for Bob"))
			want = append(want, sendBurst(t, ts, alice.Token, "c", 20)...)

			// Reconnect while more are being sent.
			var live []uint64
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					r := ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "d-" + strconv.Itoa(i), Text: "live"}})
					var res protocol.SendResult
					if r.status != 200 {
						t.Errorf("live send: %d %s", r.status, r.body)
						return
					}
					r.decode(t, &res)
					live = append(live, res.Seq)
				}
			}()
			again := ts.open(t, tr, bob.Token, at(last), bob.Epoch)
			wg.Wait()
			want = append(want, live...)
			got := again.until(t, want[len(want)-1])
			if got[0].Type != protocol.TypeHello && tr != "poll" {
				t.Errorf("first event %+v, want hello", got[0])
			}
			if s := seqs(got); !slices.Equal(s, want) {
				t.Fatalf("resumed with seqs\n%v\nwant\n%v", s, want)
			}
		})
	}
}

// An SSE stream resumes from Last-Event-ID, which wins over the since in
// its URL (EventSource keeps its first URL on reconnects).
func TestResumeLastEventID(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	c := ts.openSSE(t, streamQuery(bob.Token, at(bob.Seq), bob.Epoch), nil)
	first := sendBurst(t, ts, alice.Token, "a", 5)
	c.until(t, first[4])
	c.Close()

	want := sendBurst(t, ts, alice.Token, "b", 30)
	again := ts.openSSE(t, streamQuery(bob.Token, at(bob.Seq), bob.Epoch), map[string]string{"Last-Event-ID": strconv.FormatUint(first[4], 10)})
	got := again.until(t, want[len(want)-1])
	if s := seqs(got); !slices.Equal(s, want) {
		t.Fatalf("resumed with seqs %v, want %v", s, want)
	}
	again.Close()

	// Without since in the URL at all.
	more := sendBurst(t, ts, alice.Token, "c", 3)
	third := ts.openSSE(t, streamQuery(bob.Token, nil, ""), map[string]string{"Last-Event-ID": strconv.FormatUint(want[len(want)-1], 10)})
	if s := seqs(third.until(t, more[2])); !slices.Equal(s, more) {
		t.Fatalf("resumed with seqs %v, want %v", s, more)
	}
}

// A client switching transport mid-burst with its last seq loses and
// repeats nothing: part on WebSocket, then SSE, then long polling.
func TestTransportSwitchMidBurst(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	const n = 300
	var wg sync.WaitGroup
	wg.Add(1)
	var lastSent uint64
	go func() {
		defer wg.Done()
		for i := range n {
			r := ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "m-" + strconv.Itoa(i), Text: "switch"}})
			if r.status != 200 {
				t.Errorf("send %d: %d %s", i, r.status, r.body)
				return
			}
			var res protocol.SendResult
			r.decode(t, &res)
			lastSent = res.Seq
		}
	}()

	var got []protocol.Event
	// take reads from c until it has count more messages or, with count 0,
	// until seq upTo; it returns the last seq read.
	take := func(c *client, count int, upTo uint64) uint64 {
		var last uint64
		for {
			if count > 0 && len(messages(got)) >= count || upTo > 0 && last == upTo {
				return last
			}
			e, ok := c.next(wait)
			if !ok {
				t.Fatalf("%s: stream stopped after %d messages", c.transport, len(messages(got)))
			}
			if e.Sequenced() {
				got = append(got, e)
				last = e.Seq
			}
		}
	}
	ws := ts.openWS(t, streamQuery(bob.Token, at(bob.Seq), bob.Epoch))
	l1 := take(ws, 60, 0)
	ws.Close()
	sse := ts.openSSE(t, streamQuery(bob.Token, at(l1), bob.Epoch), nil)
	l2 := take(sse, 160, 0)
	sse.Close()
	poll := ts.openPoll(t, bob.Token, at(l2), bob.Epoch)
	wg.Wait()
	take(poll, 0, lastSent)

	msgs := messages(got)
	if len(msgs) != n {
		t.Fatalf("got %d messages, want %d", len(msgs), n)
	}
	for i, e := range msgs {
		if e.ID != "m-"+strconv.Itoa(i) || i > 0 && e.Seq <= msgs[i-1].Seq {
			t.Fatalf("message %d is %s at seq %d (previous seq %d)", i, e.ID, e.Seq, msgs[max(i-1, 0)].Seq)
		}
	}
}

// A position older than the history kept gets a reset, then live events:
// nothing of the old history is replayed as if it followed.
func TestResetOldPosition(t *testing.T) {
	t.Parallel()
	ts := newServer(t, func(c *config) { c.Store.Keep = 10 })
	alice := ts.register(t, "Alice")
	bob := ts.register(t, "Bob")
	sendBurst(t, ts, alice.Token, "old", 30)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			c := ts.open(t, tr, bob.Token, at(bob.Seq), bob.Epoch)
			hello := c.hello(t)
			if hello.Epoch != bob.Epoch {
				t.Errorf("hello epoch %q, want %q", hello.Epoch, bob.Epoch)
			}
			if e, _ := c.next(wait); e.Type != protocol.TypeReset {
				t.Fatalf("after hello: %+v, want reset", e)
			}
			seq := ts.send(t, alice.Token, "new-"+tr, "", "after the reset")
			got := c.until(t, seq)
			if len(got) != 1 || got[0].ID != "new-"+tr {
				t.Fatalf("after the reset: %+v, want only the new message", got)
			}
		})
	}
	// A position ahead of the log is no position of this log either.
	c := ts.openSSE(t, streamQuery(bob.Token, at(ts.api.Chat().Head()+100), bob.Epoch), nil)
	c.hello(t)
	if e, _ := c.next(wait); e.Type != protocol.TypeReset {
		t.Fatalf("after hello: %+v, want reset", e)
	}
	// A position still kept replays.
	head := ts.api.Chat().Head()
	c = ts.openWS(t, streamQuery(bob.Token, at(head-3), bob.Epoch))
	if s := seqs(c.until(t, head)); !slices.Equal(s, []uint64{head - 2, head - 1, head}) {
		t.Errorf("replay of the last 3: %v", s)
	}
}

// A position from another epoch (a restarted server whose new log already
// runs past it) gets a reset, never the new log's events as if they
// followed.
func TestResetStaleEpoch(t *testing.T) {
	t.Parallel()
	old := newServer(t, nil)
	a := old.register(t, "Alice")
	b := old.register(t, "Bob")
	pos := sendBurst(t, old, a.Token, "before", 3)[2]

	restarted := newServer(t, nil)
	a2 := restarted.register(t, "Alice")
	b2 := restarted.register(t, "Bob")
	sendBurst(t, restarted, a2.Token, "after", 10)
	if b2.Epoch == b.Epoch || restarted.api.Chat().Head() <= pos {
		t.Fatalf("the restarted server's epoch %q (old %q) and head %d (old position %d) do not make the case", b2.Epoch, b.Epoch, restarted.api.Chat().Head(), pos)
	}
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			c := restarted.open(t, tr, b2.Token, at(pos), b.Epoch)
			hello := c.hello(t)
			if hello.Epoch != b2.Epoch || hello.Seq != restarted.api.Chat().Head() {
				t.Errorf("hello %+v, want the new epoch %q and head", hello, b2.Epoch)
			}
			if e, _ := c.next(wait); e.Type != protocol.TypeReset {
				t.Fatalf("after hello: %+v, want reset", e)
			}
			seq := restarted.send(t, a2.Token, "live-"+tr, "", "after the reset")
			if got := c.until(t, seq); len(got) != 1 || got[0].ID != "live-"+tr {
				t.Fatalf("after the reset: %+v, want only the new message", got)
			}
		})
	}
	// Last-Event-ID carries no epoch; the epoch in the EventSource URL does.
	c := restarted.openSSE(t, streamQuery(b2.Token, nil, b.Epoch), map[string]string{"Last-Event-ID": strconv.FormatUint(pos, 10)})
	c.hello(t)
	if e, _ := c.next(wait); e.Type != protocol.TypeReset {
		t.Fatalf("after hello: %+v, want reset", e)
	}
}
