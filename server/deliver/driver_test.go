package deliver

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/chat"
)

// writerSink counts the entries written to it, signals each write, and
// records which goroutine made each write if asked to.
type writerSink struct {
	who     bool // record the writers
	mu      sync.Mutex
	writers []string // goroutine of each write, in order
	seen    int      // entries written
	wrote   chan struct{}
}

func newWriterSink(who bool) *writerSink {
	return &writerSink{who: who, wrote: make(chan struct{}, 1)}
}

func (s *writerSink) Write(batch []*chat.Entry) error {
	var id []byte
	if s.who {
		buf := make([]byte, 64)
		buf = buf[:runtime.Stack(buf, false)]
		id, _, _ = bytes.Cut(bytes.TrimPrefix(buf, []byte("goroutine ")), []byte(" "))
	}
	s.mu.Lock()
	if s.who {
		s.writers = append(s.writers, string(id))
	}
	s.seen += len(batch)
	s.mu.Unlock()
	select {
	case s.wrote <- struct{}{}:
	default:
	}
	return nil
}

func (s *writerSink) Flush() error           { return nil }
func (s *writerSink) Idle(bool) error        { return nil }
func (s *writerSink) Ended(chat.CloseReason) {}

func (s *writerSink) entries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// bobsStream is Bob's open stream in a fresh chat made with cfg, and
// Alice, to send to it.
func bobsStream(tb testing.TB, cfg chat.Config) (*chat.Chat, *chat.Session, *chat.Stream) {
	tb.Helper()
	c := chat.New(chat.MemoryStore(chat.Limits{}, nil), cfg)
	tb.Cleanup(c.Close)
	ctx := context.Background()
	alice, _, _, err := c.Register(ctx, "Alice", "")
	if err != nil {
		tb.Fatal(err)
	}
	bob, _, _, err := c.Register(ctx, "Bob", "")
	if err != nil {
		tb.Fatal(err)
	}
	st, err := c.Open(bob, chat.Position{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(st.Close)
	return c, alice, st
}

// drivenStream is Bob's stream in a fresh chat, driven into a writerSink
// with a keep-alive interval and a write delay of an hour (neither comes
// during a test), and Alice to send to it. The queue holds 64 events, so a
// sixteenth of it is 4.
func drivenStream(t *testing.T) (*chat.Chat, *chat.Session, *writerSink, *Driver) {
	t.Helper()
	c, alice, st := bobsStream(t, chat.Config{QueueLen: 64, PresenceThreshold: 1000, Burst: 100})
	out := newWriterSink(true)
	d := Drive(st, out, time.Hour, NewCoalescer(time.Hour), func() {})
	t.Cleanup(d.Stop)
	return c, alice, out, d
}

// waitWritten waits until out has written n entries.
func waitWritten(t testing.TB, out *writerSink, what string, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for out.entries() < n {
		select {
		case <-out.wrote:
		case <-deadline:
			t.Fatalf("%s: %d entries written, want %d", what, out.entries(), n)
		}
	}
}

// tickNow does what the coalescer's next tick would, without waiting for
// it.
func (c *Coalescer) tickNow() {
	c.mu.Lock()
	ready := c.held
	c.held = nil
	c.mu.Unlock()
	releaseAll(ready)
}

// A busy stream keeps the writer that wrote its last burst for the next
// one, rather than starting a goroutine per burst (each of which would
// grow a stack for the write path again). The coalescer's own tick never
// comes during the test; the test ticks it by hand for the first message
// only, which comes within the delay of the hello's write and is held. Each burst then starts with one message,
// held as the writer lingers, and the three after it fill the queue to a
// sixteenth, which must wake the lingering writer. The bursts are never
// ticked by hand: a tick racing the wake-up could find the writer with
// nothing left to write, which lets it go (as it should), and the next
// burst would rightly start another. Stop must let the writer go at once.
func TestBusyStreamKeepsItsWriter(t *testing.T) {
	c, alice, out, d := drivenStream(t)
	waitWritten(t, out, "the hello", 1)
	send := func(id string) {
		t.Helper()
		if _, err := c.Send(context.Background(), alice, protocol.Send{ID: id, Text: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	want := out.entries()
	// Bob's own join reaches his stream after the hello that already
	// counts him, and is dropped when taken. A first message, written
	// after it, leaves nothing of the kind queued for the bursts. It is
	// held (the hello was written a moment ago) until ticked; ticked
	// until written, since a tick may come before the message reaches
	// the stream (a writer then finds only the join, and the message is
	// held again). Which writer the tick leaves lingering is not looked
	// at: the bursts' writes are.
	send("first")
	want++
	testkit.Eventually(t, "the first message to be written", func() bool {
		if out.entries() >= want {
			return true
		}
		d.co.tickNow()
		return false
	})
	out.mu.Lock()
	before := len(out.writers)
	out.mu.Unlock()

	const bursts = 5
	for b := range bursts {
		send("m-" + strconv.Itoa(b) + "-0")
		testkit.Eventually(t, "burst "+strconv.Itoa(b)+"'s first message to be held", d.held.Load)
		for i := 1; i < 4; i++ {
			send("m-" + strconv.Itoa(b) + "-" + strconv.Itoa(i))
		}
		want += 4
		waitWritten(t, out, "burst "+strconv.Itoa(b), want)
	}

	out.mu.Lock()
	writers := append([]string(nil), out.writers[before:]...)
	out.mu.Unlock()
	if len(writers) < bursts {
		t.Fatalf("%d writes for %d bursts, want at least %d", len(writers), bursts, bursts)
	}
	for i, w := range writers {
		if w != writers[0] {
			t.Fatalf("burst write %d came from goroutine %s, write 0 from %s: want one writer for a busy stream (all: %v)", i, w, writers[0], writers)
		}
	}

	d.Stop()
	testkit.Eventually(t, "the lingering writer to go after Stop", func() bool { return !strings.Contains(testkit.Goroutines(), "(*Driver).linger") })
}

// A quiet stream's writer exits once it has written, rather than waiting
// for a tick that would find nothing: the hello is written at once (the
// stream has not written before), and its writer must not be left
// waiting for the coalescer, whose next tick is an hour away.
func TestQuietStreamsWriterDoesNotLinger(t *testing.T) {
	_, _, out, _ := drivenStream(t)
	waitWritten(t, out, "the hello", 1)
	testkit.Eventually(t, "a quiet stream's writer to exit after its write", func() bool {
		return !strings.Contains(testkit.Goroutines(), "(*Driver).write")
	})
}

// First keep-alives are spread over the second half of the interval, so
// connections opened together do not ping together.
func TestFirstKeepAlivesAreSpread(t *testing.T) {
	const interval = 15 * time.Second
	lo, hi := interval, time.Duration(0)
	for range 1000 {
		d := firstKeepAlive(interval)
		if d < interval/2 || d > interval {
			t.Fatalf("first keep-alive after %v, want within [%v, %v]", d, interval/2, interval)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > interval*6/10 || hi < interval*9/10 {
		t.Errorf("1,000 first keep-alives all within [%v, %v]: not spread over the interval's second half", lo, hi)
	}
}
