package natsstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
)

// embeddedJS starts an embedded server for the test and returns JetStream
// on it, with a context that bounds the test.
func embeddedJS(t *testing.T) (context.Context, jetstream.JetStream) {
	t.Helper()
	srv, nc, err := Embedded(EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	t.Cleanup(nc.Close) // first: cleanups run last in, first out
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, js
}

// Current waits for the copy to apply the bucket's last write as the
// leader has it, and no longer.
func TestCurrentWaitsForTheLastWrite(t *testing.T) {
	ctx, js := embeddedJS(t)
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
	s := &Sessions{kv: kv, leader: leader, follower: &follower{pos: newPosition()}}
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	err = s.Current(short)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Current on a copy that applied nothing: %v, want it to wait", err)
	}
	s.follower.pos.advance(last - 1)
	short, cancelShort = context.WithTimeout(ctx, 200*time.Millisecond)
	err = s.Current(short)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Current one write short of the last: %v, want it to wait", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Current(ctx) }()
	s.follower.pos.advance(last)
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
	s.follower.pos.advance(bb)
	if err := s.Current(ctx); err != nil {
		t.Fatalf("Current with the last write purged: %v", err)
	}
}

// Messages a new follower counted as pending but that were removed before
// they came (a purge, an age limit) are never delivered; the follower is
// loaded all the same, by the consumer's own state.
func TestLoadedWhenPendingMessagesVanish(t *testing.T) {
	ctx, js := embeddedJS(t)
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := js.Publish(ctx, "t", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	f, err := newFollower(ctx, js, "T", "t", jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.start(func(message) {}); err != nil {
		t.Fatal(err)
	}
	defer f.stop()
	run, cancelRun := context.WithTimeout(ctx, 5*time.Second)
	defer cancelRun()
	if err := f.waitLoaded(run); err != nil {
		t.Fatalf("a follower whose pending messages were purged: %v", err)
	}
}

// A session made and deleted while a node's copy was behind reaches the
// copy as the delete alone (the bucket keeps one revision per key); the
// chat, which may hold it from a read of the leader, is told all the same.
func TestDeleteOfAnUnseenSessionIsTold(t *testing.T) {
	s := &Sessions{byKey: make(map[chat.Digest]stored), regs: make(map[chat.RegID]int)}
	var told []chat.Digest
	s.OnGone(func(d chat.Digest) { told = append(told, d) })
	d := chat.Digest{1, 2, 3}
	s.apply(change{key: sessionKey(d), deleted: true, rev: 9})
	if len(told) != 1 || told[0] != d {
		t.Fatalf("a delete the copy never saw the create of: told %v, want %v", told, d)
	}
}
