package chat_test

import (
	"testing"

	"hark/server/chat"
	"hark/server/chat/storetest"
)

// The memory store keeps the store contract: one deployment is one
// process, so every node of it is the same store.
func TestStoreContract(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, l chat.Limits) storetest.Deployment {
			st := chat.MemoryStore(l, nil)
			return func(*testing.T) chat.Store { return st }
		})
	})
}
