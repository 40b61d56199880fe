package chat

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"hark/app/protocol"
)

// ErrTruncated is returned by Log.Since when events after the position asked
// for are no longer kept: the stream must start over with a reset.
var ErrTruncated = errors.New("chat: events after that position are no longer kept")

// Log is the deployment's ordered record of sequenced events. Appending is
// the only way an event enters Hark; every appended entry reaches fan-out
// exactly once, in seq order, which is how it reaches streams.
//
// The in-memory Log serves one node; a cluster puts a shared log (a NATS
// stream) behind the same interface.
type Log interface {
	// Epoch names this log: a seq means something only within its epoch.
	Epoch() string
	// Head is the seq of the last appended entry, 0 if none.
	Head() uint64
	// Append assigns e the next seq, encodes it and records it.
	Append(ctx context.Context, e *Entry) error
	// Since calls visit with every kept entry after seq, in order, until
	// visit returns false. It returns ErrTruncated, calling visit for
	// nothing, if an entry after seq is no longer kept.
	Since(seq uint64, visit func(*Entry) bool) error
	// Messages calls visit with kept message entries of the conversation
	// c (the zero Conversation: every message) whose seq is below before
	// (0: every one), newest first, until visit returns false. A read of
	// one conversation costs what it visits, not what the log keeps.
	Messages(before uint64, c Conversation, visit func(*Entry) bool)
	// Follow hands every entry appended from now on, by any node, to feed,
	// in seq order, each once. New calls it once, before anything is
	// appended; feed only queues (it may run under the log's lock).
	Follow(feed func(*Entry))
	// Message is the kept message at seq, as reads show it (a deleted
	// one as its tombstone), if this node's view holds it.
	Message(seq uint64) (*Entry, bool)
	// Current returns once this node's view of the log holds every entry
	// up to seq the store appended (a node's copy of a shared log may be
	// behind it), or with ctx's error. A resume from a position another
	// node served waits for it rather than being told it is gone, and a
	// send waits (briefly) for its own message, so the node can read it
	// back. A log held in this process is always current.
	Current(ctx context.Context, seq uint64) error
}

// MemoryLog is a Log held in memory. Messages and presence events (joins,
// leaves) are kept in two rings of their own, so a churn of joins and
// leaves never pushes messages out of history: only positions older than
// the evicted presence events need a reset, and history survives it.
type MemoryLog struct {
	epoch string
	feed  func(*Entry)

	// maxAge, when set, drops entries older than it (by the time they
	// were logged); now is the clock.
	maxAge time.Duration
	now    func() time.Time

	mu       sync.RWMutex
	messages ring
	presence ring
	index    threads // the messages by conversation
	head     uint64
	// tombs are the deleted messages the messages ring holds, by seq, as
	// reads show them: the ring keeps what was appended, reads never
	// hand out a deleted message's text.
	tombs map[uint64]*Entry
}

// SetMaxAge makes the log keep entries for at most d (0: no bound by age):
// older ones are dropped as newer ones come and before each read, and a
// resume from before them gets a reset, as for entries dropped by count.
func (l *MemoryLog) SetMaxAge(d time.Duration, now func() time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxAge, l.now = d, now
}

// expireLocked drops entries older than the maximum age.
func (l *MemoryLog) expireLocked() {
	if l.maxAge <= 0 {
		return
	}
	cutoff := l.now().Add(-l.maxAge).UnixMilli()
	l.messages.dropBefore(cutoff, l.dropMessage)
	l.presence.dropBefore(cutoff, nil)
}

// dropMessage forgets what is kept beside a message the ring let go.
func (l *MemoryLog) dropMessage(e *Entry) {
	l.index.drop(e)
	delete(l.tombs, e.seq)
}

// expired reports whether the oldest entry held is past the maximum age,
// so a reader knows to take the write lock and drop it.
func (l *MemoryLog) expired() bool {
	if l.maxAge <= 0 {
		return false
	}
	cutoff := l.now().Add(-l.maxAge).UnixMilli()
	return (l.messages.n > 0 && l.messages.at(0).at < cutoff) || (l.presence.n > 0 && l.presence.at(0).at < cutoff)
}

// prune drops expired entries before a read.
func (l *MemoryLog) prune() {
	l.mu.RLock()
	stale := l.expired()
	l.mu.RUnlock()
	if stale {
		l.mu.Lock()
		l.expireLocked()
		l.mu.Unlock()
	}
}

// NewMemoryLog returns an empty log with a new epoch that keeps the last
// keepMessages messages and the last keepPresence joins and leaves.
func NewMemoryLog(keepMessages, keepPresence int) *MemoryLog {
	return NewMemoryLogAt(NewEpoch(), keepMessages, keepPresence)
}

// NewMemoryLogAt is NewMemoryLog for a given epoch: a node's copy of a
// durable log, filled with Add.
func NewMemoryLogAt(epoch string, keepMessages, keepPresence int) *MemoryLog {
	return &MemoryLog{
		epoch:    epoch,
		messages: newRing(keepMessages),
		presence: newRing(keepPresence),
	}
}

// Follow implements Log. feed runs with the log locked, so it must only
// queue the entry (see fanout.push).
func (l *MemoryLog) Follow(feed func(*Entry)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.feed = feed
}

// Current implements Log: every entry appended is held at once.
func (l *MemoryLog) Current(context.Context, uint64) error { return nil }

// NewEpoch returns a fresh random epoch name.
func NewEpoch() string {
	var b [5]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// Epoch implements Log.
func (l *MemoryLog) Epoch() string { return l.epoch }

// Head implements Log.
func (l *MemoryLog) Head() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.head
}

// Append implements Log. Sealing under the lock keeps seq order and JSON in
// agreement; the entry goes to the feed in that same order.
func (l *MemoryLog) Append(_ context.Context, e *Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.head++
	e.seal(l.head)
	l.addLocked(e)
	return nil
}

// Add records an entry another log sealed, for a node's copy of a shared
// log: its seq must be above the head. Entries between the head and it
// that were never added count as gone (a gap a durable log's limits left).
func (l *MemoryLog) Add(e *Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.seq <= l.head {
		return
	}
	if e.seq > l.head+1 {
		// Seqs skipped are gone from the durable log (its limits dropped
		// them, before this copy started or while it was not following):
		// a resume from before them must be told so, with a reset; and a
		// stream open now, which would go on past them as if nothing
		// were missing, is ended there, so that its client resumes and
		// is told.
		l.messages.evicted = max(l.messages.evicted, e.seq-1)
		l.presence.evicted = max(l.presence.evicted, e.seq-1)
		if l.feed != nil {
			l.feed(gapMark)
		}
	}
	l.head = e.seq
	l.addLocked(e)
}

// SkipTo records that a shared log's entries up to seq are gone (its
// limits dropped them before this copy started), for a copy that may get
// none of them: the head moves to seq, and a resume from before it must
// be told so, with a reset. A seq at or below the head changes nothing.
func (l *MemoryLog) SkipTo(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq <= l.head {
		return
	}
	l.messages.evicted = max(l.messages.evicted, seq)
	l.presence.evicted = max(l.presence.evicted, seq)
	l.head = seq
}

func (l *MemoryLog) addLocked(e *Entry) {
	l.expireLocked()
	if KindOf(e.kind).Ring == RingMessages {
		if old := l.messages.push(e); old != nil {
			l.dropMessage(old)
		}
		l.index.add(e)
		if e.kind == protocol.TypeDelete {
			l.bury(e.target)
		}
	} else {
		l.presence.push(e)
	}
	if l.feed != nil {
		l.feed(e)
	}
}

// bury makes the tombstone of the message at seq, if the ring holds it.
func (l *MemoryLog) bury(seq uint64) {
	e := l.messageLocked(seq)
	if e == nil || !isMessage(e.kind) || l.tombs[seq] != nil {
		return
	}
	if l.tombs == nil {
		l.tombs = make(map[uint64]*Entry)
	}
	l.tombs[seq] = e.tombstone()
}

// messageLocked is the messages ring's entry at seq, nil if it holds none.
func (l *MemoryLog) messageLocked(seq uint64) *Entry {
	if i := l.messages.firstAfter(seq - 1); i < l.messages.n && l.messages.at(i).seq == seq {
		return l.messages.at(i)
	}
	return nil
}

// shown is e as reads show it: its tombstone once deleted.
func (l *MemoryLog) shown(e *Entry) *Entry {
	if t := l.tombs[e.seq]; t != nil {
		return t
	}
	return e
}

// Message implements Log.
func (l *MemoryLog) Message(seq uint64) (*Entry, bool) {
	l.prune()
	l.mu.RLock()
	defer l.mu.RUnlock()
	e := l.messageLocked(seq)
	if e == nil || !isMessage(e.kind) {
		return nil, false
	}
	return l.shown(e), true
}

// Since implements Log. The entries are gathered under the lock and visited
// after it, so a long replay never holds up appends.
func (l *MemoryLog) Since(seq uint64, visit func(*Entry) bool) error {
	l.prune()
	l.mu.RLock()
	if seq > l.head || seq < l.messages.evicted || seq < l.presence.evicted {
		l.mu.RUnlock()
		return ErrTruncated
	}
	// Merge the two rings' entries after seq by seq, straight into out.
	mi, pi := l.messages.firstAfter(seq), l.presence.firstAfter(seq)
	out := make([]*Entry, 0, l.messages.n-mi+l.presence.n-pi)
	for mi < l.messages.n || pi < l.presence.n {
		if pi == l.presence.n || (mi < l.messages.n && l.messages.at(mi).seq < l.presence.at(pi).seq) {
			out = append(out, l.shown(l.messages.at(mi)))
			mi++
		} else {
			out = append(out, l.presence.at(pi))
			pi++
		}
	}
	l.mu.RUnlock()
	for _, e := range out {
		if !visit(e) {
			break
		}
	}
	return nil
}

// messagesChunk is how many messages Messages copies per hold of the lock.
const messagesChunk = 256

// Messages implements Log. A conversation is read from the index
// (threads), every message from the ring. It copies a chunk at a time
// under the read lock and visits outside it, so a reader that filters
// much of what it reads (someone who sees few of the messages kept) never
// holds appends up for long.
func (l *MemoryLog) Messages(before uint64, c Conversation, visit func(*Entry) bool) {
	l.prune()
	if before == 1 {
		return // nothing is below seq 1; 0 would mean from the newest
	}
	var chunk [messagesChunk]*Entry
	for {
		l.mu.RLock()
		var n int
		if c == (Conversation{}) {
			n = l.messages.newest(chunk[:], before)
		} else if q := l.index.of(c); q != nil {
			n = q.newest(chunk[:], before)
		}
		for i, e := range chunk[:n] {
			chunk[i] = l.shown(e)
		}
		l.mu.RUnlock()
		for _, e := range chunk[:n] {
			if !visit(e) {
				return
			}
		}
		if n < len(chunk) {
			return
		}
		before = chunk[n-1].seq
	}
}

// ring holds the last entries of one kind, oldest first, in seq order.
type ring struct {
	buf     []*Entry
	start   int    // index of the oldest
	n       int    // entries held
	evicted uint64 // the highest seq pushed out, 0 if none
}

func newRing(size int) ring { return ring{buf: make([]*Entry, max(size, 1))} }

func (r *ring) at(i int) *Entry { return r.buf[(r.start+i)%len(r.buf)] }

// push adds e as the newest, and returns the oldest if that made room
// for it (nil otherwise).
func (r *ring) push(e *Entry) (evicted *Entry) {
	if r.n == len(r.buf) {
		evicted = r.buf[r.start]
		r.evicted = evicted.seq
		r.buf[r.start] = e
		r.start = (r.start + 1) % len(r.buf)
		return evicted
	}
	r.buf[(r.start+r.n)%len(r.buf)] = e
	r.n++
	return nil
}

// dropBefore drops the oldest entries logged before cutoff (Unix ms),
// handing each to dropped when it is not nil.
func (r *ring) dropBefore(cutoff int64, dropped func(*Entry)) {
	for r.n > 0 && r.at(0).at < cutoff {
		r.evicted = r.at(0).seq
		if dropped != nil {
			dropped(r.at(0))
		}
		r.buf[r.start] = nil
		r.start = (r.start + 1) % len(r.buf)
		r.n--
	}
}

// firstAfter is the index of the oldest held entry with seq above seq
// (r.n if none).
func (r *ring) firstAfter(seq uint64) int {
	return sort.Search(r.n, func(i int) bool { return r.at(i).seq > seq })
}

// newest fills dst with held entries newest first, starting below before
// (or from the newest when before is 0), and returns how many it filled.
func (r *ring) newest(dst []*Entry, before uint64) int {
	return newestOf(dst, r.n, r.at, before)
}

// newestOf is newest for n entries in seq order, the i-th of which is
// at(i): the ring, or one of the index's lists.
func newestOf(dst []*Entry, n int, at func(int) *Entry, before uint64) int {
	i := n - 1
	if before != 0 {
		i = sort.Search(n, func(i int) bool { return at(i).seq >= before }) - 1
	}
	filled := 0
	for ; i >= 0 && filled < len(dst); i-- {
		dst[filled] = at(i)
		filled++
	}
	return filled
}
