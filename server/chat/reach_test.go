package chat

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"hark/app/protocol"
)

// slowCopy is a node's copy of a shared log that gets each entry 50 ms
// after the store acknowledged it.
type slowCopy struct {
	*MemoryLog
	next  atomic.Uint64
	stuck atomic.Bool // the copy gets nothing more (its feed lost)
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
// longer than its caller wants.
func TestSendDoesNotWaitLongForAStuckCopy(t *testing.T) {
	log := &slowCopy{MemoryLog: NewMemoryLogAt("e", 100, 100)}
	c := newTestChatOn(t, withLog(log), Config{Rate: 1e6, Burst: 1e6})
	alice := register(t, c, "alice")
	log.stuck.Store(true)
	for _, give := range []time.Duration{100 * time.Millisecond, time.Minute} {
		ctx, cancel := context.WithTimeout(context.Background(), give)
		start := time.Now()
		seq, err := c.Send(ctx, alice, protocol.Send{ID: give.String(), Text: "into the void"})
		took := time.Since(start)
		cancel()
		if err != nil || seq == 0 {
			t.Fatalf("Send: %d, %v", seq, err)
		}
		if want := min(give, sendReadBack) + 500*time.Millisecond; took > want {
			t.Errorf("Send with %v to give took %v, want under %v", give, took, want)
		}
	}
}
