package deliver

import (
	"context"
	"strconv"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/chat"
)

// BenchmarkDeliver is one message sent and delivered to one stream, the
// next sent only once the last was written: the wake-up, take and write of
// a delivery, by each scheduler (with the chat's send and fan-out, which
// are the same for both).
func BenchmarkDeliver(b *testing.B) {
	schedulers := []struct {
		name  string
		start func(st *chat.Stream, out Sink) (stop func())
	}{
		{"pump", func(st *chat.Stream, out Sink) func() {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { Pump(ctx, st, out, time.Hour); close(done) }()
			return func() { cancel(); <-done }
		}},
		{"driver", func(st *chat.Stream, out Sink) func() {
			return Drive(st, out, time.Hour, nil, func() {}).Stop
		}},
	}
	for _, sc := range schedulers {
		b.Run(sc.name, func(b *testing.B) {
			c, alice, st := bobsStream(b, chat.Config{QueueLen: 256, PresenceThreshold: 1, PresenceInterval: time.Hour, Rate: 1e9, Burst: 1e9})
			out := newWriterSink(false)
			defer sc.start(st, out)()
			waitWritten(b, out, "the hello", 1)
			base := out.entries()
			ctx := context.Background()
			send := protocol.Send{Text: "the quick brown fox jumps over the lazy dog, then naps in the sun"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				send.ID = "c-" + strconv.Itoa(i)
				if _, err := c.Send(ctx, alice, send); err != nil {
					b.Fatal(err)
				}
				for out.entries() <= base+i {
					<-out.wrote
				}
			}
		})
	}
}
