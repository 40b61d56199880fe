//go:build !js

package client

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/chat"
)

// markLog is a real server that records the read marks it is sent.
type markLog struct {
	mu    sync.Mutex
	marks []protocol.ReadMark
}

func (l *markLog) got() []protocol.ReadMark {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.marks)
}

func newMarkServer(t *testing.T) (*httptest.Server, *markLog) {
	t.Helper()
	a := newAPI(t, chat.Config{})
	log := &markLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/read" {
			b, _ := io.ReadAll(r.Body)
			var m protocol.ReadMark
			json.Unmarshal(b, &m)
			log.mu.Lock()
			log.marks = append(log.marks, m)
			log.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		a.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, log
}

// MarkRead sends a conversation's first mark at once; marks asked for
// within ReadEvery go out as one, with the newest position; a position
// at or below one sent is not sent; each conversation has its own pace.
func TestMarkReadCoalesces(t *testing.T) {
	srv, log := newMarkServer(t)
	alice := join(t, srv.URL, WebSocket, "Alice", nil)
	bob := rawSession(t, srv.URL, "Bob")
	var dms []uint64
	for _, id := range []string{"b1", "b2", "b3"} {
		dms = append(dms, rawSendTo(t, srv.URL, bob.Token, id, "Alice", "hi "+id))
	}
	all := rawSend(t, srv.URL, bob.Token, "b4", "to all")
	alice.waitTexts("to all")
	ctx := context.Background()
	for _, seq := range dms {
		if err := alice.MarkRead(ctx, "Bob", seq); err != nil {
			t.Fatalf("MarkRead(Bob, %d): %v", seq, err)
		}
	}
	if err := alice.MarkRead(ctx, "", all); err != nil {
		t.Fatalf("MarkRead(everyone): %v", err)
	}
	alice.MarkRead(ctx, "bob", dms[1]) // below what is waiting: nothing more
	want := []protocol.ReadMark{{With: "Bob", Seq: dms[0]}, {Everyone: true, Seq: all}, {With: "Bob", Seq: dms[2]}}
	st := alice.waitFor("the read positions", func(s State) bool {
		return s.Read["bob"].Seq == dms[2] && s.Read[""].Seq == all
	})
	if got := st.Read["bob"]; got.With != "Bob" {
		t.Errorf("State.Read[bob] = %+v, want the server's name for the conversation", got)
	}
	time.Sleep(2 * ReadEvery) // a mark that should not go would go by now
	if got := log.got(); !slices.Equal(got, want) {
		t.Fatalf("marks sent %+v, want %+v", got, want)
	}
	alice.MarkRead(ctx, "Bob", dms[2]) // heard back from the server already
	time.Sleep(2 * ReadEvery)
	if got := log.got(); len(got) != len(want) {
		t.Fatalf("a position already kept was sent again: %+v", got)
	}
}

// One device's mark reaches the other's State as it happens, on every
// transport; a device that connects later finds it after its hello.
func TestReadPositionsReachEveryDevice(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			srv := newServer(t, chat.Config{})
			laptop := join(t, srv.URL, tr, "Alice", nil)
			phone := linkClient(t, srv.URL, tr, laptop)
			bob := rawSession(t, srv.URL, "Bob")
			dm := rawSendTo(t, srv.URL, bob.Token, "b1", "Alice", "read me")
			phone.waitTexts("read me")
			if err := laptop.MarkRead(context.Background(), "Bob", dm); err != nil {
				t.Fatal(err)
			}
			phone.waitFor("the laptop's read position", func(s State) bool { return s.Read["bob"].Seq == dm })
			late := linkClient(t, srv.URL, tr, laptop)
			late.waitFor("the position, after its hello", func(s State) bool { return s.Read["bob"].Seq == dm })
		})
	}
}

// A room's mark, MarkRead given RoomKey(id), reaches the other device's
// State.Read under that key, naming the room, on every transport; a device
// that connects later finds it after its hello.
func TestRoomReadPositionsReachEveryDevice(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			srv := newServer(t, chat.Config{})
			laptop := join(t, srv.URL, tr, "Alice", nil)
			phone := linkClient(t, srv.URL, tr, laptop)
			room, err := laptop.CreateRoom(context.Background(), "Go", "", false, nil)
			if err != nil {
				t.Fatal(err)
			}
			seq := laptop.sentRoom(room.ID, "read me")
			if err := laptop.MarkRead(context.Background(), RoomKey(room.ID), seq); err != nil {
				t.Fatal(err)
			}
			want := protocol.ReadMark{Room: room.ID, Seq: seq}
			phone.waitFor("the laptop's read position in the room", func(s State) bool { return s.Read[RoomKey(room.ID)] == want })
			late := linkClient(t, srv.URL, tr, laptop)
			late.waitFor("the room's position, after its hello", func(s State) bool { return s.Read[RoomKey(room.ID)] == want })
		})
	}
}

// linkClient signs another client in as of's person and runs it.
func linkClient(t *testing.T, base string, tr Transport, of *tclient) *tclient {
	t.Helper()
	dc, err := of.DeviceCode(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dev := newClient(t, base, tr, nil)
	if _, err := dev.Link(context.Background(), dc.Code); err != nil {
		t.Fatal(err)
	}
	dev.run()
	dev.waitConnected()
	return dev
}
