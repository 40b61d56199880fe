package chat

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hark/app/protocol"
)

// Above the presence threshold the online count goes out at most once a
// second by default, however fast people come.
func TestPresenceCountsAtMostOnceASecond(t *testing.T) {
	c := New(MemoryStore(Limits{}, nil), Config{PresenceThreshold: 2, AddrRegisterRate: -1, AddrSessions: -1, AddrSendRate: -1})
	t.Cleanup(c.Close)
	watcher := register(t, c, "watcher")
	st := open(t, c, watcher, Position{})
	go func() {
		for i := range 25 { // one every 100 ms for 2.5 s
			if _, _, _, err := c.Register(context.Background(), fmt.Sprint("p", i), ""); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	var at []time.Time
	for {
		e, err := st.Next(ctx)
		if err != nil {
			break
		}
		if e.Type() == protocol.TypePresence {
			at = append(at, time.Now())
		}
	}
	if len(at) < 2 || len(at) > 5 {
		t.Fatalf("%d presence counts in 3.5 s of 25 arrivals, want 2 to 5", len(at))
	}
	for i := 1; i < len(at); i++ {
		// Read as they come, so a late read shortens the next gap: the
		// bound is half the interval (a count per arrival is 100 ms).
		if gap := at[i].Sub(at[i-1]); gap < 500*time.Millisecond {
			t.Errorf("presence counts %v apart, want about a second", gap)
		}
	}
}
