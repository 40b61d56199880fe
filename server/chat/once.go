package chat

import (
	"sync"
	"time"
)

// onceMap keeps values under keys for a while, each to be taken once:
// device codes and passkey ceremonies, in a store held in this process.
type onceMap[V any] struct {
	now  func() time.Time
	mu   sync.Mutex
	kept map[CodeKey]onceValue[V]
}

type onceValue[V any] struct {
	v     V
	until time.Time // the end of its ttl
}

func newOnceMap[V any](now func() time.Time) *onceMap[V] {
	if now == nil {
		now = time.Now
	}
	return &onceMap[V]{now: now, kept: make(map[CodeKey]onceValue[V])}
}

// put keeps v under k until ttl has passed; it forgets expired values as
// it goes, so those nobody takes do not pile up.
func (m *onceMap[V]) put(k CodeKey, v V, ttl time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for key, old := range m.kept {
		if !now.Before(old.until) {
			delete(m.kept, key)
		}
	}
	m.kept[k] = onceValue[V]{v: v, until: now.Add(ttl)}
}

// take removes k and returns its value; ok is false for a key never put,
// already taken or past its ttl.
func (m *onceMap[V]) take(k CodeKey) (v V, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept, ok := m.kept[k]
	delete(m.kept, k)
	if !ok || !m.now().Before(kept.until) {
		return v, false
	}
	return kept.v, true
}
