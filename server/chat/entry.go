// Package chat is Hark's domain: names and sessions, the event log, fan-out
// to streams and who may see what. It knows nothing of HTTP; the transports
// in server/api drive it.
package chat

import (
	"encoding/json"

	"hark/app/protocol"
)

// Entry is one event on its way to streams: the event, its JSON encoded once
// for every recipient, and the compare keys that decide who may see it.
type Entry struct {
	Event protocol.Event
	// JSON is the event's wire form, shared by every delivery: transports
	// write it as is and must not modify it.
	JSON []byte
	// fromKey and toKey are the compare keys of Event.From and Event.To;
	// toKey is empty for everything but direct messages.
	fromKey, toKey string
	// senderID is the client id of a message, scoped to its sender, for the
	// log to answer retries.
	senderID string
}

// encode fills JSON. Encoding a protocol.Event cannot fail: it holds only
// strings, numbers and a time.
func (e *Entry) encode() {
	b, err := json.Marshal(e.Event)
	if err != nil {
		panic("chat: encoding an event: " + err.Error())
	}
	e.JSON = b
}

// Seq is the entry's position in the log, 0 for control events (a hello
// carries the head in Event.Seq, which is not a position of its own).
func (e *Entry) Seq() uint64 {
	if e.Event.Sequenced() {
		return e.Event.Seq
	}
	return 0
}

// VisibleTo reports whether the person with compare key key may see the
// entry: broadcasts, joins and leaves are for everyone, a direct message only
// for its two parties.
func (e *Entry) VisibleTo(key string) bool {
	return e.toKey == "" || e.fromKey == key || e.toKey == key
}

// control makes an unsequenced event for streams (hello, presence, reset).
func control(ev protocol.Event) *Entry {
	e := &Entry{Event: ev}
	e.encode()
	return e
}
