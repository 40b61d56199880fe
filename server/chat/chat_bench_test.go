package chat

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
)

// benchChat returns a chat with n sessions, each with one open stream, and
// the streams. Presence goes by counts (as it does above the threshold in
// production), so opening the streams appends nothing to the log.
func benchChat(b *testing.B, n int) (*Chat, []*Stream) {
	b.Helper()
	// Sends are not rate-limited: a benchmark's one sender carries the load.
	c := New(MemoryStore(Limits{Keep: 10000}, nil), Config{QueueLen: 256, PresenceThreshold: 1, PresenceInterval: time.Hour, Rate: 1e9, Burst: 1e9})
	b.Cleanup(c.Close)
	ctx := context.Background()
	streams := make([]*Stream, n)
	for i := range streams {
		s, _, _, err := c.Register(ctx, fmt.Sprintf("user%05d", i), "")
		if err != nil {
			b.Fatal(err)
		}
		st, err := c.Open(s, Position{})
		if err != nil {
			b.Fatal(err)
		}
		if got, _ := st.Take(nil, 1); len(got) != 1 { // the hello
			b.Fatal("no hello")
		}
		streams[i] = st
	}
	return c, streams
}

// benchMessage is a broadcast of typical size, encoded as the log would.
func benchMessage(seq uint64) *Entry {
	e := benchUnsealed()
	e.seal(seq)
	return e
}

// benchUnsealed is benchMessage before the log gives it a seq.
func benchUnsealed() *Entry {
	return newEntry(protocol.Event{
		Type: protocol.TypeMessage, ID: "c-7f3a9e21", From: "Alice",
		Text: "the quick brown fox jumps over the lazy dog, then naps in the sun",
		Time: protocol.NewTime(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)),
	}, 1, 0)
}

// BenchmarkFanOut delivers one event to every subscriber through Hub.Deliver
// and then drains each queue on the benchmark's goroutine: the hub's own
// cost per event, without the scheduler. Compare ns/delivery across sizes.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			c, streams := benchChat(b, n)
			head := c.Head()
			buf := make([]*Entry, 0, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e := benchMessage(head + uint64(i+1))
				c.hub.Deliver([]*Entry{e})
				for _, st := range streams {
					if got, _ := st.Take(buf[:0], 1); len(got) != 1 {
						b.Fatal("event not queued")
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
		})
	}
}

// BenchmarkBroadcastQueue is the time one broadcast takes to be queued on
// every stream (Hub.Deliver alone; the queues are drained off the clock):
// how long the last stream waits behind the others, which several
// goroutines shorten from parallelAt streams on.
func BenchmarkBroadcastQueue(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			c, streams := benchChat(b, n)
			head := c.Head()
			buf := make([]*Entry, 0, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.hub.Deliver([]*Entry{benchMessage(head + uint64(i+1))})
				b.StopTimer()
				for _, st := range streams {
					st.Take(buf[:0], 1)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
		})
	}
}

// BenchmarkFanOutParked is FanOut with each subscriber a goroutine parked
// in Stream.Next, as transports are between events: it adds the wake-up of
// every receiver, which is what a live delivery costs.
func BenchmarkFanOutParked(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			c, streams := benchChat(b, n)
			head := c.Head()
			ctx, cancel := context.WithCancel(context.Background())
			var got sync.WaitGroup
			readers := park(ctx, streams, got.Done)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				got.Add(n)
				c.hub.Deliver([]*Entry{benchMessage(head + uint64(i+1))})
				got.Wait()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
			cancel()
			readers.Wait()
		})
	}
}

// BenchmarkEncodeEvent is the once-per-event JSON encoding shared by every
// delivery of the event.
func BenchmarkEncodeEvent(b *testing.B) {
	e := benchMessage(42)
	ev := e.Event()
	b.ReportAllocs()
	b.SetBytes(int64(len(e.JSON)))
	for i := 0; i < b.N; i++ {
		encodeEvent(&ev)
	}
}

// BenchmarkVisibleTo is the filter asked once per entry and stream on
// resume, and implicitly by the hub's choice of streams live.
func BenchmarkVisibleTo(b *testing.B) {
	const alice, bob, carol RegID = 1, 2, 3
	cases := []struct {
		name string
		e    *Entry
		key  RegID
	}{
		{"kind=broadcast", &Entry{from: alice}, bob},
		{"kind=direct-party", &Entry{from: alice, to: bob}, bob},
		{"kind=direct-other", &Entry{from: alice, to: bob}, carol},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				if tc.e.VisibleTo(tc.key) {
					n++
				}
			}
			if n < 0 {
				b.Fatal(n)
			}
		})
	}
}

// benchLog returns a log holding n entries, one in ten a direct message
// between two others, as a busy room's history looks.
func benchLog(n int) *MemoryLog {
	l := NewMemoryLog(n, n)
	ctx := context.Background()
	for i := 0; i < n; i++ {
		e := benchUnsealed()
		if i%10 == 0 {
			e.to = 2
		}
		l.Append(ctx, e)
	}
	return l
}

// BenchmarkLogSince is the resume scan: every kept entry after a position,
// filtered for one reader, over a full log of 10,000 entries.
func BenchmarkLogSince(b *testing.B) {
	const n = 10000
	l := benchLog(n)
	for _, since := range []uint64{0, n - 100} {
		b.Run(fmt.Sprintf("entries=%d/after=%d", n, since), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				seen := 0
				err := l.Since(since, func(e *Entry) bool {
					if e.VisibleTo(3) {
						seen++
					}
					return true
				})
				if err != nil || seen == 0 {
					b.Fatal(err, seen)
				}
			}
		})
	}
}

// BenchmarkOpenResume is a whole resume as a reconnecting client causes it:
// Chat.Open with since, which subscribes, builds the hello and collects the
// replay of a full 10,000-entry log; the stream is closed again each time.
func BenchmarkOpenResume(b *testing.B) {
	const n = 10000
	c := New(MemoryStore(Limits{Keep: n}, nil), Config{PresenceThreshold: 1, PresenceInterval: time.Hour})
	b.Cleanup(c.Close)
	ctx := context.Background()
	s, _, _, err := c.Register(ctx, "Carol", "")
	if err != nil {
		b.Fatal(err)
	}
	sender, _, _, err := c.Register(ctx, "Alice", "")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		e := benchUnsealed()
		e.from = sender.reg
		c.append(ctx, e)
	}
	for _, back := range []uint64{100, n - 1} {
		b.Run(fmt.Sprintf("entries=%d/replay=%d", n, back), func(b *testing.B) {
			since := c.Head() - back
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				st, err := c.Open(s, Position{Since: since, Resume: true})
				if err != nil {
					b.Fatal(err)
				}
				if len(st.pending) != int(back)+1 {
					b.Fatalf("replay of %d entries, want %d", len(st.pending)-1, back)
				}
				st.Close()
			}
		})
	}
}

// BenchmarkHistoryDuringFanOut is a history read (what a page load asks)
// while broadcasts go out to 10,000 streams with their readers parked:
// history must not wait for delivery to streams.
func BenchmarkHistoryDuringFanOut(b *testing.B) {
	c, streams := benchChat(b, 10000)
	ctx, cancel := context.WithCancel(context.Background())
	wg := park(ctx, streams, func() {})
	reader, _, _, _ := c.Register(ctx, "reader", "")
	sender, _, _, _ := c.Register(ctx, "sender", "")
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			c.Send(ctx, sender, protocol.Send{ID: fmt.Sprint(i), Text: "the quick brown fox jumps over the lazy dog"})
			time.Sleep(time.Millisecond)
		}
	}()
	time.Sleep(100 * time.Millisecond)
	took := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		c.History(reader, 50)
		took[i] = time.Since(start)
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	// The mean hides the waits: a read that lands on a delivery waits for
	// all of it. The tail shows them.
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(took[len(took)*999/1000].Nanoseconds()), "p99.9-ns")
}

// park starts a reader parked in Stream.Next on each stream, as transports
// are between events, calling each for every entry it gets, until ctx ends;
// wait on the group it returns.
func park(ctx context.Context, streams []*Stream, each func()) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, st := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, err := st.Next(ctx); err != nil {
					return
				}
				each()
			}
		}()
	}
	return &wg
}
