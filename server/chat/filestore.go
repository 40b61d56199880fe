package chat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"hark/app/protocol"
)

// ErrNoFile is a FileStore's answer for a file it does not hold (never
// stored, deleted, or dropped by the store's limits).
var ErrNoFile = errors.New("chat: no such file")

// FileMeta is what a store keeps beside a file's bytes: the file as a
// message's event carries it, and what decides who may read and send it.
type FileMeta struct {
	// File is the file as events carry it; a store fills in Size from
	// the bytes it read.
	File protocol.File
	// From is the uploader's registration, To the recipient's for a file
	// uploaded to a direct conversation (0: everyone's). Registrations,
	// not names: a later holder of a released name is neither.
	From, To RegID
	// Room is the room's id for a file uploaded to a room ("": none);
	// To is then 0. Its readers are the room's members who see the
	// message carrying it: in a public room every member, in a private
	// one those whose join is at or before After.
	Room string
	// After is, for a room's file, a seq every member whose join is at
	// or before it sees the file's message at: the log's head at upload
	// (the message comes later), then the seq before the message's once
	// it went out. Only ever raised.
	After uint64
	// Sent names the message the file went out with (its dedupe key:
	// sender and client id), empty until one did: a file goes out with
	// one message, and that message's retries.
	Sent string
	// At is when the file was uploaded.
	At time.Time
}

// FileStore keeps uploaded files where every node finds them. A file is
// its bytes, its metadata and, for an image, a thumbnail; all three are
// written by Put and removed by Delete. Reads stream: a store never needs
// a file whole in memory to hand it out.
type FileStore interface {
	// Put stores the bytes read from r to its end, with meta and thumb
	// (nil: none), under meta.File.ID, and returns the meta stored (its
	// Size the bytes read). If reading r fails, nothing is stored and
	// the reader's error is returned as it is.
	Put(ctx context.Context, meta FileMeta, r io.Reader, thumb []byte) (FileMeta, error)
	// Stat returns the metadata of file id, or ErrNoFile.
	Stat(ctx context.Context, id string) (FileMeta, error)
	// Open returns the metadata of file id and a reader of its bytes (of
	// its thumbnail when thumb is set), or ErrNoFile, also for a thumb
	// the file has not got. The caller closes the reader.
	Open(ctx context.Context, id string, thumb bool) (FileMeta, io.ReadCloser, error)
	// Sent records that file id went out with the message named sent
	// (see FileMeta.Sent), and sets its After, or returns ErrNoFile.
	Sent(ctx context.Context, id, sent string, after uint64) error
	// Delete removes file id and its thumbnail; a file not held is no
	// error.
	Delete(ctx context.Context, id string) error
}

// MemoryFiles is a FileStore held in this process.
type MemoryFiles struct {
	maxAge time.Duration
	now    func() time.Time

	mu    sync.Mutex
	files map[string]*memoryFile
}

type memoryFile struct {
	meta        FileMeta
	data, thumb []byte
}

// NewMemoryFiles returns an empty FileStore that forgets files older than
// maxAge (0: none), by the clock now (nil: time.Now), as the log forgets
// their messages.
func NewMemoryFiles(maxAge time.Duration, now func() time.Time) *MemoryFiles {
	if now == nil {
		now = time.Now
	}
	return &MemoryFiles{maxAge: maxAge, now: now, files: make(map[string]*memoryFile)}
}

// Put implements FileStore. It reads r whole: memory is where it keeps
// the bytes anyway.
func (m *MemoryFiles) Put(ctx context.Context, meta FileMeta, r io.Reader, thumb []byte) (FileMeta, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return FileMeta{}, err
	}
	meta.File.Size = int64(len(data))
	meta.File.Thumb = thumb != nil
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[meta.File.ID] = &memoryFile{meta: meta, data: data, thumb: bytes.Clone(thumb)}
	return meta, nil
}

// get is file id if it is held and not past the maximum age; m.mu must be
// held.
func (m *MemoryFiles) get(id string) *memoryFile {
	f := m.files[id]
	if f != nil && m.maxAge > 0 && m.now().Sub(f.meta.At) > m.maxAge {
		delete(m.files, id)
		return nil
	}
	return f
}

// Stat implements FileStore.
func (m *MemoryFiles) Stat(_ context.Context, id string) (FileMeta, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.get(id)
	if f == nil {
		return FileMeta{}, ErrNoFile
	}
	return f.meta, nil
}

// Open implements FileStore.
func (m *MemoryFiles) Open(_ context.Context, id string, thumb bool) (FileMeta, io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.get(id)
	if f == nil || thumb && f.thumb == nil {
		return FileMeta{}, nil, ErrNoFile
	}
	b := f.data
	if thumb {
		b = f.thumb
	}
	return f.meta, io.NopCloser(bytes.NewReader(b)), nil
}

// Sent implements FileStore.
func (m *MemoryFiles) Sent(_ context.Context, id, sent string, after uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.get(id)
	if f == nil {
		return ErrNoFile
	}
	f.meta.Sent, f.meta.After = sent, after
	return nil
}

// Delete implements FileStore.
func (m *MemoryFiles) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, id)
	return nil
}

// Len is how many files the store holds, for tests that check a refused
// upload stored nothing.
func (m *MemoryFiles) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.files)
}
