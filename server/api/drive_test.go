package api_test

import (
	"strconv"
	"testing"
	"time"
)

// A stream that has just written holds its next write back for the write
// delay, so events arriving meanwhile leave together; once its queue is a
// sixteenth full it writes at once instead of risking an overflow. With a
// delay of an hour, an event that arrives is held (it does not come within
// a generous wait), and the one that fills the queue to a sixteenth brings
// them all, in order.
func TestBusyStreamWritesAreHeldBack(t *testing.T) {
	for _, tr := range []string{"ws", "sse"} {
		t.Run(tr, func(t *testing.T) {
			ts := newServer(t, func(c *config) {
				c.WriteDelay = time.Hour
				c.Chat.QueueLen = 64 // a sixteenth: 4 events
			})
			alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
			c := ts.open(t, tr, bob.Token, at(bob.Seq), bob.Epoch)
			c.hello(t) // written at once: the first write of a stream never waits
			for {      // and whatever came with it (Bob's join)
				if _, ok := c.next(100 * time.Millisecond); !ok {
					break
				}
			}

			ts.send(t, alice.Token, "m-1", "", "one")
			if e, ok := c.next(300 * time.Millisecond); ok {
				t.Fatalf("%s: %s %q came at once, a moment after the hello; want it held for the write delay", tr, e.Type, e.Text)
			}
			var last uint64
			for i := 2; i <= 4; i++ {
				last = ts.send(t, alice.Token, "m-"+strconv.Itoa(i), "", "more")
			}
			got := messages(c.until(t, last))
			if len(got) != 4 {
				t.Fatalf("%s: got %d messages once the queue filled, want 4", tr, len(got))
			}
			for i, e := range got {
				if e.ID != "m-"+strconv.Itoa(i+1) {
					t.Fatalf("%s: message %d is %s, want m-%d", tr, i, e.ID, i+1)
				}
			}
		})
	}
}
