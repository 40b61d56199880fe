package chat

import "sync"

// Signal is an unsequenced event on its way to every node's streams,
// which no log stores: someone is typing. It carries the event's wire
// form and whom it is for.
type Signal struct {
	// Kind is the event's type, one of protocol's Type constants.
	Kind string
	// To is the registration the event is for; 0 means every stream (or,
	// with Room, the room's members').
	To RegID
	// Room is the id of the room whose members' streams the event is
	// for, From the registration it comes from, whose streams are left
	// out; both are set together, for a room's signal only.
	Room string
	From RegID
	// JSON is the event's wire form, as streams send it.
	JSON []byte
}

// entry is the signal as the hub delivers it: no seq, so streams pass it
// through without a place in their order, and no sender unless it is a
// room's, so a direct signal reaches only its recipient's streams (a
// room's sender is whom the hub leaves out).
func (s Signal) entry() *Entry {
	e := &Entry{kind: s.Kind, to: s.To, room: s.Room, JSON: s.JSON}
	if s.Room != "" {
		e.from = s.From
	}
	return e
}

// Signals carries signals to every node of a deployment, this one
// included, so each delivers them to its own streams. Delivery is live
// only and best effort: a node that is not listening when a signal goes
// out never sees it. The in-memory Signals serves one node; a cluster puts
// a broadcast that every node hears (a NATS subject) behind the same
// interface.
type Signals interface {
	// Publish hands sig to every node's feed. It must not block for long:
	// the caller holds no lock, but a sender waits for it.
	Publish(sig Signal) error
	// Follow sets the function every signal published from now on, by
	// any node, is handed to; feed only queues. New calls it once.
	Follow(feed func(Signal))
}

// MemorySignals is Signals within one process.
type MemorySignals struct {
	mu   sync.RWMutex
	feed func(Signal)
}

// NewMemorySignals returns Signals for one node.
func NewMemorySignals() *MemorySignals { return &MemorySignals{} }

// Publish implements Signals: it hands sig to the feed at once.
func (m *MemorySignals) Publish(sig Signal) error {
	m.mu.RLock()
	feed := m.feed
	m.mu.RUnlock()
	if feed != nil {
		feed(sig)
	}
	return nil
}

// Follow implements Signals.
func (m *MemorySignals) Follow(feed func(Signal)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.feed = feed
}
