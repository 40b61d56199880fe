package api

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
	"hark/server/chat"
)

// writerSink records which goroutine made each write.
type writerSink struct {
	mu      sync.Mutex
	writers []string // goroutine of each write, in order
	seen    int      // entries written
	wrote   chan struct{}
}

func (s *writerSink) write(batch []*chat.Entry) error {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := bytes.Cut(bytes.TrimPrefix(buf, []byte("goroutine ")), []byte(" "))
	s.mu.Lock()
	s.writers = append(s.writers, string(id))
	s.seen += len(batch)
	s.mu.Unlock()
	select {
	case s.wrote <- struct{}{}:
	default:
	}
	return nil
}

func (s *writerSink) flush() error           { return nil }
func (s *writerSink) idle(bool) error        { return nil }
func (s *writerSink) ended(chat.CloseReason) {}

func (s *writerSink) entries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// A busy stream keeps the writer that wrote its last burst for the next
// one, rather than starting a goroutine per burst (each of which would
// grow a stack for the write path again). With a write delay of an hour
// the coalescer never ticks during the test: each burst is written
// because it fills the queue to a sixteenth, which must wake the
// lingering writer; and stop must let that writer go at once.
func TestBusyStreamKeepsItsWriter(t *testing.T) {
	c := chat.New(chat.Config{QueueLen: 64, PresenceThreshold: 1000}) // a sixteenth: 4 events
	t.Cleanup(c.Close)
	ctx := context.Background()
	alice, _, _, err := c.Register(ctx, "Alice", "")
	if err != nil {
		t.Fatal(err)
	}
	bob, _, _, err := c.Register(ctx, "Bob", "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Open(bob, chat.Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := &writerSink{wrote: make(chan struct{}, 1)}
	d := drive(st, out, time.Hour, newCoalescer(time.Hour), func() {})

	waitFor := func(what string, n int) {
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
	waitFor("the hello", 1)
	want := out.entries()
	const bursts = 5
	for b := range bursts {
		for i := range 4 {
			id := "m-" + strconv.Itoa(b) + "-" + strconv.Itoa(i)
			if _, err := c.Send(ctx, alice, protocol.Send{ID: id, Text: "hi"}); err != nil {
				t.Fatal(err)
			}
		}
		want += 4
		waitFor("burst "+strconv.Itoa(b), want)
	}

	out.mu.Lock()
	writers := append([]string(nil), out.writers...)
	out.mu.Unlock()
	if len(writers) < bursts+1 {
		t.Fatalf("%d writes for the hello and %d bursts, want at least %d", len(writers), bursts, bursts+1)
	}
	for i, w := range writers {
		if w != writers[0] {
			t.Fatalf("write %d came from goroutine %s, write 0 from %s: want one writer for a busy stream (all: %v)", i, w, writers[0], writers)
		}
	}

	d.stop()
	deadline := time.Now().Add(10 * time.Second)
	for lingering() {
		if time.Now().After(deadline) {
			t.Fatal("a writer still lingers 10 s after stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lingering reports whether some goroutine waits in driver.linger.
func lingering() bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "(*driver).linger")
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
