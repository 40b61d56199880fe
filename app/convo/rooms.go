package convo

import (
	"slices"
	"strings"

	"hark/app/client"
	"hark/app/protocol"
)

// RoomKey is the key, and With, of the conversation of the room id: what
// Get, Open and Older take for it. It is the client's key for the room
// (client.RoomKey), which never collides with a person's ("#go" is a
// valid name; a room's key starts with a space, a name never does).
func RoomKey(id string) string { return client.RoomKey(id) }

// IsRoomKey reports whether with names a room's conversation.
func IsRoomKey(with string) bool { return client.RoomOf(with) != "" }

// isRoomEvent reports whether ev tells of a room itself (made, changed,
// deleted, joined, left) rather than being said in one.
func isRoomEvent(ev *protocol.Event) bool {
	switch ev.Type {
	case protocol.TypeRoom, protocol.TypeRoomJoin, protocol.TypeRoomLeave:
		return true
	}
	return false
}

// roomConversation returns the conversation of the room info tells of,
// made if missing, with info as the room is now.
func (m *Model) roomConversation(info protocol.Room) *Conversation {
	c := m.conversation(RoomKey(info.ID), false)
	c.setRoom(info)
	return c
}

// setRoom records info as the room c is of, noting a change.
func (c *Conversation) setRoom(info protocol.Room) {
	if c.Room == nil || *c.Room != info {
		r := info
		c.Room = &r
		c.Version++
	}
}

// roomEvent applies a room event and reports whether a conversation
// changed: one's own join makes the room's conversation, one's own leave
// (or removal) and the room's deletion drop it, and every one of them
// brings the room's name, topic and member count as they are now.
func (m *Model) roomEvent(ev protocol.Event) bool {
	if ev.Room == "" {
		return false
	}
	k := RoomKey(ev.Room)
	mine := m.key(ev.From) == m.meKey
	switch {
	case ev.Type == protocol.TypeRoomLeave && mine,
		ev.Type == protocol.TypeRoom && ev.Change == protocol.RoomDeleted:
		return m.dropRoom(k)
	case ev.Type == protocol.TypeRoomJoin && mine && ev.RoomInfo != nil:
		m.roomConversation(*ev.RoomInfo)
		return true
	}
	c := m.direct[k]
	if c == nil || ev.RoomInfo == nil {
		return false // a public room one is not in: the list of rooms' news
	}
	v := c.Version
	c.setRoom(*ev.RoomInfo)
	return c.Version != v
}

// dropRoom forgets the conversation with key k, if held; the one in
// view goes back to Everyone's.
func (m *Model) dropRoom(k string) bool {
	if _, ok := m.direct[k]; !ok {
		return false
	}
	delete(m.direct, k)
	if m.active == k {
		m.active = ""
		m.markRead()
	}
	return true
}

// SetRooms makes the rooms one is in what the server listed (GET
// /api/rooms' Mine): a conversation for each, with its name, topic and
// member count, and none for a room not listed (left while away).
func (m *Model) SetRooms(mine []protocol.Room) bool {
	changed := false
	for _, r := range mine {
		c := m.direct[RoomKey(r.ID)]
		if c == nil || c.Room == nil || *c.Room != r {
			m.roomConversation(r)
			changed = true
		}
	}
	for k, c := range m.direct {
		if c.Room != nil && !slices.ContainsFunc(mine, func(r protocol.Room) bool { return RoomKey(r.ID) == k }) {
			changed = m.dropRoom(k) || changed
		}
	}
	return changed
}

// Joined makes the conversation of a room one just joined or made (the
// server's answer), before its join event comes.
func (m *Model) Joined(r protocol.Room) *Conversation { return m.roomConversation(r) }

// Left drops the conversation of the room id one just left, before its
// leave event comes.
func (m *Model) Left(id string) bool { return m.dropRoom(RoomKey(id)) }

// Rooms returns the conversations of the rooms one is in, by name.
func (m *Model) Rooms() []*Conversation {
	var out []*Conversation
	for _, c := range m.direct {
		if c.Room != nil {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *Conversation) int {
		if c := strings.Compare(protocol.NameKey(a.Room.Name), protocol.NameKey(b.Room.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}
