package natsstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// follower is one ordered consumer through which a node follows a stream:
// the event log, or a bucket it keeps a copy of; with a second road to the
// same messages for when the consumer is lost (see watch).
type follower struct {
	js     jetstream.JetStream
	stream string
	filter string // the subjects followed, for direct gets
	direct jetstream.Stream
	cons   jetstream.Consumer
	cc     jetstream.ConsumeContext

	mu      sync.Mutex    // held while a message is handled
	receive receiver      // called with mu held
	pos     *position     // the stream seq of the last message handled
	loaded  chan struct{} // closed once what the stream held at the start is handled
	once    sync.Once
	// life ends with stop: the second road's gets are made under it.
	life    context.Context
	end     context.CancelFunc
	watched chan struct{} // closed once watch has returned; nil if it never ran
}

// message is one message of a followed stream, from the consumer or from
// a direct get.
type message struct {
	subject string
	header  nats.Header
	data    []byte
	seq     uint64    // its stream sequence
	stored  time.Time // when the stream stored it
}

// receiver handles one message of a followed stream.
type receiver func(message)

// follow starts consuming stream (the subjects filter), handing each
// message to receive, one at a time and in the stream's order.
//
// Short pulls with a heartbeat every second: when the server that feeds
// the consumer dies, the consumer notices within seconds and starts again
// after the last seq it had, on another server, for as long as it takes.
// (A bucket's own watcher, kv.Watch, is a push consumer with a heartbeat
// every five seconds, checked every ten; a node's copy of the names
// stayed about ten seconds behind after such a loss, and a watcher whose
// consumer could not be made again stopped for good.) Making a consumer
// again needs the JetStream meta leader, so when that server is the one
// lost it waits for an election (4-9 s), and nats.go's retries after a
// failed attempt wait 1, 2, 4 s: meanwhile watch reads on directly.
func follow(ctx context.Context, js jetstream.JetStream, stream, filter string, cfg jetstream.OrderedConsumerConfig, receive receiver) (*follower, error) {
	f, err := newFollower(ctx, js, stream, filter, cfg)
	if err != nil {
		return nil, err
	}
	if err := f.start(receive); err != nil {
		f.stop()
		return nil, err
	}
	return f, nil
}

// newFollower makes the consumer; start begins consuming.
func newFollower(ctx context.Context, js jetstream.JetStream, stream, filter string, cfg jetstream.OrderedConsumerConfig) (*follower, error) {
	f := &follower{js: js, stream: stream, filter: filter, pos: newPosition(), loaded: make(chan struct{})}
	f.life, f.end = context.WithCancel(context.Background())
	direct, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	f.direct = direct
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return nil, err
	}
	f.cons = cons
	// Loaded is judged by the server's own counts: the consumer's pending
	// messages as it was made, each message's pending after it, and, for
	// messages removed before they came (a purge, an age limit), the
	// consumer's state while waitLoaded waits.
	if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
		f.markLoaded()
	}
	return f, nil
}

func (f *follower) start(receive receiver) error {
	f.receive = receive
	handle := func(m jetstream.Msg) {
		meta, err := m.Metadata()
		if err != nil {
			return
		}
		f.handle(message{subject: m.Subject(), header: m.Headers(), data: m.Data(), seq: meta.Sequence.Stream, stored: meta.Timestamp})
		if meta.NumPending == 0 {
			f.markLoaded()
		}
	}
	var err error
	f.cc, err = f.cons.Consume(handle, jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second))
	if err != nil {
		return err
	}
	f.watched = make(chan struct{})
	go f.watch()
	return nil
}

// handle hands m on unless it was handled already: one at a time, and
// each message once, whichever road brought it (a consumer made again
// after a loss starts after the last message it delivered, which watch
// may have handled since; and it can start delivering while the last
// handler of the one before still runs).
func (f *follower) handle(m message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m.seq <= f.pos.seq() {
		return
	}
	f.receive(m)
	f.pos.advance(m.seq)
}

// How the second road runs: every lookEvery, once the follower has
// loaded and its position has not moved for quietLooks looks in a row
// (half a second), it asks any server that holds the stream (a direct
// get, which needs neither the meta leader nor the consumer's server) for
// the messages after the last it handled. While the consumer is healthy
// and the stream quiet, that is a few small requests a second that find
// nothing; while it is lost, messages still arrive within about half a
// second of being stored.
const (
	lookEvery  = 250 * time.Millisecond
	quietLooks = 2
	lookWait   = time.Second
)

// watch is the second road, until stop.
func (f *follower) watch() {
	defer close(f.watched)
	select {
	case <-f.life.Done():
		return
	case <-f.loaded:
	}
	tick := time.NewTicker(lookEvery)
	defer tick.Stop()
	last, still := f.pos.seq(), 0
	for {
		select {
		case <-f.life.Done():
			return
		case <-tick.C:
		}
		if at := f.pos.seq(); at != last {
			last, still = at, 0
			continue
		}
		if still++; still >= quietLooks {
			f.readDirectly()
		}
	}
}

// readDirectly handles every message after the last handled that a direct
// get finds, until it finds none (or fails: the next look tries again).
// Nothing is handled once stop has been called: a get under way is
// cancelled by it, and one that returns after it is dropped.
func (f *follower) readDirectly() {
	for {
		get, cancel := context.WithTimeout(f.life, lookWait)
		raw, err := f.direct.GetMsg(get, f.pos.seq()+1, jetstream.WithGetMsgSubject(f.filter))
		cancel()
		if err != nil || f.life.Err() != nil {
			return
		}
		f.handle(message{subject: raw.Subject, header: raw.Header, data: raw.Data, seq: raw.Sequence, stored: raw.Time})
	}
}

func (f *follower) markLoaded() { f.once.Do(func() { close(f.loaded) }) }

// waitLoaded returns once every message the stream held when the follower
// started has been handled, or with an error once run ends or two minutes
// pass: a large stream may take longer to load than one attempt at the API
// calls before may, so the load has a bound of its own. On error the
// follower is stopped.
func (f *follower) waitLoaded(run context.Context) error {
	wait, cancel := context.WithTimeout(run, 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-f.loaded:
			return nil
		case <-wait.Done():
			f.stop()
			return fmt.Errorf("loading %s: %w", f.stream, wait.Err())
		case <-tick.C:
			// Messages counted pending but removed before they came are
			// never delivered, nor is a message that says none follow.
			if f.drained(wait) {
				f.markLoaded()
			}
		}
	}
}

// drained reports whether nothing is left to deliver: the stream holds no
// message, or the last one it holds has been handled. (The consumer's own
// state cannot say: after a purge it counts the purged messages as
// delivered.) Whatever is still deliverable loads the ordinary way, by the
// last message's pending count.
func (f *follower) drained(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	st, err := f.js.Stream(ctx, f.stream)
	if err != nil {
		return false
	}
	state := st.CachedInfo().State
	return state.Msgs == 0 || f.pos.seq() >= state.LastSeq
}

// stop ends the consumption and deletes the consumer: stopped, it would
// stay on the server until idle for its inactive threshold (5 minutes).
// It waits for the delete (2 s at most), so a node that closes its NATS
// connection right after leaves nothing behind; stopping itself waits for
// a reset of the consumer in progress (nats.go's lock), which during an
// outage can take several seconds. A nil follower is a no-op.
func (f *follower) stop() {
	if f == nil {
		return
	}
	f.end()
	if f.watched != nil {
		<-f.watched // nothing reaches the copy after stop returns
	}
	if f.cc != nil {
		f.cc.Stop()
	}
	// Without a connection the delete could only wait out its timeout;
	// the server drops the consumer by itself.
	if info := f.cons.CachedInfo(); info != nil && f.js.Conn().IsConnected() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		f.js.DeleteConsumer(ctx, f.stream, info.Name)
	}
}

// position is how far a follower has handled its stream, for whoever must
// wait until a node's copy holds what the stream held at a moment.
type position struct {
	mu      sync.Mutex
	at      uint64
	reached chan struct{} // closed, and replaced, at every advance
}

func newPosition() *position { return &position{reached: make(chan struct{})} }

// advance records that everything up to seq has been applied.
func (p *position) advance(seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if seq <= p.at {
		return
	}
	p.at = seq
	close(p.reached)
	p.reached = make(chan struct{})
}

// seq is the last seq applied.
func (p *position) seq() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.at
}

// waitFor returns once everything up to seq has been applied, or ctx ends.
func (p *position) waitFor(ctx context.Context, seq uint64) error {
	for {
		p.mu.Lock()
		at, ch := p.at, p.reached
		p.mu.Unlock()
		if at >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// change is one write to a bucket's key, as a node's copy applies it.
type change struct {
	key     string
	value   []byte
	rev     uint64 // the write's sequence in the bucket's stream
	deleted bool   // a delete or purge: the key holds nothing now
}

// mirror follows every key of kv, handing each change to apply (in the
// bucket's order), and returns once the bucket's contents as they were
// when it started have been applied.
func mirror(ctx, run context.Context, js jetstream.JetStream, kv jetstream.KeyValue, apply func(change)) (*follower, error) {
	prefix := "$KV." + kv.Bucket() + "."
	f, err := follow(ctx, js, "KV_"+kv.Bucket(), prefix+">", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{prefix + ">"},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	}, func(m message) {
		if !strings.HasPrefix(m.subject, prefix) {
			return
		}
		h := m.header
		apply(change{
			key:   m.subject[len(prefix):],
			value: m.data,
			rev:   m.seq,
			// Deletes and purges carry an operation; markers the server
			// writes (a key's age limit) carry a reason instead.
			deleted: h.Get("KV-Operation") != "" || h.Get(jetstream.MarkerReasonHeader) != "",
		})
	})
	if err != nil {
		return nil, err
	}
	if err := f.waitLoaded(run); err != nil {
		return nil, fmt.Errorf("bucket %s: %w", kv.Bucket(), err)
	}
	return f, nil
}
