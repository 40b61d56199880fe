package protocol

import (
	"unicode/utf8"
)

// Room event types: additions to the contract. Each is a sequenced event,
// and each is new, so that a client that knows nothing of rooms (it ignores
// types it does not know) never shows a room's talk as everyone's.
const (
	// TypeRoomMessage is a message in a room: a message event with Room
	// set, seen by the room's members only.
	TypeRoomMessage = "room_message"
	// TypeRoom says a room was made, changed or deleted (Change), with
	// the room as it is now in RoomInfo: for a public room to everyone,
	// for a private one to its members.
	TypeRoom = "room"
	// TypeRoomJoin says From became a member of Room (By, when someone
	// else added them); TypeRoomLeave that From is no longer one (By,
	// when someone else removed them). Seen by the room's members and by
	// From.
	TypeRoomJoin  = "room_join"
	TypeRoomLeave = "room_leave"
)

// Changes a room event tells of (Event.Change).
const (
	RoomCreated = "created"
	RoomUpdated = "updated"
	RoomDeleted = "deleted"
)

// Limits of rooms.
const (
	// MaxTopicBytes is the longest room topic, in bytes of UTF-8.
	MaxTopicBytes = 512
	// MinGroup and MaxGroup bound a group conversation (a private room
	// made with its members): the people named plus its maker.
	MinGroup = 3
	MaxGroup = 20
	// MaxRooms is the most public rooms GET /api/rooms returns at once.
	MaxRooms = 200
)

// Room describes a room: GET /api/rooms' entries, the answer to
// POST /api/rooms and PATCH /api/rooms/{id}, and RoomInfo of a room
// event. ID is the server's, short and opaque; Name follows the name
// rules and is unique among rooms by its compare key; Owner is the name
// of whoever made it (their registration owns it); Members counts its
// members.
type Room struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Topic   string `json:"topic,omitempty"`
	Private bool   `json:"private,omitempty"`
	Owner   string `json:"owner,omitempty"`
	Members int    `json:"members,omitempty"`
}

// RoomRequest is the body of POST /api/rooms. Members, for a private room
// only, names the people it is made with (a group conversation): each
// online, MinGroup to MaxGroup people with its maker.
type RoomRequest struct {
	Name    string   `json:"name"`
	Topic   string   `json:"topic,omitempty"`
	Private bool     `json:"private,omitempty"`
	Members []string `json:"members,omitempty"`
}

// RoomPatch is the body of PATCH /api/rooms/{id}: a field left out (null)
// is left as it is.
type RoomPatch struct {
	Name  *string `json:"name,omitempty"`
	Topic *string `json:"topic,omitempty"`
}

// MemberRequest is the body of POST /api/rooms/{id}/members: the name of
// the person (online) to add.
type MemberRequest struct {
	Name string `json:"name"`
}

// Rooms is the body of GET /api/rooms: a page of public rooms in the
// compare-key order of their names (Next, when set, is the after= of
// the next page), and every room the asker is a member of (Mine).
type Rooms struct {
	Rooms []Room `json:"rooms"`
	Next  string `json:"next,omitempty"`
	Mine  []Room `json:"mine"`
}

// ValidTopic checks a room's topic against the contract's limits.
func ValidTopic(topic string) error {
	if len(topic) > MaxTopicBytes {
		return Errorf(CodeTooLarge, "a topic is at most %d bytes (this one has %d)", MaxTopicBytes, len(topic))
	}
	if !utf8.ValidString(topic) {
		return Errorf(CodeBadRequest, "a topic must be UTF-8 text")
	}
	return nil
}

// InRoom reports whether the event belongs to a room's conversation (a
// room message, or an action on one).
func (e *Event) InRoom() bool {
	return e.Room != "" && (e.Type == TypeRoomMessage || e.IsAction())
}
