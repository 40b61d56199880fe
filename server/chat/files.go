package chat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"time"

	"hark/app/protocol"
)

// Files: a person uploads a file to a conversation (BeginUpload, then
// Upload.Store), sends a message that carries it (Send with Send.File),
// and whoever may see that conversation reads it (OpenFile). Who may read
// follows registrations, as direct messages do: a file uploaded to a
// direct conversation is its uploader's and its recipient's, nobody
// else's, not even a later holder of either name. A file uploaded to a
// room is its members' who see the message carrying it, as they see the
// room's history (Chat.sees): it goes with their membership. Deleting the
// message deletes the file.

// Upload is an upload allowed to go ahead: its budget spent, its
// conversation known. Store stores it.
type Upload struct {
	c        *Chat
	from, to RegID
	room     string
	after    uint64
}

// BeginUpload spends an upload of s's budget and of its address's, and
// resolves to (empty: everyone's conversation; otherwise a name online,
// as a send's To), before any byte of the file is read. Refusals are
// *protocol.Error: unauthorized, no_such_user, rate_limited.
func (c *Chat) BeginUpload(s *Session, to string) (*Upload, error) {
	if !s.Live() {
		return nil, errUnauthorized
	}
	u := &Upload{c: c, from: s.reg}
	if to != "" {
		h, ok := c.registry.Lookup(toKey(to))
		if !ok {
			return nil, protocol.Errorf(protocol.CodeNoSuchUser, "%q is not online", to)
		}
		u.to = h.Reg
	}
	return u, c.spendUpload(s)
}

// BeginRoomUpload is BeginUpload for a file to room id: s must be a
// member, refused as a send to the room would be (not_found for a room s
// may not know of, forbidden for a public one s is not in).
func (c *Chat) BeginRoomUpload(ctx context.Context, s *Session, room string) (*Upload, error) {
	if !s.Live() {
		return nil, errUnauthorized
	}
	if _, err := c.roomMessage(s, room); err != nil {
		return nil, err
	}
	m, _ := c.member(ctx, room, s.reg)
	// The message carrying the file is appended after this node's head
	// and after s's join (which this node may not have yet).
	u := &Upload{c: c, from: s.reg, room: room, after: max(c.log.Head(), m.Since)}
	return u, c.spendUpload(s)
}

// spendUpload spends an upload of s's budget and of its address's.
func (c *Chat) spendUpload(s *Session) error {
	return c.spend(s.uploads, "too many uploads; wait a moment before sending more files", func(now time.Time) error {
		return c.budgets.upload(s.addr, now)
	})
}

// Store stores the file read from body, to its end, with f's name
// (cleaned), type and dimensions, and thumb (nil: none); it returns the
// file as a message's event will carry it, with a new ID. An error reading
// body is returned as it is (the caller knows what a cut body or a body
// too large means); the store's own failures are unavailable.
func (u *Upload) Store(ctx context.Context, f protocol.File, body io.Reader, thumb []byte) (protocol.File, error) {
	f.ID = newFileID()
	f.Name = protocol.CleanFileName(f.Name)
	f.Size, f.Thumb = 0, false // the store's to say
	r := &watchedReader{r: body}
	meta, err := u.c.files.Put(ctx, FileMeta{File: f, From: u.from, To: u.to, Room: u.room, After: u.after, At: u.c.cfg.Clock.Now()}, r, thumb)
	if err != nil {
		if r.err != nil && !errors.Is(r.err, io.EOF) {
			return protocol.File{}, r.err
		}
		u.c.cfg.Logger.Warn("chat: storing a file", "err", err)
		return protocol.File{}, errStoreDown
	}
	return meta.File, nil
}

// watchedReader remembers its reader's first error, so a failed Put
// tells the reader's failures (the client's) from the store's.
type watchedReader struct {
	r   io.Reader
	err error
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// OpenFile returns file id (its thumbnail when thumb is set) for s to
// read, with a reader of its bytes the caller closes. A file that does
// not exist, that s may not read, or whose message was deleted is one
// not_found refusal, all alike.
func (c *Chat) OpenFile(ctx context.Context, s *Session, id string, thumb bool) (protocol.File, io.ReadCloser, error) {
	notFound := protocol.Errorf(protocol.CodeNotFound, "no file %q that you can read", id)
	if !s.Live() {
		return protocol.File{}, nil, errUnauthorized
	}
	if !validFileID(id) {
		return protocol.File{}, nil, notFound
	}
	meta, rc, err := c.files.Open(ctx, id, thumb)
	if errors.Is(err, ErrNoFile) {
		return protocol.File{}, nil, notFound
	}
	if err != nil {
		c.cfg.Logger.Warn("chat: reading a file", "err", err)
		return protocol.File{}, nil, errStoreDown
	}
	if !c.readable(ctx, &meta, s.reg) {
		rc.Close()
		return protocol.File{}, nil, notFound
	}
	return meta.File, rc, nil
}

// readable reports whether registration r may read the file m: a room's
// file its members who see the message carrying it (see FileMeta.Room),
// else anyone when its conversation is everyone's, else its uploader and
// its recipient.
func (c *Chat) readable(ctx context.Context, m *FileMeta, r RegID) bool {
	if m.Room != "" {
		mem, ok := c.member(ctx, m.Room, r)
		return ok && (mem.Since == 0 || mem.Since <= m.After)
	}
	return m.To == 0 || m.From == r || m.To == r
}

// fileToSend is the metadata of the file a send carries, read before the
// name's send lock is taken (a store's round trip); message checks it.
func (c *Chat) fileToSend(ctx context.Context, id string) (*FileMeta, error) {
	if id == "" {
		return nil, nil
	}
	if !validFileID(id) {
		return nil, noFileToSend(id)
	}
	meta, err := c.files.Stat(ctx, id)
	if errors.Is(err, ErrNoFile) {
		return nil, noFileToSend(id)
	}
	if err != nil {
		c.cfg.Logger.Warn("chat: reading a file's metadata", "err", err)
		return nil, errStoreDown
	}
	return &meta, nil
}

func noFileToSend(id string) error {
	return protocol.Errorf(protocol.CodeNotFound, "no file %q that you uploaded to this conversation and have not sent yet", id)
}

// attach checks that s may send file to the conversation with
// registration to or to room, as the message named sent: s uploaded it,
// to that conversation, and it went out with no other message (a retry
// of the same message may carry it again). It returns the file as the
// event carries it.
func attach(file *FileMeta, s *Session, to RegID, room, sent string) (*protocol.File, error) {
	if file.From != s.reg || file.To != to || file.Room != room || file.Sent != "" && file.Sent != sent {
		return nil, noFileToSend(file.File.ID)
	}
	f := file.File
	return &f, nil
}

// sent records, after its message (seq) was appended, that the file went
// out with it, and for a room's file that the room's members who see the
// message may read it. A failure leaves the file sendable once more, and
// readable by the members who joined before its upload; it is logged.
func (c *Chat) sent(ctx context.Context, file *FileMeta, sent string, seq uint64) {
	if file == nil {
		return
	}
	after := file.After
	if file.Room != "" {
		after = max(after, seq-1)
	}
	if file.Sent == sent && file.After == after {
		return
	}
	if err := c.files.Sent(ctx, file.File.ID, sent, after); err != nil {
		c.cfg.Logger.Warn("chat: recording that a file was sent", "err", err)
	}
}

// dropFile deletes the file of a deleted message, after the delete was
// appended and outside every lock. A failure is logged: the file stays
// in the store, unreachable through its message, until the store's
// limits drop it.
func (c *Chat) dropFile(ctx context.Context, id string) {
	if id == "" {
		return
	}
	if err := c.files.Delete(ctx, id); err != nil {
		c.cfg.Logger.Warn("chat: deleting the file of a deleted message", "err", err)
	}
}

// newFileID is a new file id: 128 random bits, URL-safe, so ids cannot
// be guessed.
func newFileID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validFileID reports whether id could be one newFileID made: what
// reaches a store as an object's name is never anything else.
func validFileID(id string) bool {
	if len(id) != 22 {
		return false
	}
	for i := range len(id) {
		switch ch := id[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-', ch == '_':
		default:
			return false
		}
	}
	return true
}
