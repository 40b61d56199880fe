package chat

import (
	"context"
	"sync"
	"testing"
	"time"

	"hark/internal/testkit"
)

// laggingStore is a SessionStore whose copy never becomes current, and
// which always lists a session of some other node as idle, so every pass
// of the lease loop asks it to be current.
type laggingStore struct {
	*MemorySessions
	mu      sync.Mutex
	touches []time.Time
	budgets []time.Duration // what each Current's ctx gave it on entry, -1 for no deadline
}

func (s *laggingStore) Touch(ctx context.Context, d Digest, seen time.Time) error {
	s.mu.Lock()
	s.touches = append(s.touches, time.Now())
	s.mu.Unlock()
	return s.MemorySessions.Touch(ctx, d, seen)
}

func (s *laggingStore) Idle(time.Time) []Digest { return []Digest{{1}} }
func (s *laggingStore) Has(RegID) bool          { return true }

func (s *laggingStore) Current(ctx context.Context) error {
	budget := time.Duration(-1)
	if d, ok := ctx.Deadline(); ok {
		budget = time.Until(d)
	}
	s.mu.Lock()
	s.budgets = append(s.budgets, budget)
	s.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

// A copy of the sessions that lags holds back releases, not touches: the
// wait for it is bounded by a pass of the loop, and ends with the chat.
// Each wait's bound is asserted rather than the gaps between touches, which
// a loaded machine under -race stretches: touches must keep coming, and
// Close must return.
func TestLaggingCopyDelaysNoTouch(t *testing.T) {
	const grace = 300 * time.Millisecond
	const pass = grace / 3 // the lease loop's period
	st := &laggingStore{MemorySessions: NewMemorySessions()}
	mem := MemoryStore(Limits{}, nil)
	mem.Sessions = st
	c := New(mem, Config{Grace: grace, PresenceInterval: time.Hour, AddrRegisterRate: -1, AddrSessions: -1, AddrSendRate: -1})
	s := register(t, c, "alice")
	stream, err := c.Open(s, Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	testkit.Eventually(t, "three touches while the copy lags", func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		return len(st.touches) >= 3
	})
	st.mu.Lock()
	budgets := append([]time.Duration(nil), st.budgets...)
	st.mu.Unlock()
	if len(budgets) == 0 {
		t.Fatal("the loop never waited for the lagging copy")
	}
	for _, b := range budgets {
		// A wait of 5 s a pass, as before, shows here whatever the load.
		if b < 0 || b > pass {
			t.Errorf("the loop gave the lagging copy %v (-1: no bound), more than a pass of %v", b, pass)
		}
	}
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(testkit.Wait):
		t.Fatalf("Close did not return within %v while the loop waited for the store", testkit.Wait)
	}
}
