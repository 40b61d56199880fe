// Package natsstore keeps Hark's log, names, sessions and files in NATS
// JetStream: the log is a stream (its sequence is Hark's seq, its epoch in
// the stream's metadata), names and sessions are key-value buckets, files
// an object store bucket. One code
// path serves a single durable node (an embedded nats-server writing to a
// data directory, see Embedded) and a cluster of nodes sharing an external
// NATS cluster.
//
// Each node follows the stream with one ordered consumer into a local copy
// (the last messages and joins/leaves kept, like chat.MemoryLog) and fans
// out from it to its own connections; it never makes a consumer per
// browser connection. Names and sessions are mirrored the same way, by an
// ordered consumer per bucket (follow.go), so reads never leave the
// process; writes go to NATS, which
// decides races (Create refuses a second taker, deletes and updates carry
// the revision they expect).
package natsstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
)

// Names of the stream and buckets.
const (
	StreamName     = "HARK_EVENTS"
	NamesBucket    = "hark_names"
	SessionsBucket = "hark_sessions"

	subjectMessages = "hark.events.msg"
	subjectPresence = "hark.events.presence"
	subjectEvents   = "hark.events.>" // both
	epochKey        = "hark.epoch"
)

// Config sets up a Store.
type Config struct {
	// Limits are what the stream keeps: Keep messages, KeepPresence
	// joins and leaves, and none older than MaxAge when it is set.
	chat.Limits
	// Replicas is the stream's and buckets' replication (1 for one node,
	// 3 on a three-server NATS cluster).
	Replicas int
	// Duplicates is the window within which a retried send is stored once
	// (default 15 minutes, longer than a client's outbox usually waits).
	Duplicates time.Duration
}

func (c *Config) setDefaults() {
	c.Limits = c.Limits.WithDefaults()
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Duplicates <= 0 {
		c.Duplicates = 15 * time.Minute
	}
	if c.MaxAge > 0 && c.Duplicates > c.MaxAge {
		c.Duplicates = c.MaxAge // JetStream's rule: no memory of ids older than what is kept
	}
}

// Store is Hark's state in NATS; Chat hands it to the chat.
type Store struct {
	Log      *Log
	Names    *Names
	Sessions *Sessions
	// Signals carries what is not stored (typing) between the nodes.
	Signals *Signals
	// Files keeps uploaded files in an object store bucket.
	Files *Files
	// Devices keeps the one-time codes that link a device.
	Devices *Devices
	// Passkeys keeps the passkeys that keep names.
	Passkeys *Passkeys
	// Rooms keeps the rooms and their members.
	Rooms *Rooms
	// Reads keeps each person's read positions.
	Reads *ReadState

	cancel context.CancelFunc
}

// Open binds to (creating if need be) the stream and buckets on nc, loads
// the kept history and the names and sessions, and keeps following them
// until Close.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	cfg.setDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	run, cancel := context.WithCancel(context.Background())
	st := &Store{cancel: cancel}
	fail := func(err error) (*Store, error) {
		st.Close()
		return nil, err
	}
	if st.Log, err = openLog(ctx, run, js, cfg); err != nil {
		return fail(fmt.Errorf("the event stream: %w", err))
	}
	if st.Names, err = openNames(ctx, run, js, cfg); err != nil {
		return fail(fmt.Errorf("the names bucket: %w", err))
	}
	if st.Sessions, err = openSessions(ctx, run, js, cfg); err != nil {
		return fail(fmt.Errorf("the sessions bucket: %w", err))
	}
	if st.Signals, err = openSignals(ctx, nc); err != nil {
		return fail(fmt.Errorf("the signals subject: %w", err))
	}
	if st.Files, err = openFiles(ctx, js, cfg); err != nil {
		return fail(fmt.Errorf("the files bucket: %w", err))
	}
	if st.Devices, err = openDevices(ctx, js, cfg); err != nil {
		return fail(fmt.Errorf("the device codes bucket: %w", err))
	}
	if st.Passkeys, err = openPasskeys(ctx, js, cfg); err != nil {
		return fail(fmt.Errorf("the passkeys bucket: %w", err))
	}
	if st.Rooms, err = openRooms(ctx, run, js, cfg); err != nil {
		return fail(fmt.Errorf("the rooms bucket: %w", err))
	}
	if st.Reads, err = openReadState(ctx, js, cfg); err != nil {
		return fail(fmt.Errorf("the read positions bucket: %w", err))
	}
	return st, nil
}

// Chat is the store as the chat takes it.
func (s *Store) Chat() chat.Store {
	return chat.Store{Log: s.Log, Names: s.Names, Sessions: s.Sessions, Signals: s.Signals, Files: s.Files, Devices: s.Devices,
		Passkeys: s.Passkeys, Rooms: s.Rooms, Reads: s.Reads}
}

// Close stops following the stream and buckets, and deletes the
// consumers it followed them with.
func (s *Store) Close() {
	s.cancel()
	var followers []*follower
	if s.Log != nil {
		followers = append(followers, s.Log.follower)
	}
	if s.Names != nil {
		followers = append(followers, s.Names.follower)
	}
	if s.Sessions != nil {
		followers = append(followers, s.Sessions.follower)
	}
	if s.Rooms != nil {
		followers = append(followers, s.Rooms.follower)
	}
	// Side by side, and not for long: during an outage each stop can wait
	// for a reset in progress, and the process wants to exit.
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for _, f := range followers {
			wg.Go(f.stop)
		}
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
	}
	if s.Signals != nil {
		s.Signals.stop()
	}
}

// bucket binds to a key-value bucket, creating it if need be, and to
// reads from its leader (every bucket's decisions need them).
func bucket(ctx context.Context, js jetstream.JetStream, name string, cfg Config) (jetstream.KeyValue, leaderReads, error) {
	return bucketAs(ctx, js, bucketConfig(name, cfg))
}

// bucketAs is bucket with the bucket made as kc says.
func bucketAs(ctx context.Context, js jetstream.JetStream, kc jetstream.KeyValueConfig) (jetstream.KeyValue, leaderReads, error) {
	kv, err := bindBucketAs(ctx, js, kc)
	if err != nil {
		return nil, leaderReads{}, err
	}
	leader, err := newLeaderReads(js, kv)
	return kv, leader, err
}

// bucketConfig is how Hark's buckets are made: one revision a key, on
// disk, replicated as cfg says.
func bucketConfig(name string, cfg Config) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{Bucket: name, History: 1, Storage: jetstream.FileStorage, Replicas: cfg.Replicas}
}

// bindBucketAs binds to the bucket kc names, making it as kc says if it
// does not exist.
func bindBucketAs(ctx context.Context, js jetstream.JetStream, kc jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, kc.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, kc)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, kc.Bucket) // another node made it first
		}
	}
	return kv, err
}

// compile-time checks that the store fits the domain's seams.
var (
	_ chat.Log          = (*Log)(nil)
	_ chat.Registry     = (*Names)(nil)
	_ chat.SessionStore = (*Sessions)(nil)
	_ chat.Signals      = (*Signals)(nil)
	_ chat.FileStore    = (*Files)(nil)
	_ chat.Devices      = (*Devices)(nil)
	_ chat.Passkeys     = (*Passkeys)(nil)
	_ chat.Rooms        = (*Rooms)(nil)
	_ chat.ReadState    = (*ReadState)(nil)
)

// settle retries op while NATS answers that nothing serves the request:
// a bucket or stream between leaders (just made, or electing after a
// server's loss). Other errors, and success, return at once; it gives up
// after a few seconds or when ctx ends.
func settle(ctx context.Context, op func() error) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := op()
		if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, jetstream.ErrNoStreamResponse) {
			return err
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// leaderReads reads a bucket's keys from its stream's leader. nats.go makes
// every bucket allow direct gets, which any replica answers, and a replica
// may not yet have applied a write the leader has already acknowledged: a
// kv.Get, and the one inside kv.Create after a delete, can see a key as it
// was before a write that returned, on this node or another (a name still
// held a moment after its leave, a session not yet made). Every read a
// decision rests on comes from here; the mirrors serve the rest.
type leaderReads struct {
	js      nats.JetStreamContext
	stream  string // KV_<bucket>
	subject string // $KV.<bucket>. before the key
}

func newLeaderReads(js jetstream.JetStream, kv jetstream.KeyValue) (leaderReads, error) {
	legacy, err := js.Conn().JetStream()
	if err != nil {
		return leaderReads{}, err
	}
	return leaderReads{js: legacy, stream: "KV_" + kv.Bucket(), subject: "$KV." + kv.Bucket() + "."}, nil
}

// get returns key's value and revision. Like kv.Get it returns
// jetstream.ErrKeyNotFound for a key with no entry; for a key whose last
// entry is a delete or purge it returns jetstream.ErrKeyDeleted with that
// entry's revision, which a write over it must expect.
func (r leaderReads) get(ctx context.Context, key string) (value []byte, rev uint64, err error) {
	m, err := r.lastMsg(ctx, r.subject+key)
	if err != nil {
		return nil, 0, err
	}
	if m == nil {
		return nil, 0, jetstream.ErrKeyNotFound
	}
	if m.Header.Get("KV-Operation") != "" || m.Header.Get(jetstream.MarkerReasonHeader) != "" {
		return nil, m.Sequence, jetstream.ErrKeyDeleted
	}
	return m.Data, m.Sequence, nil
}

// last returns the seq of the bucket's last write still kept, 0 if none,
// from the stream's leader: a stream's info may come from a replica while
// the stream has no leader, and its last seq may be a write since removed.
func (r leaderReads) last(ctx context.Context) (uint64, error) {
	m, err := r.lastMsg(ctx, r.subject+">")
	if m == nil || err != nil {
		return 0, err
	}
	return m.Sequence, nil
}

// lastMsg returns the last message on subject, nil if there is none.
// Without DirectGet the request goes to the stream's leader.
func (r leaderReads) lastMsg(ctx context.Context, subject string) (*nats.RawStreamMsg, error) {
	var m *nats.RawStreamMsg
	err := settle(ctx, func() (err error) {
		m, err = r.js.GetLastMsg(r.stream, subject, nats.Context(ctx))
		return err
	})
	if errors.Is(err, nats.ErrMsgNotFound) {
		return nil, nil
	}
	return m, err
}

// again reports whether a write refused for the revision it expected is to
// be read and tried again, after a pause that grows with try (none before
// the first retry); it bounds the tries. Besides a real change, the leader
// of a replicated bucket refuses such a write while an earlier write of the
// key is being applied, which lasts a moment past that write's
// acknowledgement: a claim right after a leave, or a leave right after a
// claim, is refused though the revision it expects is the key's latest.
func again(ctx context.Context, try int) bool {
	if try >= 40 || ctx.Err() != nil {
		return false
	}
	if try == 0 {
		return true
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(min(time.Duration(try)*10*time.Millisecond, 100*time.Millisecond)):
		return true
	}
}
