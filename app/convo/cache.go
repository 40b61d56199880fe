package convo

import (
	"encoding/json"

	"hark/app/client"
	"hark/app/protocol"
)

// What the cache keeps: the last CacheMessages sequenced messages of each
// of the CacheConversations most recent conversations. Unsent messages
// live in the client's outbox, which restores them itself. At a few
// hundred bytes a message this stays well under a megabyte, a fifth of
// what browsers give localStorage.
const (
	CacheMessages      = 100
	CacheConversations = 20
)

// cacheDoc is the cache's form in storage.
type cacheDoc struct {
	// Reg is the registration whose conversations these are (see
	// client.Client.Registration): a name released and taken again is
	// another registration, and must not see them.
	Reg   string      `json:"reg"`
	Epoch string      `json:"epoch"`
	Convs []cacheConv `json:"convs"`
}

type cacheConv struct {
	With   string `json:"with"`
	Unread int    `json:"unread,omitempty"`
	Read   uint64 `json:"read,omitempty"`
	// Room is the room a room's conversation is of.
	Room  *protocol.Room `json:"room,omitempty"`
	Items []client.Item  `json:"items"`
}

// Save encodes what a reload with the server down shows: the newest
// messages of the most recent conversations, bounded, with their unread
// counts, for the registration reg.
func (m *Model) Save(reg string) []byte {
	doc := cacheDoc{Reg: reg, Epoch: m.epoch}
	for _, c := range m.List() {
		if len(doc.Convs) == CacheConversations {
			break
		}
		var items []client.Item
		for i := len(c.chunks) - 1; i >= 0 && len(items) < CacheMessages; i-- {
			ch := c.chunks[i]
			take := min(len(ch), CacheMessages-len(items))
			items = append(append([]client.Item(nil), ch[len(ch)-take:]...), items...)
		}
		if len(items) == 0 && c.Unread == 0 && !c.Everyone() && c.Room == nil {
			continue
		}
		doc.Convs = append(doc.Convs, cacheConv{With: c.With, Unread: c.Unread, Read: c.Read, Room: c.Room, Items: items})
	}
	b, _ := json.Marshal(doc)
	return b
}

// Load fills a new model from what Save wrote for the registration reg,
// and reports whether it could. A cache of another registration (an
// earlier holder of the name on this browser, or one written before
// caches named theirs) is refused: the caller should delete it. What the
// server sends later merges with it by seq; a new epoch drops it (see
// Sync).
func (m *Model) Load(b []byte, reg string) bool {
	var doc cacheDoc
	if len(b) == 0 || json.Unmarshal(b, &doc) != nil || reg == "" || doc.Reg != reg {
		return false
	}
	m.epoch = doc.Epoch
	for _, cc := range doc.Convs {
		c := m.conversation(cc.With, true)
		if cc.Room != nil && IsRoomKey(cc.With) && RoomKey(cc.Room.ID) == cc.With {
			c.setRoom(*cc.Room)
		}
		c.Unread, c.Read = cc.Unread, cc.Read
		for _, it := range cc.Items {
			if it.Event.Seq == 0 || m.key(m.Route(it.Event)) != c.Key {
				continue
			}
			if _, ok := m.seen[it.Event.Seq]; !ok {
				m.put(it)
			}
		}
	}
	return true
}
