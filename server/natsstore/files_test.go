package natsstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/chat"
)

// readAs reads file id as s on c, or returns the refusal.
func readAs(c *chat.Chat, s *chat.Session, id string) ([]byte, error) {
	_, rc, err := c.OpenFile(context.Background(), s, id, false)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// A file uploaded on one node is sent and read on the other, a DM's file
// by its two people only, and after a restart on the same data directory;
// once its message is deleted it is gone on every node.
func TestFilesAcrossNodesAndRestart(t *testing.T) {
	dir := t.TempDir()
	srv, nc := embedded(t, dir)
	a, b := newNode(t, nc, 1, time.Minute), newNode(t, nc, 1, time.Minute)
	alice, aliceTok := register(t, a.chat, "Alice")
	_, bobTok := register(t, a.chat, "Bob")
	_, carolTok := register(t, a.chat, "Carol")
	bob, carol := mustAuth(t, b.chat, bobTok), mustAuth(t, b.chat, carolTok)
	ctx := context.Background()
	data := make([]byte, 1<<20+3)
	rand.Read(data)
	up, err := a.chat.BeginUpload(alice, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	f, err := up.Store(ctx, protocol.File{Name: "data.bin", Type: "application/octet-stream"}, bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Sent on Alice's node, read on Bob's.
	seq, err := a.chat.Send(ctx, alice, protocol.Send{ID: "m", To: "Bob", File: f.ID})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "Bob's node to have the message", func() bool { return b.chat.Head() >= seq })
	if got, err := readAs(b.chat, bob, f.ID); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Bob on the other node reads %d bytes, %v; want the %d uploaded", len(got), err, len(data))
	}
	if _, err := readAs(b.chat, carol, f.ID); err == nil {
		t.Fatal("Carol reads the file of a DM between Alice and Bob")
	}
	// On the other node too, the file went out once.
	if _, err := b.chat.Send(ctx, mustAuth(t, b.chat, aliceTok), protocol.Send{ID: "again", To: "Bob", File: f.ID}); err == nil {
		t.Fatal("the file was sent a second time from the other node")
	}
	// A second file, kept across the restart, then deleted there.
	up, err = b.chat.BeginUpload(bob, "")
	if err != nil {
		t.Fatal(err)
	}
	kept, err := up.Store(ctx, protocol.File{Name: "kept.txt", Type: "text/plain"}, bytes.NewReader([]byte("kept")), nil)
	if err != nil {
		t.Fatal(err)
	}
	keptSeq, err := b.chat.Send(ctx, bob, protocol.Send{ID: "k", File: kept.ID})
	if err != nil {
		t.Fatal(err)
	}

	n := restart(t, dir, srv, nc, a, b)
	alice2, bob2 := mustAuth(t, n.chat, aliceTok), mustAuth(t, n.chat, bobTok)
	if got, err := readAs(n.chat, alice2, f.ID); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after the restart Alice reads %d bytes, %v", len(got), err)
	}
	var carried *protocol.File
	for _, e := range n.chat.History(bob2, 100) {
		if e.Seq() == keptSeq {
			carried = e.Event().File
		}
	}
	if carried == nil || *carried != kept {
		t.Fatalf("after the restart the message carries %+v, want %+v", carried, kept)
	}
	if _, err := n.chat.Act(ctx, bob2, protocol.Action{Type: protocol.TypeDelete, ID: "d", Target: keptSeq}); err != nil {
		t.Fatal(err)
	}
	if _, err := readAs(n.chat, alice2, kept.ID); err == nil {
		t.Fatal("the file of a deleted message is read after the restart")
	}
}
