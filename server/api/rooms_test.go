package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"hark/app/protocol"
	"hark/server/api"
)

// createRoom makes a room as token and fails the test on a refusal.
func (ts *testServer) createRoom(t *testing.T, token string, req protocol.RoomRequest) protocol.Room {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: "/api/rooms", token: token, body: req})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /api/rooms %+v: %d %s", req, r.status, r.body)
	}
	var room protocol.Room
	r.decode(t, &room)
	return room
}

// sendRoom sends a message to a room and returns its seq.
func (ts *testServer) sendRoom(t *testing.T, token, id, room, text string) uint64 {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: "/api/messages", token: token, body: protocol.Send{ID: id, Room: room, Text: text}})
	if r.status != http.StatusOK {
		t.Fatalf("sending %q to room %s: %d %s", id, room, r.status, r.body)
	}
	var res protocol.SendResult
	r.decode(t, &res)
	return res.Seq
}

func (ts *testServer) rooms(t *testing.T, token string) protocol.Rooms {
	t.Helper()
	r := ts.do(t, request{method: "GET", path: "/api/rooms", token: token})
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/rooms: %d %s", r.status, r.body)
	}
	var l protocol.Rooms
	r.decode(t, &l)
	return l
}

// query is the parsed query string q.
func query(q string) url.Values {
	v, err := url.ParseQuery(q)
	if err != nil {
		panic(err)
	}
	return v
}

// oldClientShows reports whether a client that knows nothing of rooms
// would show an event of e's type.
func oldClientShows(e protocol.Event) bool {
	switch e.Type {
	case protocol.TypeMessage, protocol.TypeJoin, protocol.TypeLeave:
		return true
	}
	return false
}

// On every transport, a room's messages reach its members, live and on
// resume, as room_message events with their room; someone in no room
// gets none of them, live, by resume or by history, and nothing a client
// that knows nothing of rooms would show as everyone's.
func TestRoomMessagesReachMembersOnly(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			ts := newServer(t, nil)
			alice, bob, carol, dave := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol"), ts.register(t, "Dave")
			bs, ds := ts.open(t, tr, bob.Token, nil, ""), ts.open(t, tr, dave.Token, nil, "")
			bs.hello(t)
			ds.hello(t)
			pub := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Gophers", Topic: "Go"})
			if r := ts.do(t, request{method: "POST", path: "/api/rooms/" + pub.ID + "/join", token: bob.Token}); r.status != http.StatusOK {
				t.Fatalf("joining: %d %s", r.status, r.body)
			}
			group := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Plans", Private: true, Members: []string{"Bob", "Carol"}})
			if group.Members != 3 || !group.Private {
				t.Fatalf("group %+v", group)
			}
			p1 := ts.sendRoom(t, alice.Token, "a1", pub.ID, "in public")
			g1 := ts.sendRoom(t, carol.Token, "c1", group.ID, "in private")
			end := ts.send(t, carol.Token, "c2", "", "to everyone")

			got := bs.until(t, end)
			var roomMsgs []protocol.Event
			for _, e := range got {
				if e.Type == protocol.TypeRoomMessage {
					roomMsgs = append(roomMsgs, e)
				}
				if oldClientShows(e) && e.Room != "" {
					t.Errorf("Bob got a %s with a room: %+v", e.Type, e)
				}
			}
			if len(roomMsgs) != 2 || roomMsgs[0].Seq != p1 || roomMsgs[0].Room != pub.ID || roomMsgs[1].Seq != g1 || roomMsgs[1].Room != group.ID {
				t.Errorf("Bob's room messages %+v: want a1 in %s, c1 in %s", roomMsgs, pub.ID, group.ID)
			}
			checkOutsider := func(what string, evs []protocol.Event) {
				t.Helper()
				for _, e := range evs {
					if e.Room != "" && e.Type != protocol.TypeRoom || e.Type == protocol.TypeRoom && e.Room == group.ID {
						t.Errorf("Dave, in no room, got by %s: %+v", what, e)
					}
				}
				if m := messages(evs); len(m) != 1 || m[0].ID != "c2" {
					t.Errorf("Dave's messages by %s: %+v, want c2 only", what, m)
				}
			}
			checkOutsider("live", ds.until(t, end))
			ds.Close()
			rs := ts.open(t, tr, dave.Token, at(0), "")
			checkOutsider("resume", rs.until(t, end))
			checkOutsider("history", ts.history(t, dave.Token, query("")).Events)
			ts.do(t, request{method: "GET", path: "/api/history?room=" + group.ID, token: dave.Token}).wantError(t, http.StatusNotFound, protocol.CodeNotFound, group.ID)
			ts.do(t, request{method: "GET", path: "/api/history?room=" + pub.ID, token: dave.Token}).wantError(t, http.StatusNotFound, protocol.CodeNotFound, pub.ID)

			bs.Close()
			rb := ts.open(t, tr, bob.Token, at(0), "")
			n := 0
			for _, e := range rb.until(t, end) {
				if e.Type == protocol.TypeRoomMessage {
					n++
				}
			}
			if n != 2 {
				t.Errorf("Bob's resume replayed %d room messages, want 2", n)
			}
			h := ts.history(t, bob.Token, query("room="+group.ID))
			if len(h.Events) != 1 || h.Events[0].Text != "in private" || h.More {
				t.Errorf("Bob's history of the group %+v", h)
			}
			if h := ts.history(t, bob.Token, query("everyone=1")); len(h.Events) != 1 || h.Events[0].ID != "c2" {
				t.Errorf("everyone=1 %+v: want only the message to everyone", h.Events)
			}
		})
	}
}

// Paging a room's history takes before and limit and says more, as for
// every conversation.
func TestRoomHistoryPages(t *testing.T) {
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	r := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Gophers"})
	var seqs []uint64
	for i := range 5 {
		seqs = append(seqs, ts.sendRoom(t, alice.Token, "m"+strconv.Itoa(i), r.ID, "text "+strconv.Itoa(i)))
		ts.send(t, alice.Token, "e"+strconv.Itoa(i), "", "between")
	}
	h := ts.history(t, alice.Token, query("room="+r.ID+"&limit=2"))
	if len(h.Events) != 2 || h.Events[0].Seq != seqs[3] || !h.More {
		t.Fatalf("first page %+v", h)
	}
	h = ts.history(t, alice.Token, query("room="+r.ID+"&limit=5&before="+strconv.FormatUint(seqs[3], 10)))
	if len(h.Events) != 3 || h.Events[0].Seq != seqs[0] || h.More {
		t.Fatalf("second page %+v", h)
	}
	ts.do(t, request{method: "GET", path: "/api/history?room=" + r.ID + "&everyone=1", token: alice.Token}).wantError(t, http.StatusBadRequest, protocol.CodeBadRequest, "one")
	ts.do(t, request{method: "GET", path: "/api/history?room=", token: alice.Token}).wantError(t, http.StatusBadRequest, protocol.CodeBadRequest, "room")
}

// A room's owner renames it, sets its topic, removes a member and deletes
// anyone's message in it; others may not; the operator, with the admin
// credential, may everywhere, and a wrong credential is no credential.
func TestRoomOwnerAndOperator(t *testing.T) {
	ts := newServer(t, func(c *config) { c.AdminToken = "operator-secret" })
	alice, bob, dave := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Dave")
	r := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Gophers"})
	ts.do(t, request{method: "POST", path: "/api/rooms/" + r.ID + "/join", token: bob.Token})
	bs := ts.open(t, "ws", bob.Token, nil, "")
	bs.hello(t)
	name, topic := "Go", "all things Go"
	patch := func(token string, p protocol.RoomPatch, header map[string]string) response {
		return ts.do(t, request{method: "PATCH", path: "/api/rooms/" + r.ID, token: token, body: p, header: header})
	}
	patch(bob.Token, protocol.RoomPatch{Name: &name}, nil).wantError(t, http.StatusForbidden, protocol.CodeForbidden, "owner")
	patch(dave.Token, protocol.RoomPatch{Name: &name}, map[string]string{api.AdminHeader: "guess"}).wantError(t, http.StatusForbidden, protocol.CodeForbidden, "owner")
	if got := patch(alice.Token, protocol.RoomPatch{Name: &name, Topic: &topic}, nil); got.status != http.StatusOK {
		t.Fatalf("the owner's rename: %d %s", got.status, got.body)
	}
	changed := bs.expect(t, "the room's change", func(e protocol.Event) bool { return e.Type == protocol.TypeRoom && e.Change == protocol.RoomUpdated })
	if changed.RoomInfo == nil || changed.RoomInfo.Name != "Go" || changed.RoomInfo.Topic != topic || changed.From != "Alice" {
		t.Errorf("room event %+v", changed)
	}
	bad := "Gophers"
	if got := patch(dave.Token, protocol.RoomPatch{Topic: &bad}, map[string]string{api.AdminHeader: "operator-secret"}); got.status != http.StatusOK {
		t.Fatalf("the operator's topic: %d %s", got.status, got.body)
	}

	seq := ts.sendRoom(t, bob.Token, "b1", r.ID, "spam")
	act := func(token, id string, header map[string]string) response {
		return ts.do(t, request{method: "POST", path: "/api/actions", token: token, header: header, body: protocol.Action{Type: protocol.TypeDelete, ID: id, Target: seq}})
	}
	act(dave.Token, "d1", map[string]string{api.AdminHeader: "operator-secret"}).wantError(t, http.StatusNotFound, protocol.CodeNotFound, "")
	if got := act(alice.Token, "a1", nil); got.status != http.StatusOK {
		t.Fatalf("the owner deleting Bob's message: %d %s", got.status, got.body)
	}
	del := bs.expect(t, "the delete", func(e protocol.Event) bool { return e.Type == protocol.TypeDelete })
	if del.Room != r.ID || del.Target != seq {
		t.Errorf("delete %+v", del)
	}
	seq = ts.sendRoom(t, alice.Token, "a2", r.ID, "mine")
	act(bob.Token, "b2", nil).wantError(t, http.StatusForbidden, protocol.CodeForbidden, "author")

	ts.do(t, request{method: "DELETE", path: "/api/rooms/" + r.ID + "/members/alice", token: bob.Token}).wantError(t, http.StatusForbidden, protocol.CodeForbidden, "owner")
	if got := ts.do(t, request{method: "DELETE", path: "/api/rooms/" + r.ID + "/members/" + url.PathEscape("BOB"), token: alice.Token}); got.status != http.StatusNoContent {
		t.Fatalf("the owner removing Bob: %d %s", got.status, got.body)
	}
	left := bs.expect(t, "Bob's removal", func(e protocol.Event) bool { return e.Type == protocol.TypeRoomLeave })
	if left.From != "Bob" || left.By != "Alice" || left.Room != r.ID {
		t.Errorf("room_leave %+v", left)
	}
	ts.do(t, request{method: "POST", path: "/api/messages", token: bob.Token, body: protocol.Send{ID: "b3", Room: r.ID, Text: "still here?"}}).wantError(t, http.StatusForbidden, protocol.CodeForbidden, "join")
	if got := ts.do(t, request{method: "DELETE", path: "/api/rooms/" + r.ID, token: dave.Token, header: map[string]string{api.AdminHeader: "operator-secret"}}); got.status != http.StatusNoContent {
		t.Fatalf("the operator deleting the room: %d %s", got.status, got.body)
	}
	if l := ts.rooms(t, alice.Token); len(l.Rooms) != 0 || len(l.Mine) != 0 {
		t.Errorf("rooms after the delete %+v", l)
	}
}

// Bad input is refused with a clear error, and nothing is stored: a
// private room cannot be joined, a room one is not in cannot be sent to,
// a taken name is taken, bad names and bodies are bad, and a flood of
// rooms is rate_limited with Retry-After.
func TestRoomBadInput(t *testing.T) {
	ts := newServer(t, func(c *config) { c.Chat.RoomBurst, c.Chat.RoomRate = 3, 0.0001 })
	alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
	group := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Plans", Private: true, Members: []string{"Bob", "Carol"}})
	pub := ts.createRoom(t, bob.Token, protocol.RoomRequest{Name: "Gophers"})
	dave := ts.register(t, "Dave")
	before := ts.api.Chat().Head()

	try := func(method, path, token string, body any) response {
		return ts.do(t, request{method: method, path: path, token: token, body: body})
	}
	try("POST", "/api/rooms/"+group.ID+"/join", dave.Token, nil).wantError(t, http.StatusNotFound, protocol.CodeNotFound, group.ID)
	try("POST", "/api/rooms/nosuch/join", dave.Token, nil).wantError(t, http.StatusNotFound, protocol.CodeNotFound, "nosuch")
	try("POST", "/api/messages", dave.Token, protocol.Send{ID: "d1", Room: group.ID, Text: "hi"}).wantError(t, http.StatusNotFound, protocol.CodeNotFound, group.ID)
	try("POST", "/api/messages", dave.Token, protocol.Send{ID: "d2", Room: pub.ID, Text: "hi"}).wantError(t, http.StatusForbidden, protocol.CodeForbidden, "join the room")
	try("POST", "/api/messages", alice.Token, protocol.Send{ID: "a1", Room: group.ID, To: "Bob", Text: "hi"}).wantError(t, http.StatusBadRequest, protocol.CodeBadRequest, "not both")
	try("POST", "/api/rooms", carol.Token, protocol.RoomRequest{Name: "gophers"}).wantError(t, http.StatusConflict, protocol.CodeNameTaken, `a room called "gophers" exists`)
	try("POST", "/api/rooms", carol.Token, protocol.RoomRequest{Name: " "}).wantError(t, http.StatusBadRequest, protocol.CodeInvalidName, "visible")
	try("POST", "/api/rooms", carol.Token, `{"name": 5}`).wantError(t, http.StatusBadRequest, protocol.CodeBadRequest, "name")
	try("POST", "/api/rooms", carol.Token, protocol.RoomRequest{Name: "pair", Private: true, Members: []string{"Alice"}}).wantError(t, http.StatusBadRequest, protocol.CodeBadRequest, "group")
	try("POST", "/api/rooms/"+group.ID+"/members", dave.Token, protocol.MemberRequest{Name: "Dave"}).wantError(t, http.StatusNotFound, protocol.CodeNotFound, group.ID)
	try("POST", "/api/rooms/"+group.ID+"/members", alice.Token, protocol.MemberRequest{Name: "Nobody"}).wantError(t, http.StatusNotFound, protocol.CodeNoSuchUser, "Nobody")
	try("POST", "/api/rooms/"+group.ID+"/leave", dave.Token, nil).wantError(t, http.StatusNotFound, protocol.CodeNotFound, group.ID)
	try("GET", "/api/rooms", "", nil).wantError(t, http.StatusUnauthorized, protocol.CodeUnauthorized, "token")
	if h := ts.api.Chat().Head(); h != before {
		t.Errorf("refusals logged %d events", h-before)
	}
	if l := ts.rooms(t, dave.Token); len(l.Rooms) != 1 || len(l.Mine) != 0 {
		t.Errorf("Dave's list after the refusals %+v: want Gophers, and none of his", l)
	}

	// A taken name cost Carol one of her three (so nobody probes names
	// for free); bad names and bodies cost nothing.
	ts.createRoom(t, carol.Token, protocol.RoomRequest{Name: "one"})
	ts.createRoom(t, carol.Token, protocol.RoomRequest{Name: "two"})
	flood := try("POST", "/api/rooms", carol.Token, protocol.RoomRequest{Name: "three"})
	flood.wantError(t, http.StatusTooManyRequests, protocol.CodeRateLimited, "rooms")
	if flood.header.Get("Retry-After") == "" {
		t.Error("a refused flood says no Retry-After")
	}
	if l := ts.rooms(t, carol.Token); len(l.Mine) != 3 {
		t.Errorf("Carol is in %d rooms, want 3 (the group and two of hers)", len(l.Mine))
	}
}
