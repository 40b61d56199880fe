package chat

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
)

// slowCopy is a node's copy of a shared log that gets each entry 50 ms
// after the store acknowledged it.
type slowCopy struct {
	*MemoryLog
	next  atomic.Uint64
	stuck atomic.Bool // the copy gets nothing more (its feed lost)
	// budget is how long the last WaitFor's ctx gave it on entry, in
	// nanoseconds; -1 if its ctx had no deadline.
	budget atomic.Int64
}

func (l *slowCopy) Append(_ context.Context, e *Entry) error {
	e.seal(l.next.Add(1))
	if l.stuck.Load() {
		return nil
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		l.Add(e)
	}()
	return nil
}

func (l *slowCopy) Current(ctx context.Context, seq uint64) error {
	if d, ok := ctx.Deadline(); ok {
		l.budget.Store(int64(time.Until(d)))
	} else {
		l.budget.Store(-1)
	}
	for l.Head() < seq {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// A send is acknowledged once this node can read it back: a history asked
// for right after has it, though the node's copy of the log lags.
func TestSendReadsBackOnItsNode(t *testing.T) {
	log := &slowCopy{MemoryLog: NewMemoryLogAt("e", 100, 100)}
	c := newTestChatOn(t, withLog(log), Config{Rate: 1e6, Burst: 1e6})
	alice := register(t, c, "alice")
	for i, text := range []string{"one", "two", "three"} {
		seq := send(t, c, alice, text, "", text)
		h := c.History(alice, 10)
		if len(h) == 0 || h[len(h)-1].seq != seq || len(h) != i+1 {
			t.Fatalf("history right after sending %q (seq %d): %d messages", text, seq, len(h))
		}
	}
}

// A copy that does not catch up holds a send's answer briefly, and no
// longer than its caller wants: the wait for the copy is given a deadline
// no later than the caller's, nor than sendReadBack, and the send returns.
// What the wait is given is asserted, not how long it took, which -race
// on a busy machine stretches.
func TestSendDoesNotWaitLongForAStuckCopy(t *testing.T) {
	log := &slowCopy{MemoryLog: NewMemoryLogAt("e", 100, 100)}
	c := newTestChatOn(t, withLog(log), Config{Rate: 1e6, Burst: 1e6})
	alice := register(t, c, "alice")
	log.stuck.Store(true)
	for _, give := range []time.Duration{100 * time.Millisecond, time.Minute} {
		log.budget.Store(0)
		ctx, cancel := context.WithTimeout(context.Background(), give)
		type result struct {
			seq uint64
			err error
		}
		done := make(chan result, 1)
		go func() {
			seq, err := c.Send(ctx, alice, protocol.Send{ID: give.String(), Text: "into the void"})
			done <- result{seq, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(testkit.Wait):
			t.Fatalf("Send with %v to give did not return within %v", give, testkit.Wait)
		}
		cancel()
		if r.err != nil || r.seq == 0 {
			t.Fatalf("Send: %d, %v", r.seq, r.err)
		}
		switch budget := time.Duration(log.budget.Load()); {
		case budget == 0:
			t.Errorf("Send with %v to give did not wait for the copy", give)
		case budget < 0:
			t.Errorf("Send with %v to give waited for the copy with no deadline", give)
		case budget > min(give, sendReadBack):
			t.Errorf("Send with %v to give let the copy take %v, want at most %v", give, budget, min(give, sendReadBack))
		}
	}
}
