// Package chat is Hark's domain: names and sessions, the event log, fan-out
// to streams and who may see what. It knows nothing of HTTP; the transports
// in server/api drive it.
//
// # Lock order
//
// Locks are taken in this order and never the other way round; none is held
// across fan-out to streams (the fan-out goroutine delivers with no domain
// lock held, taking only the hub's room index, hub shard and stream
// locks). With the in-memory
// store none is held across I/O either; with NATS, membership and a
// name's send lock are held across the store's round trips (the claim, the
// append), which serialises joins and leaves on a node, and one name's
// sends, but nothing else; a room's lock is held across its change's
// writes to the rooms bucket and its append, which serialises one room's
// changes. The file store is used under no lock at all: a
// send reads its file's metadata before the send lock and records it sent
// after; a delete drops its message's file after the append:
//
//	roomLocks[i]          one room's changes (store, then log: see roomchat.go)
//	sendLocks[i]          one name's sends (check id, append, remember id)
//	  Chat.membership     joins, leaves and the presence roster
//	    Registry (own)    names
//	    Session.mu        released, streams, grace, its device-code,
//	                      passkey and read-mark budgets
//	      roomIndex.mu    the hub's members of each room (the fan-out
//	                      holds it, read, while it delivers to a room;
//	                      opening a stream takes it, read, to put the
//	                      stream on its rooms' lists in its shard)
//	      hubShard.mu     which streams a shard holds, and which of them
//	                      each room's (a membership change takes it,
//	                      under roomIndex.mu, to move a member's streams)
//	        Stream.mu     a stream's queue and end
//	    MemoryLog.mu      the log's rings
//	      fanout.mu       entries waiting for the fan-out goroutine
//	    Chat.mu           the session table (also taken alone)
//	addrBudgets.mu        per-address budgets (alone)
//	idMemory.mu           remembered client ids (alone)
//	MemorySignals.mu      the signals' feed (alone; released before feeding)
//	MemoryDevices.mu      device codes and sign-outs (alone)
//	MemoryRooms.mu        rooms and members: a leaf, taken under roomLocks
//	                      (a room's change) or sendLocks (a room message's
//	                      check of its sender), holding nothing else
//	roomBudgets.mu        the budgets of rooms made (alone)
//	MemoryReadState.mu    read positions (alone; a read event is
//	                      published after it is let go)
//	fanout.obsMu          the list of observers
//	  observer.mu         one observer's queue (the fan-out offers to it
//	                      under obsMu; the observer's goroutine takes from
//	                      it alone)
//
// A typing notice holds no domain lock at all: Chat.Typing checks the
// session and the recipient, publishes a Signal, and every node's feed
// queues it to its fan-out (fanout.mu, alone), which delivers it like any
// control event. Chat.RoomTyping checks membership as a room's send does
// (MemoryRooms.mu alone, and the store's read, under no lock), and its
// signal is delivered like a room's entry, minus its sender's streams.
//
// The fan-out goroutine takes hubShard.mu (read) then Stream.mu, one stream
// at a time, under roomIndex.mu (read) for a room's entry; it holds nothing
// else. Applying a room's join, leave or deletion, it takes roomIndex.mu
// then a shard's lock, and no Stream.mu.
package chat

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"hark/app/protocol"
)

// Entry is one event on its way to streams: its wire form, encoded once for
// every recipient, and what decides who may see it. An entry keeps only its
// JSON and a few words: the text lives once, inside the JSON.
type Entry struct {
	// JSON is the event's wire form, shared by every delivery: transports
	// write it as is and must not modify it.
	JSON []byte

	seq  uint64 // position in the log; 0 for control events
	kind string // the event's type, one of protocol's Type constants
	at   int64  // when it was logged, Unix milliseconds, for retention by age
	// from and to are the registrations party to a direct message; to is
	// 0 for everything that is not one. Visibility follows registrations,
	// not names: a later holder of a name is a different registration.
	from, to RegID
	// fromKey and toKey are the compare keys of a direct message's two
	// names, which history's index reads by (see threads); empty for
	// everything else.
	fromKey, toKey string

	// body is the event's JSON without its seq, until the entry is sealed.
	body []byte
	// dedupe names a message by its sender's name and client id, and a
	// join or leave by itself (see presenceEntry), so a log can store a
	// retry once.
	dedupe string
	// target is the seq of the message an action acts on; 0 for
	// everything else.
	target uint64
	// deleted marks a tombstone: a deleted message as reads show it,
	// which a log makes and keeps beside the message (see MemoryLog).
	deleted bool
	// room is the id of the room whose members alone may see the entry
	// (a room message, an action on one, a room's joins and leaves, a
	// private room's changes); empty for everything else. The chat
	// decides who those are (Chat.sees), by membership, not the entry.
	room string
}

// Record is an entry as a durable log stores it: everything but its seq,
// which is the log's to give.
type Record struct {
	Kind     string
	From, To RegID
	// Body is the event's JSON without its seq.
	Body []byte
	// FromKey and ToKey are the compare keys of a direct message's sender
	// and recipient names; empty for everything else. A record stored
	// without them has them read from its body.
	FromKey, ToKey string
	// Dedupe is equal for a message and its retries, under any session of
	// the sender's name; empty for joins and leaves.
	Dedupe string
	// At is when the event was logged.
	At time.Time
	// Room is the room whose members alone may see it; empty for
	// everything not of a room, and for what a public room tells
	// everyone.
	Room string
}

// Record is the stored form of an entry the log has not sealed yet.
func (e *Entry) Record() Record {
	return Record{Kind: e.kind, From: e.from, To: e.to, FromKey: e.fromKey, ToKey: e.toKey, Body: e.body, Dedupe: e.dedupe, At: time.UnixMilli(e.at), Room: e.room}
}

// Seal gives an entry a durable log appended the seq the log gave it.
func (e *Entry) Seal(seq uint64) { e.seal(seq) }

// NewEntry is an entry, not yet appended, of record r: for tools that
// feed a log themselves, and a store's conformance tests (see storetest).
// r.Body is the event's JSON without its seq.
func NewEntry(r Record) *Entry {
	e := &Entry{kind: r.Kind, from: r.From, to: r.To, fromKey: r.FromKey, toKey: r.ToKey, body: r.Body, dedupe: r.Dedupe, at: r.At.UnixMilli(), room: r.Room}
	if KindOf(r.Kind).Action {
		// The target is in the body only: actions are few beside
		// messages, and are read once, here.
		var a struct{ Target uint64 }
		json.Unmarshal(r.Body, &a)
		e.target = a.Target
	}
	return e
}

// EntryFromRecord is the entry at seq of a durable log.
func EntryFromRecord(seq uint64, r Record) *Entry {
	e := NewEntry(r)
	if e.to != 0 && (e.fromKey == "" || e.toKey == "") {
		// Stored before records carried the keys: read them once, here,
		// not at every history read.
		var names struct{ From, To string }
		json.Unmarshal(r.Body, &names)
		e.fromKey, e.toKey = protocol.NameKey(names.From), protocol.NameKey(names.To)
	}
	e.seal(seq)
	return e
}

// RegID names one registration of a name: one session, from taking the name
// to releasing it. It is random, so it is unique across nodes and restarts.
type RegID uint64

// newEntry returns an entry for ev, to be sealed by the log. It encodes ev
// here, before any lock is taken; sealing only puts the seq in front.
func newEntry(ev protocol.Event, from, to RegID) *Entry {
	ev.Seq = 0
	e := &Entry{kind: ev.Type, from: from, to: to, target: ev.Target, body: encodeEvent(&ev)}
	if ev.Time != nil {
		e.at = ev.Time.UnixMilli()
	}
	return e
}

// seal gives the entry its seq and its wire form, {"seq":N, then the rest
// of the body (the encoder puts seq first and omits it when zero); the body
// is then dropped, so the entry holds its text once.
func (e *Entry) seal(seq uint64) {
	e.seq = seq
	b := make([]byte, 0, len(e.body)+len(`{"seq":,`)+20)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, ',')
	e.JSON = append(b, e.body[1:]...)
	e.body = nil
}

// encodeEvent is ev's wire form. HTML is not escaped: clients render text,
// never HTML, and escaping turns each <, > and & into six bytes. Encoding a
// protocol.Event cannot fail: it holds only strings, numbers and a time.
func encodeEvent(ev *protocol.Event) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		panic("chat: encoding an event: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Seq is the entry's position in the log, 0 for control events (a hello
// carries the head in its seq field, which is not a position of its own).
func (e *Entry) Seq() uint64 { return e.seq }

// Type is the event's type, one of protocol's Type constants.
func (e *Entry) Type() string { return e.kind }

// Event decodes the entry's wire form, for tests and tools; the hot paths
// use JSON as it is.
func (e *Entry) Event() protocol.Event {
	var ev protocol.Event
	if e.JSON == nil {
		json.Unmarshal(e.body, &ev)
		return ev
	}
	json.Unmarshal(e.JSON, &ev)
	return ev
}

// Direct reports whether the entry is a direct message.
func (e *Entry) Direct() bool { return e.to != 0 }

// Room is the id of the room whose members alone may see the entry, ""
// when it is not a room's.
func (e *Entry) Room() string { return e.room }

// everyones reports whether every stream may see the entry.
func (e *Entry) everyones() bool { return e.to == 0 && e.room == "" }

// VisibleTo reports whether registration r may see the entry: broadcasts,
// joins and leaves are for everyone, a direct message only for the two
// registrations that were party to it. A room's entry is for its members,
// which the entry cannot know: VisibleTo says no, and the chat, which
// knows the members, asks Chat.sees instead.
func (e *Entry) VisibleTo(r RegID) bool {
	if e.room != "" {
		return false
	}
	return e.to == 0 || e.from == r || e.to == r
}

// Deleted reports whether the entry is a deleted message's tombstone.
func (e *Entry) Deleted() bool { return e.deleted }

// tombstone is the deleted message e as reads show it from now on: who
// wrote it, to whom and when, never its text.
func (e *Entry) tombstone() *Entry {
	ev := e.Event()
	t := &Entry{kind: e.kind, from: e.from, to: e.to, fromKey: e.fromKey, toKey: e.toKey, at: e.at, deleted: true, room: e.room,
		body: encodeEvent(&protocol.Event{Type: ev.Type, ID: ev.ID, From: ev.From, To: ev.To, Room: ev.Room, Time: ev.Time, ReplyTo: ev.ReplyTo, Deleted: true})}
	t.seal(e.seq)
	return t
}

// control makes an unsequenced event for streams (hello, presence, reset).
func control(ev protocol.Event) *Entry {
	return &Entry{kind: ev.Type, JSON: encodeEvent(&ev)}
}
