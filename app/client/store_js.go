//go:build js && wasm

package client

import (
	"strings"
	"syscall/js"
)

// browserStore keeps session keys in sessionStorage (per tab, so two tabs
// are two people and a reload keeps the name) and outboxes and the UI's
// conversation caches in localStorage (so they outlive the tab).
type browserStore struct {
	session, local js.Value
}

// NewBrowserStore returns the Store of the browser tab: the session in
// sessionStorage, outboxes in localStorage. If the browser refuses storage
// (private modes may), it falls back to memory, so the chat still works for
// the life of the page.
func NewBrowserStore() Store {
	s := js.Global().Get("sessionStorage")
	l := js.Global().Get("localStorage")
	if !s.Truthy() || !l.Truthy() {
		return NewMemoryStore()
	}
	return &browserStore{session: s, local: l}
}

func (b *browserStore) area(key string) js.Value {
	if strings.HasPrefix(key, keyOutboxPrefix) || strings.HasPrefix(key, keyCachePrefix) {
		return b.local
	}
	return b.session
}

// Get implements Store.
func (b *browserStore) Get(key string) (string, bool) {
	v := b.area(key).Call("getItem", key)
	if v.IsNull() || v.IsUndefined() {
		return "", false
	}
	return v.String(), true
}

// Set implements Store. A full storage quota throws; the value is then
// only in memory for this page, which is the best that can be done.
func (b *browserStore) Set(key, value string) {
	defer func() { recover() }()
	b.area(key).Call("setItem", key, value)
}

// Delete implements Store.
func (b *browserStore) Delete(key string) { b.area(key).Call("removeItem", key) }
