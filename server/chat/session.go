package chat

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"hark/app/protocol"
	"hark/internal/clock"
)

// Session is one registration of a name and the token that proves it.
type Session struct {
	name protocol.Name
	reg  RegID
	addr string // the client address it registered from, for its budgets
	// counted is set when this node counted the session in its address's
	// budget (it registered here), so only this node gives it back.
	counted bool
	// digest is SHA-256 of the token: the token itself is never kept, so a
	// memory dump or a log line cannot leak it.
	digest [sha256.Size]byte

	limiter *rate.Limiter
	// typing is the session's budget of typing events.
	typing *rate.Limiter
	// reads is the session's budget of reads (history, user searches);
	// nil when reads are not budgeted.
	reads *rate.Limiter
	// uploads is the session's budget of uploads; nil when they are not
	// budgeted.
	uploads *rate.Limiter
	// codes is the session's budget of device codes, made at its first
	// code (most sessions never make one); guarded by mu.
	codes *rate.Limiter
	// passkeys is its budget of passkey ceremonies, made likewise.
	passkeys *rate.Limiter
	// marks is the session's budget of read marks, made at its first
	// (see MarkRead); guarded by mu.
	marks *rate.Limiter
	// seen is when the session last showed itself (registration, any
	// authenticated request, a stream closing), in Unix nanoseconds: a
	// session with no stream is released a grace period after it.
	seen atomic.Int64

	mu       sync.Mutex
	streams  int
	grace    clock.Timer
	released bool
}

// Name is the session's name.
func (s *Session) Name() protocol.Name { return s.name }

// newToken returns a token of 256 random bits, URL-safe, and its digest.
func newToken() (string, [sha256.Size]byte) {
	var b [32]byte
	rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	return tok, sha256.Sum256([]byte(tok))
}

// matches compares token with the session's in constant time.
func (s *Session) matches(digest [sha256.Size]byte) bool {
	return subtle.ConstantTimeCompare(s.digest[:], digest[:]) == 1
}

// Reg is the session's registration.
func (s *Session) Reg() RegID { return s.reg }

// Live reports whether the session still holds its name.
func (s *Session) Live() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.released
}

func (s *Session) touch(now time.Time) { s.seen.Store(now.UnixNano()) }

func (s *Session) lastSeen() time.Time { return time.Unix(0, s.seen.Load()) }

// newRegID returns a random, non-zero registration id.
func newRegID() RegID {
	var b [8]byte
	for {
		rand.Read(b[:])
		if r := RegID(binary.LittleEndian.Uint64(b[:])); r != 0 {
			return r
		}
	}
}
