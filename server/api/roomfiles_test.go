package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"hark/app/protocol"
)

// roomUpload posts data as a PNG called name to room.
func (ts *testServer) roomUpload(t *testing.T, token, name, room string, data []byte) response {
	t.Helper()
	q := url.Values{"name": {name}, "room": {room}}
	return ts.do(t, request{method: "POST", path: "/api/files?" + q.Encode(), token: token, body: data, header: map[string]string{"Content-Type": "image/png"}})
}

// Uploading to a room is for its members, refused as a send to it is; a
// person and a room together are a bad request; nothing is stored.
func TestRoomUploadRefusals(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
	ts.register(t, "Dave")
	pub := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Gophers"})
	group := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Plans", Private: true, Members: []string{"Bob", "Dave"}})
	png := testPNG(t, 20, 20)
	ts.roomUpload(t, carol.Token, "a.png", pub.ID, png).wantError(t, http.StatusForbidden, protocol.CodeForbidden, "join the room")
	ts.roomUpload(t, carol.Token, "a.png", group.ID, png).wantError(t, http.StatusNotFound, protocol.CodeNotFound, group.ID)
	ts.roomUpload(t, carol.Token, "a.png", "nosuchrm", png).wantError(t, http.StatusNotFound, protocol.CodeNotFound, "nosuchrm")
	q := url.Values{"name": {"a.png"}, "room": {pub.ID}, "to": {"Bob"}}
	ts.do(t, request{method: "POST", path: "/api/files?" + q.Encode(), token: alice.Token, body: png}).wantError(t, http.StatusBadRequest, protocol.CodeBadRequest, "not both")
	// A room's file goes to its room only, not to another room its
	// uploader is in.
	if r := ts.do(t, request{method: "POST", path: "/api/rooms/" + pub.ID + "/join", token: bob.Token}); r.status != http.StatusOK {
		t.Fatalf("joining: %d %s", r.status, r.body)
	}
	r := ts.roomUpload(t, bob.Token, "b.png", group.ID, png)
	if r.status != http.StatusOK {
		t.Fatalf("a member uploading to a private room: %d %s", r.status, r.body)
	}
	var f protocol.File
	r.decode(t, &f)
	for _, s := range []protocol.Send{{ID: "1", File: f.ID}, {ID: "2", To: "Alice", File: f.ID}, {ID: "3", Room: pub.ID, File: f.ID}} {
		ts.do(t, request{method: "POST", path: "/api/messages", token: bob.Token, body: s}).wantError(t, http.StatusNotFound, protocol.CodeNotFound, "no file")
	}
}

// On every transport a room message carries its file to the room's
// members, who read it and its thumbnail; a non-member neither gets the
// message nor reads the file (404), nor does a member once removed;
// deleting the message deletes the file.
func TestRoomFileReachesMembersOnly(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			ts := newServer(t, nil)
			alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
			pub := ts.createRoom(t, alice.Token, protocol.RoomRequest{Name: "Gophers"})
			if r := ts.do(t, request{method: "POST", path: "/api/rooms/" + pub.ID + "/join", token: bob.Token}); r.status != http.StatusOK {
				t.Fatalf("joining: %d %s", r.status, r.body)
			}
			bs, cs := ts.open(t, tr, bob.Token, nil, ""), ts.open(t, tr, carol.Token, nil, "")
			bs.hello(t)
			cs.hello(t)
			r := ts.roomUpload(t, alice.Token, "cat.png", pub.ID, testPNG(t, 400, 400))
			if r.status != http.StatusOK {
				t.Fatalf("uploading to the room: %d %s", r.status, r.body)
			}
			var pic protocol.File
			r.decode(t, &pic)
			if !pic.Thumb {
				t.Fatalf("the room's picture %+v has no thumbnail", pic)
			}
			r = ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "f1", Room: pub.ID, File: pic.ID, Text: "look"}})
			if r.status != http.StatusOK {
				t.Fatalf("sending the room's file: %d %s", r.status, r.body)
			}
			var res protocol.SendResult
			r.decode(t, &res)
			end := ts.send(t, alice.Token, "e", "", "to everyone")
			var got *protocol.Event
			for _, e := range bs.until(t, end) {
				if e.Seq == res.Seq {
					got = &e
				}
			}
			if got == nil || got.Type != protocol.TypeRoomMessage || got.Room != pub.ID || got.File == nil || *got.File != pic {
				t.Fatalf("Bob got %+v, want a room message in %s with %+v", got, pub.ID, pic)
			}
			for _, e := range cs.until(t, end) {
				if e.Seq == res.Seq || e.File != nil {
					t.Fatalf("Carol, not a member, got %+v", e)
				}
			}
			for _, p := range []string{"/api/files/" + pic.ID, "/api/files/" + pic.ID + "/thumb"} {
				if r := ts.do(t, request{method: "GET", path: p, token: bob.Token}); r.status != http.StatusOK || len(r.body) == 0 {
					t.Fatalf("Bob reading %s: %d", p, r.status)
				}
				ts.do(t, request{method: "GET", path: p, token: carol.Token}).wantError(t, http.StatusNotFound, protocol.CodeNotFound, "no file")
			}
			if r := ts.do(t, request{method: "DELETE", path: "/api/rooms/" + pub.ID + "/members/Bob", token: alice.Token}); r.status/100 != 2 {
				t.Fatalf("removing Bob: %d %s", r.status, r.body)
			}
			ts.do(t, request{method: "GET", path: "/api/files/" + pic.ID, token: bob.Token}).wantError(t, http.StatusNotFound, protocol.CodeNotFound, "no file")
			ts.act(t, alice.Token, protocol.Action{Type: protocol.TypeDelete, ID: "d", Target: res.Seq})
			ts.do(t, request{method: "GET", path: "/api/files/" + pic.ID, token: alice.Token}).wantError(t, http.StatusNotFound, protocol.CodeNotFound, "no file")
		})
	}
}
