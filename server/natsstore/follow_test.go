package natsstore

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// A follower whose consumer delivers nothing more (lost with its server,
// and not yet made again) reads on directly from the stream: every
// message stored meanwhile is handled once, in order; and what the
// consumer brings later that was handled already is not handled again.
func TestFollowerReadsOnWithoutItsConsumer(t *testing.T) {
	ctx, js := embeddedJS(t)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, AllowDirect: true}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []uint64
	f, err := follow(ctx, js, "T", "t.>", jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}, func(m message) {
		mu.Lock()
		got = append(got, m.seq)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.stop()
	if err := f.waitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	f.cc.Stop() // the consumer is lost: it delivers nothing more
	var want []uint64
	for i := range 5 {
		ack, err := js.Publish(ctx, fmt.Sprint("t.", i%2), []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, ack.Sequence)
	}
	if err := f.pos.waitFor(ctx, want[len(want)-1]); err != nil {
		t.Fatalf("the follower did not read on without its consumer: %v (handled %v)", err, got)
	}
	// A consumer made again starts after the last message it delivered:
	// it brings all of these again, and none is handled twice.
	for _, seq := range want {
		f.handle(message{seq: seq})
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("handled %v, want %v, each once", got, want)
	}
}
