//go:build !js

package client

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"hark/app/protocol"
)

// A file uploaded to a room (UploadToRoom) goes out with a room message
// (SendRoomFile) to its members, who read it; someone not in the room
// gets neither the message nor the file; uploading to a room one is not
// in is refused as sending to it is.
func TestRoomFiles(t *testing.T) {
	alice, bob, carol, room := roomOfThree(t, WebSocket)
	ctx := context.Background()
	if _, err := bob.JoinRoom(ctx, room.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.UploadToRoom(ctx, room.ID, "a.txt", "text/plain", strings.NewReader("hi")); !isCode(err, protocol.CodeForbidden) {
		t.Fatalf("Carol, not in the room, uploading to it: %v, want forbidden", err)
	}
	f, err := alice.UploadToRoom(ctx, room.ID, "notes.txt", "text/plain", strings.NewReader("room notes"))
	if err != nil {
		t.Fatal(err)
	}
	qid := alice.SendRoomFile(room.ID, "see", f, 0)
	if it, ok := pendingItem(alice.State(), qid); !ok || it.Event.File == nil || it.Event.File.ID != f.ID || it.Event.Room != room.ID {
		t.Errorf("the pending item does not show the file in the room: %+v", it)
	}
	bob.waitFor("the room's file", func(s State) bool {
		return slices.ContainsFunc(bob.delivered(), func(e protocol.Event) bool {
			return e.Type == protocol.TypeRoomMessage && e.Room == room.ID && e.File != nil && e.File.ID == f.ID
		})
	})
	if data, _, err := bob.FileData(ctx, f.ID, false, 1<<10); err != nil || !bytes.Equal(data, []byte("room notes")) {
		t.Fatalf("Bob reads %q, %v", data, err)
	}
	if _, _, err := carol.FileData(ctx, f.ID, false, 1<<10); !isCode(err, protocol.CodeNotFound) {
		t.Fatalf("Carol reading the room's file: %v, want not_found", err)
	}
	if slices.ContainsFunc(carol.delivered(), func(e protocol.Event) bool { return e.File != nil }) {
		t.Fatal("Carol was delivered the room's file")
	}
}
