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

// Holder is who holds a name: its display form and the registration that
// took it.
type Holder struct {
	Display string
	Reg     RegID
}

// Registry holds the names in use across the deployment, by compare key.
// The in-memory Registry serves one node; a cluster puts a shared one (NATS
// KV) behind the same interface.
type Registry interface {
	// Claim takes key for h, or returns ErrNameTaken.
	Claim(ctx context.Context, key string, h Holder) error
	// Release frees key if registration reg still holds it, and reports
	// whether it did.
	Release(ctx context.Context, key string, reg RegID) (bool, error)
	// Held reports whether registration reg holds key, from the store's
	// own record, never a copy that may lag: a decision rests on it.
	Held(ctx context.Context, key string, reg RegID) (bool, error)
	// Lookup returns the holder of key, if it is held.
	Lookup(key string) (h Holder, ok bool)
	// Count is the number of names held.
	Count() int
	// List returns, in key order, up to limit display names whose keys
	// start with prefix.
	List(prefix string, limit int) []string
	// Holders calls visit with every name held and its holder.
	Holders(visit func(key string, h Holder))
}

// MemoryRegistry is a Registry held in memory.
type MemoryRegistry struct {
	mu      sync.RWMutex
	holders map[string]Holder // by key
	keys    []string          // sorted, for prefix search
}

// NewMemoryRegistry returns an empty registry.
func NewMemoryRegistry() *MemoryRegistry {
	return &MemoryRegistry{holders: make(map[string]Holder)}
}

// Claim implements Registry.
func (r *MemoryRegistry) Claim(_ context.Context, key string, h Holder) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.holders[key]; ok {
		return ErrNameTaken
	}
	r.holders[key] = h
	i := sort.SearchStrings(r.keys, key)
	r.keys = append(r.keys, "")
	copy(r.keys[i+1:], r.keys[i:])
	r.keys[i] = key
	return nil
}

// Release implements Registry.
func (r *MemoryRegistry) Release(_ context.Context, key string, reg RegID) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.holders[key]; ok && h.Reg == reg {
		r.removeLocked(key)
		return true, nil
	}
	return false, nil
}

// Lookup implements Registry.
func (r *MemoryRegistry) Lookup(key string) (Holder, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.holders[key]
	return h, ok
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
		out = append(out, r.holders[r.keys[i]].Display)
	}
	return out
}

// Set makes h the holder of key, whoever held it: a node's copy of a shared
// registry follows the shared one with Set and Remove.
func (r *MemoryRegistry) Set(key string, h Holder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.holders[key]; !ok {
		i := sort.SearchStrings(r.keys, key)
		r.keys = append(r.keys, "")
		copy(r.keys[i+1:], r.keys[i:])
		r.keys[i] = key
	}
	r.holders[key] = h
}

// Remove frees key, whoever held it.
func (r *MemoryRegistry) Remove(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeLocked(key)
}

func (r *MemoryRegistry) removeLocked(key string) {
	if _, ok := r.holders[key]; !ok {
		return
	}
	delete(r.holders, key)
	i := sort.SearchStrings(r.keys, key)
	r.keys = append(r.keys[:i], r.keys[i+1:]...)
}

// Holders implements Registry.
func (r *MemoryRegistry) Holders(visit func(key string, h Holder)) {
	r.mu.RLock()
	held := make(map[string]Holder, len(r.holders))
	for k, h := range r.holders {
		held[k] = h
	}
	r.mu.RUnlock()
	for k, h := range held {
		visit(k, h)
	}
}
