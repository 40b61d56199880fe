package convo

import (
	"testing"

	"hark/app/client"
	"hark/app/protocol"
)

// withRead is a state carrying the server's read positions.
func withRead(read map[string]protocol.ReadMark, items ...client.Item) client.State {
	s := state(items...)
	s.Read = read
	return s
}

// Another device reads Bob's conversation: its unread count and the
// title clear here; a lower position changes nothing; what comes after
// the position counts again, others' messages only.
func TestReadElsewhereClearsUnread(t *testing.T) {
	m := New("Alice")
	m.Open("")
	for seq := uint64(1); seq <= 3; seq++ {
		ev := msg(seq, "Bob", "Alice", "unread here")
		m.Arrived(ev)
		m.Sync(state(item(ev)))
	}
	if m.Unread() != 3 || Title(m.Unread()) != "(3) Hark" {
		t.Fatalf("before: %d unread, title %q", m.Unread(), Title(m.Unread()))
	}
	v := m.Get("bob").Version
	if !m.Sync(withRead(map[string]protocol.ReadMark{"bob": {With: "Bob", Seq: 3}})) {
		t.Fatal("Sync with a new position reports no change")
	}
	if c := m.Get("bob"); c.Unread != 0 || c.Read != 3 || c.Version == v || Title(m.Unread()) != "Hark" {
		t.Fatalf("after the phone read: unread %d, read %d, version moved %v, title %q", c.Unread, c.Read, c.Version != v, Title(m.Unread()))
	}
	if m.Sync(withRead(map[string]protocol.ReadMark{"bob": {With: "Bob", Seq: 2}})) {
		t.Error("a lower position changed something")
	}
	for _, ev := range []protocol.Event{msg(4, "Alice", "Bob", "my own"), msg(5, "Bob", "Alice", "new")} {
		m.Arrived(ev)
		m.Sync(state(item(ev)))
	}
	if u := m.Get("bob").Unread; u != 1 {
		t.Fatalf("after a new message of Bob's and one of mine: unread %d, want 1", u)
	}
	// Everyone's, which is in view here, and a stream that merges before
	// the live event comes.
	m.Open("bob")
	ev := msg(6, "Carol", "", "to all")
	m.Sync(state(item(ev)))
	m.Arrived(ev)
	if u := m.Get("").Unread; u != 1 {
		t.Fatalf("Everyone's unread %d, want 1", u)
	}
	m.Sync(withRead(map[string]protocol.ReadMark{"": {Everyone: true, Seq: 6}}))
	if m.Unread() != 0 {
		t.Fatalf("after everyone's was read elsewhere: %d unread", m.Unread())
	}
}

// A device that learns the server's position before the history (a new
// device, or one that was away) counts what is after the position as
// unread, and opens the conversation with its New line there.
func TestNewLineAtTheServersPosition(t *testing.T) {
	m := New("Alice")
	m.Open("")
	m.Sync(withRead(map[string]protocol.ReadMark{"bob": {With: "Bob", Seq: 2}}))
	var items []client.Item
	for seq := uint64(1); seq <= 5; seq++ {
		items = append(items, item(msg(seq, "Bob", "Alice", "history")))
	}
	m.Sync(state(items...))
	if u := m.Get("Bob").Unread; u != 3 {
		t.Fatalf("unread after the position 2 of 5: %d, want 3", u)
	}
	c := m.Open("Bob")
	if c.NewFrom != 3 || c.Unread != 0 || c.Read != 5 {
		t.Fatalf("opened: NewFrom %d, unread %d, read %d; want 3, 0, 5", c.NewFrom, c.Unread, c.Read)
	}
	// What this device read is kept with the cache.
	again := New("Alice")
	if !again.Load(m.Save("r"), "r") || again.Get("bob").Read != 5 {
		t.Fatalf("the position after a reload: %+v", again.Get("bob"))
	}
	// A new epoch: positions in the old log mean nothing.
	m.Sync(client.State{Epoch: "e2"})
	if c := m.Get("bob"); c.Read != 0 {
		t.Fatalf("read %d after a new epoch, want 0", c.Read)
	}
}

// Joins and leaves after the last message are not what a position
// marks: the conversation in view is read up to its newest message.
func TestReadStopsAtTheNewestMessage(t *testing.T) {
	m := New("Alice")
	m.Open("")
	m.Sync(state(item(msg(1, "Bob", "", "hi")), item(protocol.Event{Seq: 2, Type: protocol.TypeJoin, From: "Carol"})))
	if r := m.Get("").Read; r != 1 {
		t.Fatalf("Everyone's read %d, want 1 (the message, not Carol's join)", r)
	}
}

// Another device reads a room (State.Read under client.RoomKey): the
// room's unread count clears here, and only the others' messages after
// the position count again; a person called like the room's key is
// another conversation, left as it was. Opened here, the room is read up
// to its newest message.
func TestRoomReadElsewhereClearsUnread(t *testing.T) {
	m := New("Alice")
	m.Joined(goRoom)
	m.Open("")
	evs := []protocol.Event{roomMsg(1, goRoom.ID, "Bob", "one"), roomMsg(2, goRoom.ID, "Bob", "two"), msg(3, "#"+goRoom.ID, "Alice", "a person")}
	for _, ev := range evs {
		m.Arrived(ev)
		m.Sync(state(item(ev)))
	}
	k := RoomKey(goRoom.ID)
	if k != client.RoomKey(goRoom.ID) {
		t.Fatalf("the model keys a room %q, the client %q", k, client.RoomKey(goRoom.ID))
	}
	if u := m.Get(k).Unread; u != 2 {
		t.Fatalf("before: the room's unread %d, want 2", u)
	}
	if !m.Sync(withRead(map[string]protocol.ReadMark{client.RoomKey(goRoom.ID): {Room: goRoom.ID, Seq: 2}})) {
		t.Fatal("Sync with the room's position reports no change")
	}
	if c := m.Get(k); c.Unread != 0 || c.Read != 2 {
		t.Fatalf("after the phone read the room: unread %d, read %d", c.Unread, c.Read)
	}
	if u := m.Get("#" + goRoom.ID).Unread; u != 1 || m.Unread() != 1 {
		t.Fatalf("the person called like the room: unread %d (all %d), want 1", u, m.Unread())
	}
	for _, ev := range []protocol.Event{roomMsg(4, goRoom.ID, "Alice", "mine"), roomMsg(5, goRoom.ID, "Bob", "new")} {
		m.Arrived(ev)
		m.Sync(state(item(ev)))
	}
	if u := m.Get(k).Unread; u != 1 {
		t.Fatalf("after one of mine and one of Bob's: the room's unread %d, want 1", u)
	}
	// Read here, the room's position is its newest message: what this
	// device tells the server.
	if c := m.Open(k); c.Read != 5 || c.Unread != 0 {
		t.Fatalf("after opening the room: read %d, unread %d; want 5 and 0", c.Read, c.Unread)
	}
}
