package convo

import (
	"fmt"
	"testing"

	"hark/app/client"
	"hark/app/protocol"
)

func roomMsg(seq uint64, room, from, text string) protocol.Event {
	ev := msg(seq, from, "", text)
	ev.Type, ev.Room = protocol.TypeRoomMessage, room
	return ev
}

func roomEv(seq uint64, typ, room, from string, info protocol.Room) protocol.Event {
	return protocol.Event{Seq: seq, Type: typ, Room: room, From: from, RoomInfo: &info, Time: protocol.NewTime(t0)}
}

var goRoom = protocol.Room{ID: "k2x7qmab", Name: "Go", Topic: "gophers", Owner: "Bob", Members: 2}

// One's join makes a room's conversation, apart from Everyone's and from
// a person's (even one called like its key); its messages and actions go
// there; others' joins and a rename update its name, topic and count;
// one's leave drops it, and the room in view goes back to Everyone's.
func TestRoomConversations(t *testing.T) {
	m := New("Alice")
	m.Open("")
	k := RoomKey(goRoom.ID)
	m.Sync(state(
		item(roomEv(1, protocol.TypeRoom, goRoom.ID, "Bob", goRoom)), // a public room's news
		item(msg(2, "Bob", "", "hi all")),
	))
	if m.Get(k) != nil || len(m.Rooms()) != 0 {
		t.Fatal("a room one is not in has a conversation")
	}
	m.Sync(state(
		item(roomEv(3, protocol.TypeRoomJoin, goRoom.ID, "alice", goRoom)),
		item(roomMsg(4, goRoom.ID, "Bob", "in the room")),
		item(msg(5, "#k2x7qmab", "Alice", "from a person called like a room")),
		item(protocol.Event{Seq: 6, Type: protocol.TypeReact, Room: goRoom.ID, From: "Bob", Target: 4, Emoji: "👍", On: true}),
	))
	c := m.Get(k)
	if c == nil || c.Room == nil || *c.Room != goRoom {
		t.Fatalf("the room's conversation: %+v", c)
	}
	if got := texts(c); fmt.Sprint(got) != "[in the room]" || len(c.Items()[0].Reactions) != 1 {
		t.Errorf("the room holds %q, reactions %+v", got, c.Items()[0].Reactions)
	}
	if got := texts(m.Get("")); fmt.Sprint(got) != "[hi all]" {
		t.Errorf("Everyone holds %q", got)
	}
	if p := m.Get("#k2x7qmab"); p == nil || p == c || p.Room != nil || fmt.Sprint(texts(p)) != "[from a person called like a room]" {
		t.Errorf("the person #k2x7qmab's conversation: %+v", p)
	}
	if rs := m.Rooms(); len(rs) != 1 || rs[0] != c {
		t.Errorf("Rooms() = %v", rs)
	}

	renamed := goRoom
	renamed.Name, renamed.Topic, renamed.Members = "Golang", "", 3
	m.Sync(state(item(roomEv(7, protocol.TypeRoomJoin, goRoom.ID, "Carol", renamed))))
	if *c.Room != renamed {
		t.Errorf("after Carol's join the room is %+v", *c.Room)
	}

	m.Open(k)
	if m.Active() != c {
		t.Fatal("the room is not in view")
	}
	fewer := renamed
	fewer.Members = 2
	m.Sync(state(item(roomEv(8, protocol.TypeRoomLeave, goRoom.ID, "Alice", fewer))))
	if m.Get(k) != nil || len(m.Rooms()) != 0 || !m.Active().Everyone() {
		t.Errorf("after leaving: %v, %d rooms, Everyone in view %v", m.Get(k), len(m.Rooms()), m.Active().Everyone())
	}
}

// A room's messages count unread while another conversation is in view,
// its own count apart from Everyone's; opening the room reads them.
func TestRoomUnread(t *testing.T) {
	m := New("Alice")
	m.Joined(goRoom)
	m.Open("")
	m.Arrived(roomMsg(1, goRoom.ID, "Bob", "one"))
	m.Arrived(roomMsg(2, goRoom.ID, "Bob", "two"))
	m.Arrived(roomMsg(3, goRoom.ID, "Alice", "mine"))
	m.Arrived(msg(4, "Bob", "", "in view"))
	k := RoomKey(goRoom.ID)
	if u := m.Get(k).Unread; u != 2 || m.Get("").Unread != 0 || m.Unread() != 2 {
		t.Errorf("the room's unread %d, Everyone's %d, all %d", u, m.Get("").Unread, m.Unread())
	}
	m.Open(k)
	if m.Get(k).Unread != 0 || m.Unread() != 0 {
		t.Errorf("after opening the room: %d unread", m.Unread())
	}
}

// One's own message to a room shows there at once, unsent, then sent.
func TestRoomUnsent(t *testing.T) {
	m := New("Alice")
	m.Joined(goRoom)
	k := RoomKey(goRoom.ID)
	pending := client.Item{Event: protocol.Event{Type: protocol.TypeRoomMessage, ID: "c-1", From: "Alice", Room: goRoom.ID, Text: "hello"}, Own: true, Status: client.Pending}
	m.Sync(state(pending))
	if got := m.Get(k).Unsent(); len(got) != 1 || len(m.Get("").Unsent()) != 0 {
		t.Fatalf("unsent: the room's %d, Everyone's %d", len(got), len(m.Get("").Unsent()))
	}
	sent := pending
	sent.Event.Seq, sent.Status = 9, client.Sent
	m.Sync(state(sent))
	if c := m.Get(k); len(c.Unsent()) != 0 || fmt.Sprint(texts(c)) != "[hello]" {
		t.Errorf("after sending the room holds %q, unsent %d", texts(c), len(c.Unsent()))
	}
}

// Scrollback of a room merges its own page, nothing of another's.
func TestRoomScrollback(t *testing.T) {
	m := New("Alice")
	m.Joined(goRoom)
	k := RoomKey(goRoom.ID)
	m.Older(k, protocol.History{Events: []protocol.Event{
		roomMsg(1, goRoom.ID, "Bob", "old"),
		roomMsg(2, "other", "Bob", "elsewhere"),
		msg(3, "Bob", "", "everyone's"),
	}})
	if c := m.Get(k); fmt.Sprint(texts(c)) != "[old]" || c.More {
		t.Errorf("the room holds %q, More %v", texts(c), c.More)
	}
}

// The server's list of one's rooms makes their conversations and drops
// one left while away; the room's deletion drops it too; the cache keeps
// rooms with their names, even one with no messages yet.
func TestSetRoomsDeleteAndCache(t *testing.T) {
	m := New("Alice")
	gone := protocol.Room{ID: "gone2222", Name: "Old"}
	m.Joined(gone)
	other := protocol.Room{ID: "abcd2345", Name: "Books", Members: 4}
	if !m.SetRooms([]protocol.Room{goRoom, other}) {
		t.Error("SetRooms changed nothing")
	}
	if m.Get(RoomKey(gone.ID)) != nil || len(m.Rooms()) != 2 || m.Rooms()[0].Room.Name != "Books" {
		t.Fatalf("rooms after SetRooms: %v", m.Rooms())
	}
	if m.SetRooms([]protocol.Room{goRoom, other}) {
		t.Error("the same list again changed something")
	}
	m.Sync(state(item(roomMsg(1, goRoom.ID, "Bob", "kept")), item(roomEv(2, protocol.TypeRoom, other.ID, "Bob", other))))
	del := roomEv(3, protocol.TypeRoom, other.ID, "Bob", other)
	del.Change = protocol.RoomDeleted

	b := m.Save("reg")
	r := New("Alice")
	if !r.Load(b, "reg") {
		t.Fatal("Load refused Save's")
	}
	if c := r.Get(RoomKey(goRoom.ID)); c == nil || *c.Room != goRoom || fmt.Sprint(texts(c)) != "[kept]" {
		t.Errorf("the room back from the cache: %+v", c)
	}
	if c := r.Get(RoomKey(other.ID)); c == nil || *c.Room != other {
		t.Errorf("the room with no messages back from the cache: %+v", c)
	}
	r.Sync(state(item(del)))
	if r.Get(RoomKey(other.ID)) != nil || len(r.Rooms()) != 1 {
		t.Errorf("a deleted room is kept: %v", r.Rooms())
	}
}
