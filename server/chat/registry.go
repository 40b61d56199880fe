package chat

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
)

// ErrNameTaken is returned by Registry.Claim for a name that is held.
var ErrNameTaken = errors.New("chat: name taken")

// Registry holds the names in use across the deployment, by compare key.
// The in-memory Registry serves one node; a cluster puts a shared one (NATS
// KV) behind the same interface.
type Registry interface {
	// Claim takes key for display, or returns ErrNameTaken.
	Claim(ctx context.Context, key, display string) error
	// Release frees key.
	Release(ctx context.Context, key string) error
	// Lookup returns the display form of key, if it is held.
	Lookup(key string) (display string, ok bool)
	// Count is the number of names held.
	Count() int
	// List returns, in key order, up to limit display names whose keys
	// start with prefix.
	List(prefix string, limit int) []string
}

// MemoryRegistry is a Registry held in memory.
type MemoryRegistry struct {
	mu      sync.RWMutex
	display map[string]string // key -> display
	keys    []string          // sorted, for prefix search
}

// NewMemoryRegistry returns an empty registry.
func NewMemoryRegistry() *MemoryRegistry {
	return &MemoryRegistry{display: make(map[string]string)}
}

// Claim implements Registry.
func (r *MemoryRegistry) Claim(_ context.Context, key, display string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.display[key]; ok {
		return ErrNameTaken
	}
	r.display[key] = display
	i := sort.SearchStrings(r.keys, key)
	r.keys = append(r.keys, "")
	copy(r.keys[i+1:], r.keys[i:])
	r.keys[i] = key
	return nil
}

// Release implements Registry.
func (r *MemoryRegistry) Release(_ context.Context, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.display[key]; !ok {
		return nil
	}
	delete(r.display, key)
	i := sort.SearchStrings(r.keys, key)
	r.keys = append(r.keys[:i], r.keys[i+1:]...)
	return nil
}

// Lookup implements Registry.
func (r *MemoryRegistry) Lookup(key string) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.display[key]
	return d, ok
}

// Count implements Registry.
func (r *MemoryRegistry) Count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.keys)
}

// List implements Registry.
func (r *MemoryRegistry) List(prefix string, limit int) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := []string{}
	for i := sort.SearchStrings(r.keys, prefix); i < len(r.keys) && len(out) < limit; i++ {
		if !strings.HasPrefix(r.keys[i], prefix) {
			break
		}
		out = append(out, r.display[r.keys[i]])
	}
	return out
}
