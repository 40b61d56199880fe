package chat

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
)

// An observer sees every entry of the log from when it starts, in seq
// order, each once (messages, direct ones included, joins and leaves;
// never control events), and nothing after it stops.
func TestObserverSeesTheLogInOrder(t *testing.T) {
	c := newTestChat(t, Config{Rate: 1e6, Burst: 1e6})
	alice := register(t, c, "Alice")
	settle(t, c) // Alice's join is delivered before the observer comes
	var mu sync.Mutex
	var seen []uint64
	var types []string
	stop := c.Observe(func(e *Entry) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, e.Seq())
		types = append(types, e.Type())
	})
	bob := register(t, c, "Bob")
	var want []uint64
	want = append(want, c.Head())
	for i := range 50 {
		to := ""
		if i%5 == 0 {
			to = "Bob"
		}
		want = append(want, send(t, c, alice, fmt.Sprint("m", i), to, "hi"))
	}
	if err := c.Typing(alice, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Leave(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	want = append(want, c.Head())
	testkit.Eventually(t, "the observer to see every entry", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) >= len(want)
	})
	stop()
	send(t, c, alice, "after", "", "after the stop")
	settle(t, c)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, want) {
		t.Fatalf("the observer saw %v, want %v", seen, want)
	}
	if types[0] != protocol.TypeJoin || types[len(types)-1] != protocol.TypeLeave {
		t.Errorf("the observer saw types %v", types)
	}
}

// A stuck observer slows neither sends nor deliveries: its entries wait
// for it, and it sees them once it goes on.
func TestStuckObserverSlowsNothing(t *testing.T) {
	c := newTestChat(t, Config{Rate: 1e6, Burst: 1e6})
	alice := register(t, c, "Alice")
	bob := register(t, c, "Bob")
	settle(t, c)
	st := open(t, c, bob, Position{})
	release := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	n := 0
	stop := c.Observe(func(*Entry) {
		<-release
		mu.Lock()
		n++
		mu.Unlock()
	})
	defer func() {
		once.Do(func() { close(release) }) // even when the test fails
		stop()
	}()
	for i := range 100 {
		send(t, c, alice, fmt.Sprint("m", i), "", "hi")
	}
	got, _ := texts(t, st)
	if len(got) != 100 {
		t.Fatalf("with the observer stuck, the stream got %d of 100", len(got))
	}
	once.Do(func() { close(release) })
	testkit.Eventually(t, "the observer to catch up", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return n == 100
	})
}

// An observer that comes after the chat closed sees nothing, and its
// stop returns.
func TestObserverAfterCloseIsHalted(t *testing.T) {
	c := New(MemoryStore(Limits{}, nil), Config{PresenceInterval: time.Hour})
	c.Close()
	stop := c.Observe(func(*Entry) { t.Error("an observer of a closed chat saw an entry") })
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(testkit.Wait):
		t.Fatal("stop of an observer added after Close did not return")
	}
}
