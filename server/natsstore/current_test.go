package natsstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Current waits for the copy to apply the bucket's last write as the
// leader has it, and no longer.
func TestCurrentWaitsForTheLastWrite(t *testing.T) {
	srv, nc, err := Embedded(EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, leader, err := bucket(ctx, js, SessionsBucket, Config{Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for _, k := range []string{"aa", "bb", "aa"} {
		if last, err = kv.Put(ctx, k, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	// A copy that has applied nothing yet: no follower feeds it.
	s := &Sessions{kv: kv, leader: leader, pos: newPosition()}
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	err = s.Current(short)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Current on a copy that applied nothing: %v, want it to wait", err)
	}
	s.pos.advance(last - 1)
	short, cancelShort = context.WithTimeout(ctx, 200*time.Millisecond)
	err = s.Current(short)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Current one write short of the last: %v, want it to wait", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Current(ctx) }()
	s.pos.advance(last)
	if err := <-done; err != nil {
		t.Fatalf("Current once the last write is applied: %v", err)
	}

	// The last write gone from the stream (an operator's purge): Current
	// waits for the last one kept, not for a seq no copy will ever see.
	bb, err := kv.Put(ctx, "bb", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "cc", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "KV_"+SessionsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject("$KV."+SessionsBucket+".cc")); err != nil {
		t.Fatal(err)
	}
	s.pos.advance(bb)
	if err := s.Current(ctx); err != nil {
		t.Fatalf("Current with the last write purged: %v", err)
	}
}
