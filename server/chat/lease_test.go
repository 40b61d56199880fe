package chat

import (
	"context"
	"sync"
	"testing"
	"time"
)

// laggingStore is a SessionStore whose copy never becomes current, and
// which always lists a session of some other node as idle, so every pass
// of the lease loop asks it to be current.
type laggingStore struct {
	*MemorySessions
	mu      sync.Mutex
	touches []time.Time
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
	<-ctx.Done()
	return ctx.Err()
}

// A copy of the sessions that lags holds back releases, not touches: the
// wait for it is bounded by a pass of the loop, and ends with the chat.
func TestLaggingCopyDelaysNoTouch(t *testing.T) {
	st := &laggingStore{MemorySessions: NewMemorySessions()}
	mem := MemoryStore(Limits{}, nil)
	mem.Sessions = st
	c := New(mem, Config{Grace: 300 * time.Millisecond, PresenceInterval: time.Hour, AddrRegisterRate: -1, AddrSessions: -1, AddrSendRate: -1})
	s := register(t, c, "alice")
	stream, err := c.Open(s, Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	time.Sleep(1500 * time.Millisecond)
	st.mu.Lock()
	touches := append([]time.Time(nil), st.touches...)
	st.mu.Unlock()
	if len(touches) < 3 {
		t.Fatalf("%d touches in 1.5 s of passes every 100 ms", len(touches))
	}
	for i := 1; i < len(touches); i++ {
		// Passes every 100 ms; the bound leaves room for a loaded machine
		// (a wait of 5 s a pass, as before, shows as 10 s).
		if gap := touches[i].Sub(touches[i-1]); gap > time.Second {
			t.Errorf("touches %v apart while the copy lagged; passes come every 100 ms", gap)
		}
	}
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v while the loop waited for the store", d)
	}
}
