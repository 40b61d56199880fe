package chat

import (
	"testing"

	"hark/app/protocol"
)

// Every type of event the protocol names has a row in the table, and the
// row agrees with the protocol on what is sequenced; history is messages
// and the actions on them.
func TestEveryKindHasARow(t *testing.T) {
	types := []string{
		protocol.TypeMessage, protocol.TypeJoin, protocol.TypeLeave, protocol.TypeHello,
		protocol.TypePresence, protocol.TypeReset, protocol.TypeAck, protocol.TypeError, protocol.TypeTyping,
		protocol.TypeReact, protocol.TypeEdit, protocol.TypeDelete, protocol.TypeRead,
		protocol.TypeRoomMessage, protocol.TypeRoom, protocol.TypeRoomJoin, protocol.TypeRoomLeave,
	}
	if len(types) != len(kinds) {
		t.Errorf("the table has %d rows for %d types", len(kinds), len(types))
	}
	for _, typ := range types {
		k, ok := kinds[typ]
		if !ok {
			t.Errorf("no row for %q", typ)
			continue
		}
		ev := protocol.Event{Type: typ}
		if k.Stored() != ev.Sequenced() {
			t.Errorf("%q: stored %v, the protocol says sequenced %v", typ, k.Stored(), ev.Sequenced())
		}
		if k.InHistory() != (isMessage(typ) || ev.IsAction()) {
			t.Errorf("%q: in history %v; history is what people said and did to it", typ, k.InHistory())
		}
		if k.Action != ev.IsAction() {
			t.Errorf("%q: an action %v, the protocol says %v", typ, k.Action, ev.IsAction())
		}
	}
}

// The log keeps each kind in its row's ring: a churn of joins and leaves
// never evicts a message, and a message is in history.
func TestLogKeepsKindsInTheirRings(t *testing.T) {
	l := NewMemoryLog(2, 2)
	appendKind(t, l, protocol.TypeMessage, 2)
	appendKind(t, l, protocol.TypeJoin, 5)
	appendKind(t, l, "a kind of a newer node", 3)
	var msgs []uint64
	l.Messages(0, Conversation{}, func(e *Entry) bool { msgs = append(msgs, e.Seq()); return true })
	if len(msgs) != 2 || msgs[0] != 2 || msgs[1] != 1 {
		t.Errorf("messages kept %v, want [2 1] whatever else came", msgs)
	}
}
