package storetest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/chat"
)

// fileMeta is the metadata of a file uploaded by registration from to
// the conversation with to (0: everyone's).
func fileMeta(id string, from, to chat.RegID) chat.FileMeta {
	return chat.FileMeta{
		File: protocol.File{ID: id, Name: "photo é.png", Type: "image/png", Width: 640, Height: 480},
		From: from, To: to, At: time.Now().UTC().Truncate(time.Millisecond),
	}
}

// readFile opens file id (its thumbnail when thumb) on n and reads it
// whole.
func readFile(t *testing.T, n chat.Store, id string, thumb bool) (chat.FileMeta, []byte) {
	t.Helper()
	meta, rc, err := n.Files.Open(ctx(t), id, thumb)
	if err != nil {
		t.Fatalf("Open(%q, thumb %v): %v", id, thumb, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %q: %v", id, err)
	}
	return meta, b
}

// A file put on one node opens on another with its bytes, its thumbnail
// and its metadata, the size the store counted; a file that was never
// put, or a thumbnail a file has not got, is ErrNoFile; Sent is kept.
func filesRoundTrip(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	data, thumb := []byte("\x89PNG\r\n\x1a\n pretend"), []byte("a thumbnail")
	want := fileMeta("AAAAAAAAAAAAAAAAAAAAAA", 1, 2)
	want.File.Size = 1234 // the store's to count, not the caller's
	got, err := a.Files.Put(ctx(t), want, bytes.NewReader(data), thumb)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	want.File.Size, want.File.Thumb = int64(len(data)), true
	if got.File != want.File {
		t.Fatalf("Put returned %+v, want %+v", got.File, want.File)
	}
	for i, n := range []chat.Store{a, b} {
		meta, body := readFile(t, n, want.File.ID, false)
		if meta.File != want.File || meta.From != 1 || meta.To != 2 || !meta.At.Equal(want.At) || meta.Sent != "" {
			t.Fatalf("node %d opened %+v, want %+v", i, meta, want)
		}
		if !bytes.Equal(body, data) {
			t.Fatalf("node %d read %q, want %q", i, body, data)
		}
		if _, body := readFile(t, n, want.File.ID, true); !bytes.Equal(body, thumb) {
			t.Fatalf("node %d read the thumbnail %q, want %q", i, body, thumb)
		}
	}
	if _, _, err := b.Files.Open(ctx(t), "BBBBBBBBBBBBBBBBBBBBBB", false); !errors.Is(err, chat.ErrNoFile) {
		t.Fatalf("Open of a file never put: %v, want ErrNoFile", err)
	}
	if _, err := b.Files.Stat(ctx(t), "BBBBBBBBBBBBBBBBBBBBBB"); !errors.Is(err, chat.ErrNoFile) {
		t.Fatalf("Stat of a file never put: %v, want ErrNoFile", err)
	}
	plain := fileMeta("CCCCCCCCCCCCCCCCCCCCCC", 1, 0)
	if _, err := a.Files.Put(ctx(t), plain, bytes.NewReader([]byte("text")), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Files.Open(ctx(t), plain.File.ID, true); !errors.Is(err, chat.ErrNoFile) {
		t.Fatalf("Open of the thumbnail of a file without one: %v, want ErrNoFile", err)
	}
	if err := a.Files.Sent(ctx(t), plain.File.ID, "alice\x00m1", 0); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	if meta, err := b.Files.Stat(ctx(t), plain.File.ID); err != nil || meta.Sent != "alice\x00m1" || meta.File.Size != 4 {
		t.Fatalf("Stat after Sent: %+v, %v; want it sent with alice's m1, 4 bytes", meta, err)
	}
	if err := a.Files.Sent(ctx(t), "BBBBBBBBBBBBBBBBBBBBBB", "x", 0); !errors.Is(err, chat.ErrNoFile) {
		t.Fatalf("Sent of a file never put: %v, want ErrNoFile", err)
	}
	// A room's file keeps its room and After on every node; Sent sets
	// After.
	room := fileMeta("EEEEEEEEEEEEEEEEEEEEEE", 1, 0)
	room.Room, room.After = "lobby123", 7
	if _, err := a.Files.Put(ctx(t), room, bytes.NewReader([]byte("room")), nil); err != nil {
		t.Fatal(err)
	}
	if meta, err := b.Files.Stat(ctx(t), room.File.ID); err != nil || meta.Room != "lobby123" || meta.After != 7 || meta.To != 0 {
		t.Fatalf("Stat of a room's file on another node: %+v, %v; want room lobby123, after 7", meta, err)
	}
	if err := b.Files.Sent(ctx(t), room.File.ID, "alice\x00m2", 41); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	if meta, _ := readFile(t, a, room.File.ID, false); meta.Room != "lobby123" || meta.After != 41 || meta.Sent != "alice\x00m2" {
		t.Fatalf("Open of a room's file after Sent: %+v; want room lobby123, after 41, sent with alice's m2", meta)
	}
}

// A deleted file, and its thumbnail, are gone on every node; deleting
// one not there is no error.
func filesDelete(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	meta := fileMeta("DDDDDDDDDDDDDDDDDDDDDD", 1, 0)
	if _, err := a.Files.Put(ctx(t), meta, bytes.NewReader([]byte("bytes")), []byte("thumb")); err != nil {
		t.Fatal(err)
	}
	if err := b.Files.Delete(ctx(t), meta.File.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for i, n := range []chat.Store{a, b} {
		for _, thumb := range []bool{false, true} {
			if _, _, err := n.Files.Open(ctx(t), meta.File.ID, thumb); !errors.Is(err, chat.ErrNoFile) {
				t.Fatalf("node %d: Open(thumb %v) after Delete: %v, want ErrNoFile", i, thumb, err)
			}
		}
	}
	if err := a.Files.Delete(ctx(t), meta.File.ID); err != nil {
		t.Fatalf("a second Delete: %v", err)
	}
}

// failAfter is a reader of n bytes that then fails.
type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

// A large file (3 MB) goes in and comes out whole, byte for byte; a
// reader that fails half way stores nothing and its error is Put's.
func filesLarge(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	data := make([]byte, 3<<20+17)
	rand.Read(data)
	meta := fileMeta("EEEEEEEEEEEEEEEEEEEEEE", 1, 0)
	got, err := a.Files.Put(ctx(t), meta, bytes.NewReader(data), nil)
	if err != nil || got.File.Size != int64(len(data)) {
		t.Fatalf("Put of 3 MB: %+v, %v", got.File, err)
	}
	if _, body := readFile(t, b, meta.File.ID, false); !bytes.Equal(body, data) {
		t.Fatalf("read back %d bytes, not the %d put", len(body), len(data))
	}
	cut := errors.New("the client went away")
	broken := fileMeta("FFFFFFFFFFFFFFFFFFFFFF", 1, 0)
	if _, err := a.Files.Put(ctx(t), broken, &failAfter{n: 1 << 20, err: cut}, []byte("thumb")); !errors.Is(err, cut) {
		t.Fatalf("Put from a reader that failed: %v, want its error", err)
	}
	for _, thumb := range []bool{false, true} {
		if _, _, err := b.Files.Open(ctx(t), broken.File.ID, thumb); !errors.Is(err, chat.ErrNoFile) {
			t.Fatalf("Open(thumb %v) of a file whose reader failed: %v, want ErrNoFile", thumb, err)
		}
	}
}
