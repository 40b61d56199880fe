package chat

import (
	"context"
	"io"
	"strings"
	"testing"

	"hark/app/protocol"
)

// upload stores text as a file of s's to the conversation with to.
func upload(t *testing.T, c *Chat, s *Session, to, name, text string) protocol.File {
	t.Helper()
	u, err := c.BeginUpload(s, to)
	if err != nil {
		t.Fatalf("BeginUpload: %v", err)
	}
	f, err := u.Store(context.Background(), protocol.File{Name: name, Type: "text/plain"}, strings.NewReader(text), nil)
	if err != nil {
		t.Fatalf("Store: %v", err)
	}
	return f
}

// readFile reads file id as s, or returns the refusal.
func readFile(c *Chat, s *Session, id string) (string, error) {
	_, rc, err := c.OpenFile(context.Background(), s, id, false)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

// A file in a direct conversation: Alice uploads it to Bob and sends it;
// Bob reads it and the event carries it whole; Carol, and a later holder
// of Bob's name, get not_found, as for a file that never was.
func TestDirectFileIsTheTwoRegistrations(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob, carol := register(t, c, "Alice"), register(t, c, "Bob"), register(t, c, "Carol")
	f := upload(t, c, alice, "bob", "../plan.txt", "the plan")
	if f.Name != "plan.txt" || f.Size != 8 || f.Type != "text/plain" || f.ID == "" {
		t.Fatalf("stored %+v", f)
	}
	seq, err := c.Send(context.Background(), alice, protocol.Send{ID: "m", To: "Bob", File: f.ID})
	if err != nil {
		t.Fatalf("sending the file: %v", err)
	}
	msg, _ := c.log.Message(seq)
	if ev := msg.Event(); ev.File == nil || *ev.File != f || ev.Text != "" {
		t.Fatalf("the event carries %+v %q, want %+v and no text", ev.File, ev.Text, f)
	}
	if got, err := readFile(c, bob, f.ID); err != nil || got != "the plan" {
		t.Fatalf("Bob reads %q, %v", got, err)
	}
	_, err = readFile(c, carol, f.ID)
	refused(t, "Carol reading the DM's file", err, protocol.CodeNotFound)
	if err := c.Leave(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	later := register(t, c, "Bob")
	_, err = readFile(c, later, f.ID)
	refused(t, "a later holder of Bob's name reading the file", err, protocol.CodeNotFound)
	_, err = readFile(c, carol, "AAAAAAAAAAAAAAAAAAAAAA")
	refused(t, "a file that never was", err, protocol.CodeNotFound)
}

// A send carries only a file its own registration uploaded to that
// conversation and sent with no other message; each refusal is
// not_found and appends nothing.
func TestSendRefusesFilesNotItsOwn(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	bobs := upload(t, c, bob, "", "b.txt", "Bob's")
	toBob := upload(t, c, alice, "Bob", "a.txt", "for Bob")
	head := c.Head()
	for _, s := range []protocol.Send{
		{ID: "1", File: bobs.ID},                            // another registration's
		{ID: "2", File: toBob.ID},                           // uploaded to Bob, sent to everyone
		{ID: "3", File: "AAAAAAAAAAAAAAAAAAAAAA"},           // never uploaded
		{ID: "4", File: "../../etc/passwd", Text: "a path"}, // no id at all
	} {
		_, err := c.Send(context.Background(), alice, s)
		refused(t, "sending file "+s.File, err, protocol.CodeNotFound)
	}
	if c.Head() != head {
		t.Fatalf("refused sends appended: head %d, was %d", c.Head(), head)
	}
	// Bob's own upload is his to send, once.
	if _, err := c.Send(context.Background(), bob, protocol.Send{ID: "b1", File: bobs.ID}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Send(context.Background(), bob, protocol.Send{ID: "b2", File: bobs.ID})
	refused(t, "a file sent a second time", err, protocol.CodeNotFound)
}

// Deleting a message deletes its file and thumbnail; the tombstone does
// not carry the file, nor its name.
func TestDeleteRemovesTheFile(t *testing.T) {
	c := newTestChat(t, Config{})
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	u, err := c.BeginUpload(alice, "")
	if err != nil {
		t.Fatal(err)
	}
	f, err := u.Store(context.Background(), protocol.File{Name: "holiday-secret.png", Type: "image/png", Width: 1, Height: 1}, strings.NewReader("png"), []byte("thumb"))
	if err != nil {
		t.Fatal(err)
	}
	seq, err := c.Send(context.Background(), alice, protocol.Send{ID: "m", File: f.ID, Text: "look"})
	if err != nil {
		t.Fatal(err)
	}
	act(t, c, alice, protocol.Action{Type: protocol.TypeDelete, ID: "d", Target: seq})
	if _, err := readFile(c, bob, f.ID); err == nil {
		t.Fatal("the file of a deleted message is still read")
	}
	if _, _, err := c.files.Open(context.Background(), f.ID, true); err != ErrNoFile {
		t.Fatalf("the thumbnail of a deleted message's file: %v, want ErrNoFile", err)
	}
	msg, _ := c.log.Message(seq)
	if strings.Contains(string(msg.JSON), "holiday-secret") || msg.Event().File != nil {
		t.Fatalf("the tombstone carries the file: %s", msg.JSON)
	}
}
