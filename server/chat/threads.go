package chat

// Conversation picks the messages a history read wants. The zero value
// picks every message; Everyone, the messages to everyone; Reg with Peer,
// the direct messages registration Reg sent to or got from the name whose
// compare key is Peer (any holder of it), notes to itself when Peer is its
// own name; Room, the messages of the room of that id.
type Conversation struct {
	Everyone bool
	Reg      RegID
	Peer     string
	Room     string
}

// thread is one registration's direct messages with one name: what an
// index entry is kept under.
type thread struct {
	reg  RegID
	peer string
}

// threads indexes the messages a MemoryLog keeps by conversation, when
// they are added, so a history read of one conversation costs what it
// returns rather than a walk over every message kept (10,000 of one's own
// direct messages made one read for a quiet conversation cost 37 ms).
// Every list is in seq order, as the ring is, and loses its oldest entry
// when the ring does; an emptied list is dropped, so the index holds no
// more than the ring does. Guarded by the MemoryLog's lock.
type threads struct {
	everyone entryQueue
	direct   map[thread]*entryQueue
	rooms    map[string]*entryQueue // by room id
}

// threadsOf are the threads a direct message is kept under: one for each
// party (one for a note to oneself).
func threadsOf(e *Entry) (a, b thread, two bool) {
	a = thread{e.from, e.toKey}
	b = thread{e.to, e.fromKey}
	return a, b, a != b
}

func (t *threads) add(e *Entry) {
	if e.room != "" {
		if t.rooms == nil {
			t.rooms = make(map[string]*entryQueue)
		}
		q := t.rooms[e.room]
		if q == nil {
			q = &entryQueue{}
			t.rooms[e.room] = q
		}
		q.push(e)
		return
	}
	if !e.Direct() {
		t.everyone.push(e)
		return
	}
	if t.direct == nil {
		t.direct = make(map[thread]*entryQueue)
	}
	a, b, two := threadsOf(e)
	t.queue(a).push(e)
	if two {
		t.queue(b).push(e)
	}
}

func (t *threads) queue(k thread) *entryQueue {
	q := t.direct[k]
	if q == nil {
		q = &entryQueue{}
		t.direct[k] = q
	}
	return q
}

// drop forgets e, the oldest message the ring held.
func (t *threads) drop(e *Entry) {
	if e.room != "" {
		if q := t.rooms[e.room]; q != nil && q.popOldest(e) && q.len() == 0 {
			delete(t.rooms, e.room)
		}
		return
	}
	if !e.Direct() {
		t.everyone.popOldest(e)
		return
	}
	a, b, two := threadsOf(e)
	t.dropFrom(a, e)
	if two {
		t.dropFrom(b, e)
	}
}

func (t *threads) dropFrom(k thread, e *Entry) {
	if q := t.direct[k]; q != nil && q.popOldest(e) && q.len() == 0 {
		delete(t.direct, k)
	}
}

// of is the list conversation c reads, nil when it has none.
func (t *threads) of(c Conversation) *entryQueue {
	if c.Room != "" {
		return t.rooms[c.Room]
	}
	if c.Everyone {
		return &t.everyone
	}
	return t.direct[thread{c.Reg, c.Peer}]
}

// entryQueue is a list of entries in seq order, oldest dropped first.
type entryQueue struct {
	es   []*Entry
	head int // es[head:] are held
}

func (q *entryQueue) len() int { return len(q.es) - q.head }

func (q *entryQueue) push(e *Entry) { q.es = append(q.es, e) }

// popOldest drops the oldest entry if it is e, and reports whether it was.
func (q *entryQueue) popOldest(e *Entry) bool {
	if q.len() == 0 || q.es[q.head] != e {
		return false
	}
	q.es[q.head] = nil
	q.head++
	if q.head >= 64 && q.head*2 >= len(q.es) {
		// Move the held half down rather than let the slice grow: a list
		// costs about twice what it holds, at most.
		n := copy(q.es, q.es[q.head:])
		clear(q.es[n:])
		q.es, q.head = q.es[:n], 0
	}
	return true
}

// newest is ring.newest for the list.
func (q *entryQueue) newest(dst []*Entry, before uint64) int {
	held := q.es[q.head:]
	return newestOf(dst, len(held), func(i int) *Entry { return held[i] }, before)
}
