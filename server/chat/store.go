package chat

import (
	"context"
	"sync"
	"time"
)

// Store is where a chat keeps its state, every part required: the log of
// events, the names held, the sessions, the signals (typing) that reach
// every node without being stored, and the files people upload. MemoryStore keeps it in this
// process; natsstore keeps it in NATS JetStream, shared by every node of
// a deployment. Adding a store means passing the conformance suite in
// chat/storetest.
//
// "Current" means the same on every part: this node's view holds the
// writes the store acknowledged (for the log, up to a seq someone saw;
// for sessions, all those made before the call). A store held in this
// process is always current; a node's copy of a shared store may lag and
// waits.
type Store struct {
	Log      Log
	Names    Registry
	Sessions SessionStore
	Signals  Signals
	Files    FileStore
	Devices  Devices
	Passkeys Passkeys
	Rooms    Rooms
	Reads    ReadState
}

// complete reports whether every part of the store is there.
func (s Store) complete() bool {
	return s.Log != nil && s.Names != nil && s.Sessions != nil && s.Signals != nil && s.Files != nil && s.Devices != nil &&
		s.Passkeys != nil && s.Rooms != nil && s.Reads != nil
}

// Limits are what a store keeps, given once (the flags set them) to
// whichever store the server opens.
type Limits struct {
	// Keep is how many messages the log keeps for resume and history.
	Keep int
	// KeepPresence is how many joins and leaves the log keeps for resume,
	// apart from messages, so churn never evicts history (default Keep).
	KeepPresence int
	// MaxAge, when set, also drops events older than it (0: by count
	// only).
	MaxAge time.Duration
}

// DefaultLimits are the limits a zero field of Limits takes.
func DefaultLimits() Limits { return Limits{Keep: 10000} }

// WithDefaults returns l with its zero fields filled in.
func (l Limits) WithDefaults() Limits {
	if l.Keep <= 0 {
		l.Keep = DefaultLimits().Keep
	}
	if l.KeepPresence <= 0 {
		l.KeepPresence = l.Keep
	}
	return l
}

// MemoryStore returns a Store held in this process, for one node: what it
// keeps is lost at exit. now is the log's clock for MaxAge (nil:
// time.Now).
func MemoryStore(l Limits, now func() time.Time) Store {
	l = l.WithDefaults()
	if now == nil {
		now = time.Now
	}
	log := NewMemoryLog(l.Keep, l.KeepPresence)
	log.SetMaxAge(l.MaxAge, now)
	return Store{Log: log, Names: NewMemoryRegistry(), Sessions: NewMemorySessions(), Signals: NewMemorySignals(), Files: NewMemoryFiles(l.MaxAge, now), Devices: NewMemoryDevices(now),
		Passkeys: NewMemoryPasskeys(now), Rooms: NewMemoryRooms(), Reads: NewMemoryReadState()}
}

// MemorySessions is a SessionStore held in this process.
type MemorySessions struct {
	mu    sync.Mutex
	recs  map[Digest]SessionRecord
	byReg map[RegID]int // sessions of each registration
	gone  func(Digest)
}

// NewMemorySessions returns an empty SessionStore.
func NewMemorySessions() *MemorySessions {
	return &MemorySessions{recs: make(map[Digest]SessionRecord), byReg: make(map[RegID]int)}
}

// Create implements SessionStore.
func (m *MemorySessions) Create(_ context.Context, d Digest, r SessionRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.recs[d]; ok {
		m.unindex(old.Reg)
	}
	m.recs[d] = r
	m.byReg[r.Reg]++
	return nil
}

// Get implements SessionStore.
func (m *MemorySessions) Get(_ context.Context, d Digest) (SessionRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[d]
	return r, ok, nil
}

// Touch implements SessionStore. A session deleted meanwhile stays
// deleted.
func (m *MemorySessions) Touch(_ context.Context, d Digest, seen time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.recs[d]; ok && seen.After(r.Seen) {
		r.Seen = seen
		m.recs[d] = r
	}
	return nil
}

// Delete implements SessionStore; OnGone's function is told after the
// store's lock is let go, as a shared store tells it from its own
// goroutine.
func (m *MemorySessions) Delete(_ context.Context, d Digest) (bool, error) {
	m.mu.Lock()
	r, ok := m.recs[d]
	if ok {
		delete(m.recs, d)
		m.unindex(r.Reg)
	}
	gone := m.gone
	m.mu.Unlock()
	if ok && gone != nil {
		gone(d)
	}
	return ok, nil
}

func (m *MemorySessions) unindex(reg RegID) {
	if m.byReg[reg]--; m.byReg[reg] <= 0 {
		delete(m.byReg, reg)
	}
}

// Idle implements SessionStore.
func (m *MemorySessions) Idle(before time.Time) []Digest {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Digest
	for d, r := range m.recs {
		if r.Seen.Before(before) {
			out = append(out, d)
		}
	}
	return out
}

// Has implements SessionStore.
func (m *MemorySessions) Has(reg RegID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byReg[reg] > 0
}

// Current implements SessionStore: a store in this process is always
// current.
func (m *MemorySessions) Current(context.Context) error { return nil }

// OnGone implements SessionStore.
func (m *MemorySessions) OnGone(f func(Digest)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gone = f
}
