package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"hark/app/protocol"
	"hark/server/chat"
)

// benchEntry is a broadcast of typical size, as a chat logs it.
func benchEntry(b *testing.B) *chat.Entry {
	c := chat.New(chat.MemoryStore(chat.Limits{}, nil), chat.Config{})
	b.Cleanup(c.Close)
	ctx := context.Background()
	s, _, _, err := c.Register(ctx, "Alice", "")
	if err != nil {
		b.Fatal(err)
	}
	send := protocol.Send{ID: "c-7f3a9e21", Text: "the quick brown fox jumps over the lazy dog, then naps in the sun"}
	if _, err := c.Send(ctx, s, send); err != nil {
		b.Fatal(err)
	}
	return c.History(s, 1)[0]
}

// BenchmarkWriteSSE is the per-delivery framing of one sequenced event
// into a stream's buffer: it must not allocate.
func BenchmarkWriteSSE(b *testing.B) {
	e := benchEntry(b)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(e.JSON)))
	for i := 0; i < b.N; i++ {
		buf = appendSSE(buf[:0], e)
	}
}

// BenchmarkWriteEvents is a long poll's answer: the shared JSON of a batch
// of entries joined into one body.
func BenchmarkWriteEvents(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			entries := make([]*chat.Entry, n)
			for i := range entries {
				entries[i] = benchEntry(b)
			}
			w := &discardResponse{h: make(http.Header)}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				writeEvents(w, entries)
			}
		})
	}
}

// discardResponse is an http.ResponseWriter that keeps nothing, so the
// benchmark measures the handler's work alone.
type discardResponse struct{ h http.Header }

func (d *discardResponse) Header() http.Header         { return d.h }
func (d *discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardResponse) WriteHeader(int)             {}
