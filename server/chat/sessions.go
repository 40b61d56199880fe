package chat

import (
	"context"
	"crypto/sha256"
	"time"

	"golang.org/x/time/rate"

	"hark/app/protocol"
)

// Digest is the SHA-256 of a session's token: what a store keys sessions
// by, so the token itself is never kept anywhere.
type Digest = [sha256.Size]byte

// SessionRecord is a session as a store keeps it.
type SessionRecord struct {
	Name string // the display form it registered
	Reg  RegID
	Addr string
	// Seen is the last time any node saw the session show itself.
	Seen time.Time
}

// SessionStore keeps sessions where every node of a deployment finds them,
// so a token issued by one node works on every other and outlives a
// restart. Without one, sessions live in the process that issued them.
type SessionStore interface {
	// Create records a new session.
	Create(ctx context.Context, d Digest, r SessionRecord) error
	// Get returns the session, if it exists.
	Get(ctx context.Context, d Digest) (SessionRecord, bool, error)
	// Touch records that the session showed itself at seen.
	Touch(ctx context.Context, d Digest, seen time.Time) error
	// Delete removes the session. It reports false when another node
	// removed it first: then that node frees the name.
	Delete(ctx context.Context, d Digest) (bool, error)
	// Idle lists the sessions no node has seen since before.
	Idle(before time.Time) []Digest
	// Has reports whether a session of registration reg exists.
	Has(reg RegID) bool
	// OfReg lists the sessions of registration reg (one per device of
	// its person), from the same view as Has.
	OfReg(reg RegID) []Digest
	// Current returns once Has and Idle answer from every write the
	// store held when it was called (a node's copy of the store may lag
	// behind it), or ctx ends.
	Current(ctx context.Context) error
	// OnGone sets a function told of every session removed, by any node
	// (and possibly of one this node's copy never had: it may see only
	// the delete). New calls it once.
	OnGone(func(Digest))
}

// load finds a session another node issued (or this node before a
// restart) in the store, and keeps it here from now on.
func (c *Chat) load(d Digest) (*Session, error) {
	rec, ok, err := c.store.Get(context.Background(), d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, c.unknownToken(d)
	}
	n, err := protocol.ParseName(rec.Name)
	if err != nil {
		return nil, errUnauthorized
	}
	s := &Session{name: n, reg: rec.Reg, addr: rec.Addr, digest: d, limiter: rate.NewLimiter(c.cfg.Rate, c.cfg.Burst), typing: typingLimit(), reads: budget{c.cfg.ReadRate, c.cfg.ReadBurst}.limiter(), uploads: budget{c.cfg.FileRate, c.cfg.FileBurst}.limiter()}
	s.touch(c.cfg.Clock.Now())
	c.mu.Lock()
	if other, ok := c.sessions[d]; ok {
		c.mu.Unlock()
		return other, nil // loaded meanwhile by another request
	}
	c.sessions[d] = s
	c.mu.Unlock()
	// A release by another node may have been seen (and found nothing here
	// to end) between the read above and the insert: look again, now that
	// any later release will find the session here.
	if _, ok, err := c.store.Get(context.Background(), d); err != nil || !ok {
		c.endHere(s)
		return nil, errUnauthorized
	}
	s.mu.Lock()
	c.armGrace(s, c.cfg.Grace)
	s.mu.Unlock()
	return s, nil
}

// forget ends a session another node released: its streams here end and
// its token stops working here too.
func (c *Chat) forget(d Digest) {
	if s := c.local(d); s != nil {
		c.endHere(s)
	}
}

// local is the session with digest d this node holds, or nil.
func (c *Chat) local(d Digest) *Session {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sessions[d]
}

// here reports whether this node holds the session with digest d.
func (c *Chat) here(d Digest) bool { return c.local(d) != nil }

// seenElsewhere reports whether another node saw the session within the
// grace period; if so the local expiry waits for the rest of it.
func (c *Chat) seenElsewhere(s *Session) bool {
	rec, ok, err := c.store.Get(context.Background(), s.digest)
	if err != nil || !ok {
		return false // gone already, or the store is down: release here
	}
	idle := c.cfg.Clock.Now().Sub(rec.Seen)
	if idle >= c.cfg.Grace {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.released && s.streams == 0 {
		c.armGrace(s, c.cfg.Grace-idle)
	}
	return true
}

// leaseLoop keeps the store's view of who is here fresh, and releases the
// sessions nobody has seen for the grace period: the ones whose node
// stopped, with no timer left anywhere to release them. Touches go out at
// most every third of the grace, per session.
func (c *Chat) leaseLoop() {
	defer c.wg.Done()
	every := max(c.cfg.Grace/3, 10*time.Millisecond)
	t := c.cfg.Clock.NewTicker(every)
	defer t.Stop()
	leased := make(map[Digest]time.Time)
	var sessionless map[string]RegID // the names without a session last pass
	for {
		select {
		case <-c.life.Done():
			return
		case <-t.C():
		}
		if c.life.Err() != nil {
			return // a tick and the stop came together
		}
		now := c.cfg.Clock.Now()
		c.mu.RLock()
		local := make([]*Session, 0, len(c.sessions))
		for _, s := range c.sessions {
			local = append(local, s)
		}
		c.mu.RUnlock()
		ctx := context.Background()
		for _, s := range local {
			s.mu.Lock()
			streams := s.streams
			s.mu.Unlock()
			seen := s.lastSeen()
			if streams > 0 {
				seen = now
			}
			if seen.After(leased[s.digest]) {
				if c.store.Touch(ctx, s.digest, seen) == nil {
					leased[s.digest] = seen
				}
			}
		}
		// Releasing and freeing act on this node's copy of the sessions,
		// so only once it is current (one that lags would release
		// sessions alive on other nodes, or free their names), and the
		// candidates are asked again then. The wait is bounded by a
		// pass, so touches keep going out while the copy lags.
		cutoff := now.Add(-c.cfg.Grace - every)
		still := c.sessionlessNames()
		orphans := sessionlessTwice(sessionless, still)
		sessionless = still
		if (len(c.store.Idle(cutoff)) > 0 || len(orphans) > 0) && c.storeCurrent(every) {
			for _, d := range c.store.Idle(cutoff) {
				if c.here(d) {
					continue // this node's own timer decides
				}
				if s, err := c.load(d); err == nil {
					if err := c.release(ctx, s); err != nil {
						c.cfg.Logger.Warn("chat: releasing an idle session", "name", s.name.Display, "err", err)
					}
				}
				delete(leased, d)
			}
			c.releaseOrphans(ctx, orphans)
		}
		for d := range leased {
			if !c.here(d) {
				delete(leased, d)
			}
		}
	}
}

// storeCurrent waits, at most bound and no longer than the chat, until
// this node's copy of the sessions holds every write made before the call,
// and reports whether it does.
func (c *Chat) storeCurrent(bound time.Duration) bool {
	ctx, cancel := context.WithTimeout(c.life, bound)
	defer cancel()
	return c.store.Current(ctx) == nil
}

// sessionlessNames lists the names whose registration has no session in
// this node's copy of the sessions.
func (c *Chat) sessionlessNames() map[string]RegID {
	out := make(map[string]RegID)
	c.registry.Holders(func(key string, h Holder) {
		if !c.store.Has(h.Reg) {
			out[key] = h.Reg
		}
	})
	return out
}

// sessionlessTwice is the names, with the same registration, in both.
func sessionlessTwice(before, now map[string]RegID) map[string]RegID {
	out := make(map[string]RegID)
	for key, reg := range now {
		if r, ok := before[key]; ok && r == reg {
			out[key] = reg
		}
	}
	return out
}

// releaseOrphans frees names whose session is gone: a node that crashed
// between deleting a session and freeing its name left the name held by
// no one. A name is freed (and its leave said, once, whichever node does
// it) when it has had no session on two passes in a row, so a
// registration between its claim and its session record is never taken
// for one, and still has none in the copy, which the caller made current.
func (c *Chat) releaseOrphans(ctx context.Context, orphans map[string]RegID) {
	for key, reg := range orphans {
		if c.store.Has(reg) {
			continue
		}
		if h, ok := c.registry.Lookup(key); ok && h.Reg == reg {
			if err := c.freeName(ctx, key, h.Display, reg); err != nil {
				c.cfg.Logger.Warn("chat: freeing a name whose session is gone", "name", h.Display, "err", err)
			} else {
				c.forgetReads(ctx, reg)
			}
		}
	}
}
