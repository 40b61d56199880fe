package chat

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hark/app/protocol"
)

// Session is one registered name and the token that proves it.
type Session struct {
	name protocol.Name
	// digest is SHA-256 of the token: the token itself is never kept, so a
	// memory dump or a log line cannot leak it.
	digest [sha256.Size]byte

	limiter *rate.Limiter

	// sendMu makes a send and the record of its id one step, so two
	// retries racing with the same id are delivered once.
	sendMu sync.Mutex
	sent   map[string]uint64 // client id -> seq, the last maxRemembered
	order  []string          // ids in sending order, to forget the oldest

	mu       sync.Mutex
	streams  int
	grace    *time.Timer
	released bool
}

// maxRemembered is how many client ids a session remembers for retries. A
// client retries only its outbox, which is far smaller.
const maxRemembered = 1024

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

// remembered returns the seq of an earlier send with id.
func (s *Session) remembered(id string) (uint64, bool) {
	seq, ok := s.sent[id]
	return seq, ok
}

func (s *Session) remember(id string, seq uint64) {
	if s.sent == nil {
		s.sent = make(map[string]uint64)
	}
	if len(s.order) >= maxRemembered {
		delete(s.sent, s.order[0])
		s.order = s.order[1:]
	}
	s.sent[id] = seq
	s.order = append(s.order, id)
}
