package api_test

import (
	"net/http"
	"slices"
	"testing"

	"hark/app/protocol"
)

// markRead posts a read position with token.
func (ts *testServer) markRead(t *testing.T, token string, m any) response {
	t.Helper()
	return ts.do(t, request{method: "POST", path: "/api/read", token: token, body: m})
}

// readPositions gets the read positions of token's person.
func (ts *testServer) readPositions(t *testing.T, token string) []protocol.ReadMark {
	t.Helper()
	r := ts.do(t, request{method: "GET", path: "/api/read", token: token})
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/read: %d %s", r.status, r.body)
	}
	var got protocol.ReadMarks
	r.decode(t, &got)
	if got.Read == nil {
		t.Fatalf("GET /api/read: %s, want a read list", r.body)
	}
	slices.SortFunc(got.Read, func(a, b protocol.ReadMark) int { return int(a.Seq) - int(b.Seq) })
	return got.Read
}

// Alice reads Bob's message on her laptop: her phone gets the read event
// on every transport, Carol gets nothing, and a device that asks later
// (GET /api/read) finds the position; nothing of it is replayed.
func TestReadReachesEveryDeviceOfThePerson(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			ts := newServer(t, nil)
			laptop := ts.register(t, "Alice")
			bob, carol := ts.register(t, "Bob"), ts.register(t, "Carol")
			dm := ts.send(t, bob.Token, "b1", "alice", "read me anywhere")
			phone := ts.link(t, ts.deviceCode(t, laptop.Token).Code)
			onPhone := ts.openHeld(t, tr, phone, 1)
			onCarol := ts.openHeld(t, tr, protocol.Session{Token: carol.Token, Seq: phone.Seq, Epoch: phone.Epoch}, 2)

			if r := ts.markRead(t, laptop.Token, protocol.ReadMark{With: "bob", Seq: dm}); r.status != http.StatusNoContent || len(r.body) != 0 {
				t.Fatalf("POST /api/read: %d %s, want 204", r.status, r.body)
			}
			e := onPhone.expect(t, "the laptop's read", func(e protocol.Event) bool { return e.Type == protocol.TypeRead })
			if e.With != "Bob" || e.Seq != dm || e.Everyone || e.Time != nil {
				t.Fatalf("the phone got %+v, want read with Bob at %d", e, dm)
			}
			ts.held(t, tr, 2)
			after := ts.send(t, bob.Token, "b2", "", "to everyone")
			for _, ev := range onCarol.until(t, after) {
				if ev.Type == protocol.TypeRead {
					t.Fatalf("Carol got Alice's read position: %+v", ev)
				}
			}
			ts.held(t, tr, 2)
			if r := ts.markRead(t, phone.Token, protocol.ReadMark{Everyone: true, Seq: after}); r.status != http.StatusNoContent {
				t.Fatalf("marking everyone's read: %d %s", r.status, r.body)
			}
			onPhone.expect(t, "its own read, echoed", func(e protocol.Event) bool {
				return e.Type == protocol.TypeRead && e.Everyone && e.Seq == after
			})
			want := []protocol.ReadMark{{With: "Bob", Seq: dm}, {Everyone: true, Seq: after}}
			if got := ts.readPositions(t, laptop.Token); !slices.Equal(got, want) {
				t.Fatalf("GET /api/read: %+v, want %+v", got, want)
			}
			if got := ts.readPositions(t, carol.Token); len(got) != 0 {
				t.Fatalf("Carol's positions: %+v, want none", got)
			}
			replay := ts.open(t, tr, phone.Token, at(0), phone.Epoch)
			for _, ev := range replay.until(t, after) {
				if ev.Type == protocol.TypeRead {
					t.Fatalf("a replay carried a read event: %+v", ev)
				}
			}
		})
	}
}

// Alice reads a room on her laptop: her phone gets the read event naming
// the room, on every transport, at the room's newest message at or before
// the seq she gave; GET /api/read has the room's position. Carol, not in
// the room, is refused as a send to it is, and nothing is kept for her.
func TestRoomReadReachesEveryDeviceOfTheMember(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			ts := newServer(t, nil)
			laptop := ts.register(t, "Alice")
			bob, carol := ts.register(t, "Bob"), ts.register(t, "Carol")
			room := ts.createRoom(t, laptop.Token, protocol.RoomRequest{Name: "Gophers"})
			if r := ts.do(t, request{method: "POST", path: "/api/rooms/" + room.ID + "/join", token: bob.Token}); r.status != http.StatusOK {
				t.Fatalf("joining: %d %s", r.status, r.body)
			}
			last := ts.sendRoom(t, bob.Token, "b1", room.ID, "read me anywhere")
			after := ts.send(t, carol.Token, "c1", "", "to everyone")
			phone := ts.link(t, ts.deviceCode(t, laptop.Token).Code)
			onPhone := ts.openHeld(t, tr, phone, 1)

			if r := ts.markRead(t, laptop.Token, protocol.ReadMark{Room: room.ID, Seq: after}); r.status != http.StatusNoContent {
				t.Fatalf("POST /api/read a room: %d %s, want 204", r.status, r.body)
			}
			e := onPhone.expect(t, "the laptop's read of the room", func(e protocol.Event) bool { return e.Type == protocol.TypeRead })
			if e.Room != room.ID || e.Seq != last || e.With != "" || e.Everyone {
				t.Fatalf("the phone got %+v, want read in room %s at %d", e, room.ID, last)
			}
			if got, want := ts.readPositions(t, phone.Token), []protocol.ReadMark{{Room: room.ID, Seq: last}}; !slices.Equal(got, want) {
				t.Fatalf("GET /api/read: %+v, want %+v", got, want)
			}
			ts.markRead(t, carol.Token, protocol.ReadMark{Room: room.ID, Seq: last}).wantError(t, 403, protocol.CodeForbidden, "join the room")
			if got := ts.readPositions(t, carol.Token); len(got) != 0 {
				t.Fatalf("Carol's positions after a refused mark: %+v, want none", got)
			}
		})
	}
}

// Bad marks are refused with what is wrong, and change nothing; more
// marks than the session's budget are rate_limited with Retry-After.
func TestReadRefusals(t *testing.T) {
	ts := newServer(t, nil)
	alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
	dm := ts.send(t, bob.Token, "b1", "alice", "hi")
	for body, says := range map[string]string{
		`{"with":"Bob","seq":0}`:                   "seq",
		`{"with":"Bob"}`:                           "seq",
		`{"with":"Bob","seq":"1"}`:                 "seq",
		`{"with":"Bob","seq":-1}`:                  "seq",
		`{"seq":1}`:                                "conversation",
		`{"with":"Bob","everyone":true,"seq":1}`:   "two conversations",
		`{"room":"abcdefgh","with":"Bob","seq":1}`: "two conversations",
		`{"with":"\u0000","seq":1}`:                "name",
		`[1]`:                                      "",
	} {
		ts.markRead(t, alice.Token, body).wantError(t, 400, protocol.CodeBadRequest, says)
	}
	ts.markRead(t, alice.Token, protocol.ReadMark{With: "Nobody", Seq: dm}).wantError(t, 404, protocol.CodeNotFound, "no message")
	ts.markRead(t, alice.Token, protocol.ReadMark{Everyone: true, Seq: dm}).wantError(t, 404, protocol.CodeNotFound, "no message")
	ts.markRead(t, "", protocol.ReadMark{With: "Bob", Seq: dm}).wantError(t, 401, protocol.CodeUnauthorized, "token")
	if got := ts.readPositions(t, alice.Token); len(got) != 0 {
		t.Fatalf("positions after refused marks: %+v, want none", got)
	}
	var r response
	for range 30 {
		if r = ts.markRead(t, alice.Token, protocol.ReadMark{With: "Bob", Seq: dm}); r.status != http.StatusNoContent {
			break
		}
	}
	r.wantError(t, 429, protocol.CodeRateLimited, "read marks")
	if r.header.Get("Retry-After") == "" {
		t.Error("rate_limited without Retry-After")
	}
	ts.stillServes(t)
}
