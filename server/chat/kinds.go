package chat

import "hark/app/protocol"

// Kind is how the server treats one type of event: whether it is stored,
// where, and who may see it. Every type of event the server makes has a
// row in kinds; adding a type is adding a row (and TestEveryKindHasARow
// holds the table to the protocol's list).
type Kind struct {
	// Ring is the part of the log that keeps it, and the subject a
	// durable log stores it under; RingNone when it is made for streams
	// and never kept.
	Ring Ring
	// Direct: when it names a recipient, only the sender's and the
	// recipient's registrations may see it (Entry.VisibleTo); otherwise
	// everyone.
	Direct bool
	// Action: it acts on a message (its target), and is kept, seen and
	// read in history as that message is: by the same people, in the
	// same conversation.
	Action bool
	// Room: it belongs to a room, and when it names one (Entry.Room)
	// only the room's members may see it (Chat.sees): the hub finds
	// their streams by the room's index, not by walking every stream.
	Room bool
}

// Stored reports whether the event is appended to the log and gets a seq
// (protocol's Sequenced). What is stored is replayed to a resume from
// before it.
func (k Kind) Stored() bool { return k.Ring != RingNone }

// InHistory reports whether GET /api/history returns it: what the
// messages ring keeps.
func (k Kind) InHistory() bool { return k.Ring == RingMessages }

// Ring is a part of the log with a bound of its own, so that a churn of
// one kind never evicts another.
type Ring int

const (
	// RingNone: not stored.
	RingNone Ring = iota
	// RingMessages keeps what people said: history reads it.
	RingMessages
	// RingPresence keeps joins and leaves, for resume only.
	RingPresence
)

// kinds is the table. Control events (hello, presence, reset, ack, error)
// are made by the server for one stream or the fan-out; typing and read
// go through Signals to every node, and are never stored (a read event
// goes to the streams of the person who read, every device of theirs).
var kinds = map[string]Kind{
	protocol.TypeMessage:  {Ring: RingMessages, Direct: true},
	protocol.TypeJoin:     {Ring: RingPresence},
	protocol.TypeLeave:    {Ring: RingPresence},
	protocol.TypeHello:    {},
	protocol.TypePresence: {},
	protocol.TypeReset:    {},
	protocol.TypeAck:      {},
	protocol.TypeError:    {},
	protocol.TypeTyping:   {Direct: true},
	protocol.TypeRead:     {Direct: true},
	protocol.TypeReact:    {Ring: RingMessages, Direct: true, Action: true},
	protocol.TypeEdit:     {Ring: RingMessages, Direct: true, Action: true},
	protocol.TypeDelete:   {Ring: RingMessages, Direct: true, Action: true},
	// Rooms: a room's messages are history; its joins, leaves and
	// changes are kept for resume, as presence is, so that a churn of
	// members never evicts what was said.
	protocol.TypeRoomMessage: {Ring: RingMessages, Room: true},
	protocol.TypeRoom:        {Ring: RingPresence, Room: true},
	protocol.TypeRoomJoin:    {Ring: RingPresence, Room: true},
	protocol.TypeRoomLeave:   {Ring: RingPresence, Room: true},
}

// isMessage reports whether an event of type t is a message people
// wrote (to everyone, to a person or in a room): what actions act on.
func isMessage(t string) bool { return t == protocol.TypeMessage || t == protocol.TypeRoomMessage }

// KindOf is the row of the event type t. A type with no row (one a newer
// node stored, in a cluster being upgraded) is kept for resume, as
// presence is, and never shown in history: what this node does not know,
// it replays but does not interpret.
func KindOf(t string) Kind {
	if k, ok := kinds[t]; ok {
		return k
	}
	return Kind{Ring: RingPresence}
}
