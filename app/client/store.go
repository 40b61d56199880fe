package client

import (
	"sync"

	"hark/app/protocol"
)

// Store persists what must survive a reload: the session (token, name,
// epoch, seq) and the outbox. In the browser the UI passes NewBrowserStore;
// on the host, NewMemoryStore serves.
type Store interface {
	// Get returns the value of key and whether it is set.
	Get(key string) (string, bool)
	// Set stores value under key.
	Set(key, value string)
	// Delete removes key.
	Delete(key string)
}

// Keys the Client uses. The session keys are per tab (a second tab is a
// second person); the outbox is keyed by name so that a message written
// before the tab closed is sent when that name joins again.
const (
	keyToken        = "hark.token"
	keyName         = "hark.name"
	keyEpoch        = "hark.epoch"
	keySeq          = "hark.seq"
	keyOutboxPrefix = "hark.outbox."
	keyCachePrefix  = "hark.cache."
)

// CacheKey is the Store key under which the UI keeps what it shows of the
// conversations of the person named name, so a reload with the server
// down still shows them. Like the outbox it is kept by name key, in
// localStorage in the browser; what is kept there names its registration
// (Client.Registration), so that the next holder of the name does not see
// it.
func CacheKey(name string) string { return keyCachePrefix + protocol.NameKey(name) }

// outboxKey is the Store key of the outbox of the person with name key k.
func outboxKey(k string) string { return keyOutboxPrefix + k }

// MemoryStore is a Store held in memory, safe for concurrent use.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]string
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: make(map[string]string)} }

// Get implements Store.
func (s *MemoryStore) Get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok
}

// Set implements Store.
func (s *MemoryStore) Set(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
}

// Delete implements Store.
func (s *MemoryStore) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}
