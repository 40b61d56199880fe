package natsstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// follow consumes a stream with one ordered consumer until run ends (and
// then deletes it), handing each message to receive, one at a time. It is how a node follows
// everything it keeps a copy of: the event log and both buckets.
//
// Short pulls with a heartbeat every second: when the server that feeds
// the consumer dies, the consumer notices within seconds and starts again
// after the last seq it had, on another server, for as long as it takes.
// (A bucket's own watcher, kv.Watch, is a push consumer with a heartbeat
// every five seconds, checked every ten; a node's copy of the names
// stayed about ten seconds behind after such a loss, and a watcher whose
// consumer could not be made again stopped for good.)
func follow(ctx, run context.Context, js jetstream.JetStream, stream string, cfg jetstream.OrderedConsumerConfig, receive jetstream.MessageHandler) error {
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return err
	}
	cc, err := cons.Consume(receive, jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second))
	if err != nil {
		return err
	}
	context.AfterFunc(run, func() {
		cc.Stop()
		// Stopping leaves the consumer on the server until it has been
		// idle for its inactive threshold (5 minutes): a node that stops,
		// or an Open that failed halfway, takes its consumers with it.
		if info := cons.CachedInfo(); info != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			js.DeleteConsumer(ctx, stream, info.Name)
		}
	})
	return nil
}

// change is one write to a bucket's key, as a node's copy applies it.
type change struct {
	key     string
	value   []byte
	rev     uint64 // the write's sequence in the bucket's stream
	deleted bool   // a delete or purge: the key holds nothing now
}

// mirror follows every key of kv, handing each change to apply (one at a
// time, in the bucket's order), and returns once the bucket's current
// contents have been applied.
func mirror(ctx, run context.Context, js jetstream.JetStream, kv jetstream.KeyValue, apply func(change)) error {
	stream := "KV_" + kv.Bucket()
	prefix := "$KV." + kv.Bucket() + "."
	info, err := js.Stream(ctx, stream)
	if err != nil {
		return err
	}
	loaded := make(chan struct{})
	if info.CachedInfo().State.Msgs == 0 {
		close(loaded)
	}
	receive := func(m jetstream.Msg) {
		meta, err := m.Metadata()
		if err != nil || !strings.HasPrefix(m.Subject(), prefix) {
			return
		}
		h := m.Headers()
		apply(change{
			key:   m.Subject()[len(prefix):],
			value: m.Data(),
			rev:   meta.Sequence.Stream,
			// Deletes and purges carry an operation; markers the server
			// writes (a key's age limit) carry a reason instead.
			deleted: h.Get("KV-Operation") != "" || h.Get(jetstream.MarkerReasonHeader) != "",
		})
		if meta.NumPending == 0 {
			select {
			case <-loaded:
			default:
				close(loaded)
			}
		}
	}
	err = follow(ctx, run, js, stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{prefix + ">"},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	}, receive)
	if err != nil {
		return err
	}
	// A large bucket may take longer to load than one attempt at the API
	// calls may: the load has a bound of its own.
	wait, cancel := context.WithTimeout(run, 2*time.Minute)
	defer cancel()
	select {
	case <-loaded:
		return nil
	case <-wait.Done():
		return fmt.Errorf("loading bucket %s: %w", kv.Bucket(), wait.Err())
	}
}
