//go:build !js

package client

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"

	"hark/app/protocol"
	"hark/server/chat"
)

// A file uploaded by one Client and sent with a message reaches the other
// on every transport, carried by the message's event, and its bytes (and
// an image's thumbnail) are read back; the pending item shows the file
// before the server has the message, after a reload of the outbox too.
func TestFilesTravelWithMessages(t *testing.T) {
	var pic bytes.Buffer
	if err := png.Encode(&pic, image.NewGray(image.Rect(0, 0, 400, 200))); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []Transport{WebSocket, SSE, Poll} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			alice := join(t, srv.URL, tr, "Alice", nil)
			bob := join(t, srv.URL, tr, "Bob", nil)
			ctx := context.Background()
			f, err := alice.Upload(ctx, "Bob", "dir/grey.png", "image/png", bytes.NewReader(pic.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if f.Name != "grey.png" || f.Type != "image/png" || f.Width != 400 || f.Height != 200 || !f.Thumb || f.Size != int64(pic.Len()) {
				t.Fatalf("the upload answered %+v", f)
			}
			id := alice.SendFile("Bob", "", f, 0)
			if it, ok := pendingItem(alice.State(), id); !ok || it.Event.File == nil || it.Event.File.ID != f.ID {
				t.Errorf("the pending item does not show the file: %+v", it)
			}
			st := bob.waitFor("the file", func(s State) bool {
				for _, it := range s.Messages {
					if it.Event.File != nil && it.Event.File.ID == f.ID {
						return true
					}
				}
				return false
			})
			_ = st
			data, typ, err := bob.FileData(ctx, f.ID, false, 1<<20)
			if err != nil || !bytes.Equal(data, pic.Bytes()) || typ != "image/png" {
				t.Errorf("Bob reads %d bytes of %q, %v; want the %d uploaded", len(data), typ, err, pic.Len())
			}
			thumb, _, err := bob.FileData(ctx, f.ID, true, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if img, _, err := image.DecodeConfig(bytes.NewReader(thumb)); err != nil || img.Width != protocol.ThumbPixels || img.Height != protocol.ThumbPixels/2 {
				t.Errorf("the thumbnail is %+v, %v", img, err)
			}
			if _, _, err := bob.FileData(ctx, f.ID, false, 10); err == nil || !strings.Contains(err.Error(), "over 10 bytes") {
				t.Errorf("a file over the limit asked: %v", err)
			}
			if _, _, err := bob.FileData(ctx, "nope", false, 10); !isCode(err, protocol.CodeNotFound) {
				t.Errorf("an unknown file: %v", err)
			}
		})
	}
}

// An upload the server refuses is its error; without a session there is
// none to make.
func TestUploadRefused(t *testing.T) {
	srv := newServer(t, chat.Config{})
	alice := join(t, srv.URL, SSE, "Alice", nil)
	ctx := context.Background()
	_, err := alice.Upload(ctx, "", "fake.png", "image/png", strings.NewReader("<html><script>alert(1)</script></html>"))
	if !isCode(err, protocol.CodeBadRequest) {
		t.Errorf("a page that says it is a PNG: %v", err)
	}
	_, err = alice.Upload(ctx, "Nobody", "a.txt", "text/plain", strings.NewReader("hi"))
	if !isCode(err, protocol.CodeNoSuchUser) {
		t.Errorf("a file for nobody: %v", err)
	}
	c := New(Options{BaseURL: srv.URL})
	if _, err := c.Upload(ctx, "", "a.txt", "text/plain", strings.NewReader("hi")); err != ErrNoSession {
		t.Errorf("without a session: %v", err)
	}
}

// pendingItem is the own item with client id id.
func pendingItem(s State, id string) (Item, bool) {
	for _, it := range s.Messages {
		if it.Own && it.Event.ID == id {
			return it, true
		}
	}
	return Item{}, false
}
