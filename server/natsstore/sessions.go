package natsstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
)

// Sessions is chat.SessionStore on a key-value bucket keyed by the hex of
// the token's digest (never the token). Every node mirrors the bucket, so
// Get is local, Idle is a scan of memory, and deletes by any node reach
// every node's OnGone.
type Sessions struct {
	kv       jetstream.KeyValue
	leader   leaderReads
	follower *follower // its position: the bucket's last write applied to the copy

	mu     sync.Mutex
	byKey  map[chat.Digest]stored
	regs   map[chat.RegID]int // sessions per registration (one per device of its person)
	onGone func(chat.Digest)
}

type stored struct {
	rec chat.SessionRecord
	rev uint64
}

type sessionValue struct {
	Name string     `json:"n"`
	Reg  chat.RegID `json:"r"`
	Addr string     `json:"a,omitempty"`
	Seen int64      `json:"s"` // Unix milliseconds
}

func encodeSession(r chat.SessionRecord) []byte {
	b, _ := json.Marshal(sessionValue{Name: r.Name, Reg: r.Reg, Addr: r.Addr, Seen: r.Seen.UnixMilli()})
	return b
}

func decodeSession(b []byte) (chat.SessionRecord, bool) {
	var v sessionValue
	if json.Unmarshal(b, &v) != nil {
		return chat.SessionRecord{}, false
	}
	return chat.SessionRecord{Name: v.Name, Reg: v.Reg, Addr: v.Addr, Seen: time.UnixMilli(v.Seen)}, true
}

func sessionKey(d chat.Digest) string { return hex.EncodeToString(d[:]) }

func openSessions(ctx, run context.Context, js jetstream.JetStream, cfg Config) (*Sessions, error) {
	kv, leader, err := bucket(ctx, js, SessionsBucket, cfg)
	if err != nil {
		return nil, err
	}
	s := &Sessions{kv: kv, leader: leader, byKey: make(map[chat.Digest]stored), regs: make(map[chat.RegID]int)}
	s.follower, err = mirror(ctx, run, js, kv, s.apply)
	return s, err
}

// apply brings one write to the bucket into the copy. A delete is told to
// OnGone even when the copy never had the session: the bucket keeps one
// revision per key, so a session made and deleted while the copy was
// behind (its consumer lost) reaches it as the delete alone, while the
// chat may hold it, read from the leader (Get).
func (s *Sessions) apply(c change) {
	var d chat.Digest
	if b, err := hex.DecodeString(c.key); err != nil || len(b) != len(d) {
		return
	} else {
		copy(d[:], b)
	}
	if c.deleted {
		s.mu.Lock()
		s.dropLocked(d)
		gone := s.onGone
		s.mu.Unlock()
		if gone != nil {
			gone(d)
		}
		return
	}
	if rec, ok := decodeSession(c.value); ok {
		s.remember(d, rec, c.rev)
	}
}

// OnGone implements chat.SessionStore.
func (s *Sessions) OnGone(f func(chat.Digest)) {
	s.mu.Lock()
	s.onGone = f
	s.mu.Unlock()
}

// Create implements chat.SessionStore.
func (s *Sessions) Create(ctx context.Context, d chat.Digest, r chat.SessionRecord) error {
	var rev uint64
	err := settle(ctx, func() (err error) { rev, err = s.kv.Create(ctx, sessionKey(d), encodeSession(r)); return err })
	if err != nil {
		return err
	}
	s.remember(d, r, rev)
	return nil
}

func (s *Sessions) remember(d chat.Digest, r chat.SessionRecord, rev uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.byKey[d]
	if ok && cur.rev >= rev {
		return
	}
	if !ok {
		s.regs[r.Reg]++
	}
	s.byKey[d] = stored{rec: r, rev: rev}
}

// dropLocked forgets d and reports whether it was known.
func (s *Sessions) dropLocked(d chat.Digest) bool {
	cur, ok := s.byKey[d]
	if !ok {
		return false
	}
	delete(s.byKey, d)
	if s.regs[cur.rec.Reg]--; s.regs[cur.rec.Reg] <= 0 {
		delete(s.regs, cur.rec.Reg)
	}
	return true
}

// Get implements chat.SessionStore: from the mirror, else (a session made
// on another node a moment ago) from the bucket's leader, which has it once
// its registration returned.
func (s *Sessions) Get(ctx context.Context, d chat.Digest) (chat.SessionRecord, bool, error) {
	s.mu.Lock()
	cur, ok := s.byKey[d]
	s.mu.Unlock()
	if ok {
		return cur.rec, true, nil
	}
	v, _, err := s.leader.get(ctx, sessionKey(d))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return chat.SessionRecord{}, false, nil
	}
	if err != nil {
		return chat.SessionRecord{}, false, err
	}
	// Not remembered: only the follower (and this node's own writes) fill
	// the mirror, so a read racing a delete cannot bring the session back.
	rec, ok := decodeSession(v)
	return rec, ok, nil
}

// Touch implements chat.SessionStore. The update carries the revision it
// read, so a touch never brings back a session another node deleted.
func (s *Sessions) Touch(ctx context.Context, d chat.Digest, seen time.Time) error {
	for range 3 {
		s.mu.Lock()
		cur, ok := s.byKey[d]
		s.mu.Unlock()
		if !ok {
			// Gone, or made on another node a moment ago and not in this
			// node's copy yet (the touch was dropped then, until the
			// store contract's suite showed it): the leader knows which.
			v, rev, err := s.leader.get(ctx, sessionKey(d))
			if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
				return nil
			}
			if err != nil {
				return err
			}
			if cur.rec, ok = decodeSession(v); !ok {
				return nil
			}
			cur.rev = rev
		}
		if !seen.After(cur.rec.Seen) {
			return nil
		}
		rec := cur.rec
		rec.Seen = seen
		rev, err := s.kv.Update(ctx, sessionKey(d), encodeSession(rec), cur.rev)
		if err == nil {
			s.remember(d, rec, rev)
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
		// Another node touched it meanwhile: read it again and retry.
		v, rev, err := s.leader.get(ctx, sessionKey(d))
		if err != nil {
			return nil
		}
		if r, ok := decodeSession(v); ok {
			s.remember(d, r, rev)
		}
	}
	return nil
}

// Delete implements chat.SessionStore.
func (s *Sessions) Delete(ctx context.Context, d chat.Digest) (bool, error) {
	for try := 0; ; try++ {
		// From the leader: a replica that has not seen the session yet
		// would have this leave return without freeing the name.
		_, rev, err := s.leader.get(ctx, sessionKey(d))
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			s.mu.Lock()
			s.dropLocked(d)
			s.mu.Unlock()
			return false, nil
		}
		if err != nil {
			return false, err
		}
		err = settle(ctx, func() error { return s.kv.Delete(ctx, sessionKey(d), jetstream.LastRevision(rev)) })
		if err == nil {
			s.mu.Lock()
			s.dropLocked(d)
			s.mu.Unlock()
			return true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return false, err
		}
		// Touched meanwhile, or a write being applied: read it again.
		if !again(ctx, try) {
			return false, errors.New("natsstore: the session kept changing while being deleted")
		}
	}
}

// Has implements chat.SessionStore, from the mirror.
func (s *Sessions) Has(reg chat.RegID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.regs[reg] > 0
}

// Current implements chat.SessionStore: it reads the bucket's last write
// from its leader and waits until this node's copy has applied it.
func (s *Sessions) Current(ctx context.Context) error {
	last, err := s.leader.last(ctx)
	if err != nil {
		return err
	}
	return s.follower.pos.waitFor(ctx, last)
}

// Idle implements chat.SessionStore.
func (s *Sessions) Idle(before time.Time) []chat.Digest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []chat.Digest
	for d, cur := range s.byKey {
		if cur.rec.Seen.Before(before) {
			out = append(out, d)
		}
	}
	return out
}
