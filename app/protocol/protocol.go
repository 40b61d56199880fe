// Package protocol defines the Hark wire contract: the JSON bodies and events
// that the server, the WASM client and every other program exchange, the
// limits they are held to, and the rules for names.
//
// It is imported by both the server and the browser client, so it must stay
// free of server-only dependencies: it compiles for GOOS=js GOARCH=wasm.
package protocol

import (
	"bytes"
	"encoding/json"
	"time"
)

// Limits of the contract.
const (
	// MaxNameRunes is the longest nickname, counted in runes after normalisation.
	MaxNameRunes = 32
	// MaxTextBytes is the longest message text, in bytes of UTF-8.
	MaxTextBytes = 4096
	// MaxBodyBytes is the largest request body or WebSocket frame.
	MaxBodyBytes = 16 << 10
	// MaxIDRunes is the longest client-chosen message id.
	MaxIDRunes = 64
	// MaxHistory is the most events GET /api/history returns.
	MaxHistory = 500
	// MaxUsers is the most names GET /api/users returns.
	MaxUsers = 500
	// DefaultUsers is the number of names GET /api/users returns without limit.
	DefaultUsers = 100
	// MaxPollWait is the longest a long-poll request is held open.
	MaxPollWait = 25 * time.Second
	// PingInterval is how often streams send a keep-alive.
	PingInterval = 15 * time.Second
)

// Event types. Sequenced events (message, join, leave) carry a Seq; control
// events (hello, presence, reset, ack, error, typing) do not.
const (
	TypeMessage  = "message"
	TypeJoin     = "join"
	TypeLeave    = "leave"
	TypeHello    = "hello"
	TypePresence = "presence"
	TypeReset    = "reset"
	TypeAck      = "ack"
	TypeError    = "error"
	// TypeSend is the type of a send frame a client writes on a WebSocket.
	TypeSend = "send"
	// TypeTyping is an unsequenced event saying that From is typing, to
	// everyone, (To set) to the stream's owner or (Room set) in a room
	// the stream's owner is a member of; it is also the type of
	// the frame a client writes on a WebSocket to say it is typing. Never
	// stored, never replayed. An addition to the contract.
	TypeTyping = "typing"
)

// Event is everything a stream carries. Which fields are set depends on Type;
// see docs/PROTOCOL.md. In a hello, Seq is the head of the log (the position the
// stream starts from), not a position of its own: only Sequenced events are
// entries of the log.
type Event struct {
	Seq  uint64 `json:"seq,omitempty"`
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Text string `json:"text,omitempty"`
	Time *Time  `json:"time,omitempty"`
	// Name is the stream owner's name, in hello.
	Name string `json:"name,omitempty"`
	// Online is the number of people online, in hello and presence.
	Online int `json:"online,omitempty"`
	// Users is the roster in hello, absent above the presence threshold.
	Users []string `json:"users,omitempty"`
	Epoch string   `json:"epoch,omitempty"`
	// Error is the refusal carried by an error frame on a WebSocket.
	Error *Error `json:"error,omitempty"`
	// ReplyTo is the seq of the message a message answers. An addition
	// to the contract.
	ReplyTo uint64 `json:"reply_to,omitempty"`
	// Target is the seq of the message an action (react, edit, delete)
	// acts on; Emoji and On are a reaction's. Additions to the contract.
	Target uint64 `json:"target,omitempty"`
	Emoji  string `json:"emoji,omitempty"`
	On     bool   `json:"on,omitempty"`
	// Deleted marks a message its author deleted, as history and replay
	// show it: without its text. An addition to the contract.
	Deleted bool `json:"deleted,omitempty"`
	// File is the file a message carries. An addition to the contract.
	File *File `json:"file,omitempty"`
	// Room is the id of the room a room event, a room message or an
	// action on one belongs to; RoomInfo is the room as it is now, in a
	// room event, and Change what happened to it (RoomCreated, …); By
	// is who added or removed From, in room_join and room_leave, when
	// not From. Additions to the contract (see rooms.go).
	Room     string `json:"room,omitempty"`
	RoomInfo *Room  `json:"room_info,omitempty"`
	Change   string `json:"change,omitempty"`
	By       string `json:"by,omitempty"`
	// With and Everyone name the conversation of a read event (see
	// ReadMark); Seq is then the position read up to. Additions to the
	// contract.
	With     string `json:"with,omitempty"`
	Everyone bool   `json:"everyone,omitempty"`
}

// Sequenced reports whether the event is an entry of the log (has a seq of
// its own).
func (e *Event) Sequenced() bool {
	switch e.Type {
	case TypeMessage, TypeJoin, TypeLeave, TypeReact, TypeEdit, TypeDelete,
		TypeRoomMessage, TypeRoom, TypeRoomJoin, TypeRoomLeave:
		return true
	}
	return false
}

// IsAction reports whether the event acts on a message (its Target).
func (e *Event) IsAction() bool {
	switch e.Type {
	case TypeReact, TypeEdit, TypeDelete:
		return true
	}
	return false
}

// Direct reports whether the event is a direct message, or an action on
// one (To is then the other person of the conversation, as From sees it).
func (e *Event) Direct() bool { return (e.Type == TypeMessage || e.IsAction()) && e.To != "" }

// Send is a message a client asks the server to send: the body of
// POST /api/messages, and a WebSocket frame with Type "send".
type Send struct {
	Type string `json:"type,omitempty"`
	ID   string `json:"id"`
	To   string `json:"to,omitempty"`
	Text string `json:"text"`
	// ReplyTo is the seq of the message this one answers, in the same
	// conversation. An addition to the contract.
	ReplyTo uint64 `json:"reply_to,omitempty"`
	// File is the id of a file the sender uploaded (POST /api/files) to
	// the same conversation; with one, Text may be empty. An addition to
	// the contract.
	File string `json:"file,omitempty"`
	// Room is the id of a room the sender is a member of: the message
	// goes to its members, as a room_message (not with To). An addition
	// to the contract.
	Room string `json:"room,omitempty"`
}

// SendResult answers an accepted send: POST /api/messages' body, and the
// WebSocket ack frame (with Type "ack").
type SendResult struct {
	Type string `json:"type,omitempty"`
	ID   string `json:"id"`
	Seq  uint64 `json:"seq"`
}

// Typing says that its sender is typing, to everyone (To and Room
// empty), to one person (To) or in a room the sender is a member of
// (Room): the body of POST /api/typing, and a WebSocket frame with Type
// "typing".
type Typing struct {
	Type string `json:"type,omitempty"`
	To   string `json:"to"`
	// Room is the id of the room the sender is typing in; its members'
	// streams are told, the sender's are not. An addition to the contract.
	Room string `json:"room,omitempty"`
}

// TypingEvery is the most often one person's typing is passed on: the
// server refuses more (rate_limited), so a client sends at most one per
// conversation this often, however fast its user types.
const TypingEvery = 2 * time.Second

// TypingLasts is how long a client shows that someone is typing after
// the last typing event from them, unless their message comes first.
const TypingLasts = 5 * time.Second

// SessionRequest is the body of POST /api/session.
type SessionRequest struct {
	Name string `json:"name"`
}

// Session answers a registration.
type Session struct {
	Name  string `json:"name"`
	Token string `json:"token"`
	Epoch string `json:"epoch"`
	Seq   uint64 `json:"seq"`
}

// Events is the body of GET /api/poll, and of GET /api/history without
// its addition (see History).
type Events struct {
	Events []Event `json:"events"`
}

// History is the body of GET /api/history: Events as in Events, oldest
// first, and More, set when the server keeps at least one more event the
// same query would return, older than the first of Events (ask again with
// before set to its seq); unset, the page reaches the start of what the
// server keeps. More is an addition to the contract.
type History struct {
	Events []Event `json:"events"`
	More   bool    `json:"more"`
}

// Users is the body of GET /api/users.
type Users struct {
	Online int      `json:"online"`
	Users  []string `json:"users"`
}

// Time is a time.Time that encodes as RFC 3339 with milliseconds, in UTC.
type Time struct{ time.Time }

// TimeFormat is the layout of every time on the wire.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// NewTime returns t, rounded to the millisecond, in UTC, as a wire time.
func NewTime(t time.Time) *Time { return &Time{t.UTC().Truncate(time.Millisecond)} }

// MarshalJSON encodes the time as RFC 3339 with milliseconds.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeFormat)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeFormat)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts any RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		// Every time the server writes: a string with nothing escaped,
		// read without a second JSON decoder (a client does this for
		// every event it receives).
		s = string(b[1 : n-1])
	} else if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}
