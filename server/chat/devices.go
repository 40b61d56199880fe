package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hark/app/protocol"
)

// Devices keeps the one-time codes that sign another device in as the
// person of a registration ("Add a device"), where every node finds them.
// A code is kept by its digest (CodeKey), never as typed, and lives a
// short while; taking it is what uses it up.
type Devices interface {
	// Put keeps code k for c until ttl has passed (by the store's clock;
	// c.Expires, by the chat's, is the chat's to check).
	Put(ctx context.Context, k CodeKey, c DeviceCode, ttl time.Duration) error
	// Take removes code k and returns what it was for. ok is false for a
	// code never put, already taken or past its ttl. Of several takers of
	// one code, on any nodes, at most one gets ok.
	Take(ctx context.Context, k CodeKey) (c DeviceCode, ok bool, err error)
	// SignOut remembers for ttl that session d was signed out by its
	// person from another device ("Sign out everywhere"), so the device
	// is told so rather than take its name again as after a lapse.
	SignOut(ctx context.Context, d Digest, ttl time.Duration) error
	// SignedOut reports whether session d was signed out, within its
	// ttl.
	SignedOut(ctx context.Context, d Digest) (bool, error)
}

// CodeKey is the SHA-256 of a device code in its canonical form: what a
// store keeps codes by.
type CodeKey = [sha256.Size]byte

// DeviceCode is what a device code signs a device in as.
type DeviceCode struct {
	Name    string // the display form of the registration's name
	Reg     RegID
	Expires time.Time
}

// Device codes: 8 characters of Crockford's base 32 (digits and letters
// but I, L, O and U; a typed O reads as 0, I and L as 1), 40 random bits:
// 2^40 ≈ 1.1e12 codes. A guesser is
// held to the registration budget of its address (5 a second, 20 at
// once): over a code's 2 minutes that is at most 620 tries, one chance in
// about 1.8e9 of hitting a given live code.
const (
	codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	codeLen      = 8
	// CodeTTL is how long a device code may be used.
	CodeTTL = 2 * time.Minute
)

// MemoryDevices is Devices held in this process.
type MemoryDevices struct {
	now   func() time.Time
	codes *onceMap[DeviceCode]
	mu    sync.Mutex
	out   map[Digest]time.Time // signed-out sessions, until when
}

// NewMemoryDevices returns an empty Devices on the clock now (nil:
// time.Now).
func NewMemoryDevices(now func() time.Time) *MemoryDevices {
	if now == nil {
		now = time.Now
	}
	return &MemoryDevices{now: now, codes: newOnceMap[DeviceCode](now), out: make(map[Digest]time.Time)}
}

// Put implements Devices.
func (m *MemoryDevices) Put(_ context.Context, k CodeKey, c DeviceCode, ttl time.Duration) error {
	m.codes.put(k, c, ttl)
	return nil
}

// Take implements Devices.
func (m *MemoryDevices) Take(_ context.Context, k CodeKey) (DeviceCode, bool, error) {
	c, ok := m.codes.take(k)
	return c, ok, nil
}

// SignOut implements Devices; it forgets the expired as it goes.
func (m *MemoryDevices) SignOut(_ context.Context, d Digest, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for old, until := range m.out {
		if !now.Before(until) {
			delete(m.out, old)
		}
	}
	m.out[d] = now.Add(ttl)
	return nil
}

// SignedOut implements Devices.
func (m *MemoryDevices) SignedOut(_ context.Context, d Digest) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.out[d]
	return ok && m.now().Before(until), nil
}

// OfReg lists the sessions of registration reg (see SessionStore).
func (m *MemorySessions) OfReg(reg RegID) []Digest {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Digest
	for d, r := range m.recs {
		if r.Reg == reg {
			out = append(out, d)
		}
	}
	return out
}

// Held implements Registry.
func (r *MemoryRegistry) Held(_ context.Context, key string, reg RegID) (bool, error) {
	h, ok := r.Lookup(key)
	return ok && h.Reg == reg, nil
}

// newCode returns a fresh device code, grouped for reading as
// "XXXX-XXXX", and its key.
func newCode() (string, CodeKey) {
	var b [codeLen]byte
	rand.Read(b[:])
	out := make([]byte, 0, codeLen+1)
	for i, v := range b {
		if i == codeLen/2 {
			out = append(out, '-')
		}
		out = append(out, codeAlphabet[int(v)%len(codeAlphabet)])
	}
	code := string(out)
	k, _ := codeKey(code)
	return code, k
}

// codeKey returns the key of code as someone may type it: any case,
// with or without the dash or spaces. ok is false for what cannot be a
// code.
func codeKey(code string) (CodeKey, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		switch {
		case r == '-' || r == ' ':
		case r < 128 && strings.ContainsRune(codeAlphabet, r):
			b.WriteRune(r)
		default:
			return CodeKey{}, false
		}
	}
	if b.Len() != codeLen {
		return CodeKey{}, false
	}
	return sha256.Sum256([]byte(b.String())), true
}

// errNoCode answers every code that does not link, whatever the reason
// (never made, used, expired, its person gone), alike: the answer tells
// a guesser nothing.
var errNoCode = protocol.Errorf(protocol.CodeNotFound, "that code does not sign in anyone: it may be mistyped, used or expired; ask for a new one on your other device")

// errSignedOut answers the token of a device its person signed out from
// another: the client shows its join page rather than take the name
// again.
var errSignedOut = protocol.Errorf(protocol.CodeSignedOut, "this device was signed out from another of yours (\"Sign out everywhere\")")

// SignedOutMemory is how long a device signed out everywhere is told so,
// rather than unauthorized: about as long as a laptop stays shut.
const SignedOutMemory = 7 * 24 * time.Hour

// codeBudget is each session's budget of device codes: enough for a
// person to make a few and try again, too little to flood the store.
var codeBudget = budget{rate: rate.Every(10 * time.Second), burst: 5}

// DeviceCode makes a one-time code that signs another device in as s's
// person (Link), valid for CodeTTL, and returns it with its expiry. Codes
// are budgeted per session and, with registrations, per address: over
// either, rate_limited.
func (c *Chat) DeviceCode(ctx context.Context, s *Session) (string, time.Time, error) {
	if c.isClosed() {
		return "", time.Time{}, errUnavailable
	}
	now := c.cfg.Clock.Now()
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return "", time.Time{}, errUnauthorized
	}
	if s.codes == nil {
		s.codes = codeBudget.limiter()
	}
	r, err := reserve(s.codes, now, "too many device codes for this session; wait a moment")
	s.mu.Unlock()
	if err != nil {
		return "", time.Time{}, err
	}
	if err := c.budgets.linkAttempt(s.addr, now); err != nil {
		r.CancelAt(now) // refused by the address: the session's code is given back
		return "", time.Time{}, err
	}
	code, k := newCode()
	exp := now.Add(CodeTTL)
	if err := c.devices.Put(ctx, k, DeviceCode{Name: s.name.Display, Reg: s.reg, Expires: exp}, CodeTTL); err != nil {
		c.cfg.Logger.Warn("chat: keeping a device code", "err", err)
		return "", time.Time{}, errStoreDown
	}
	return code, exp, nil
}

// Link signs a new device in with code, for the client at addr: a new
// session of the registration that made the code, its token, and the
// head of the log. The code is used up, whether or not the rest succeeds.
// A code that is malformed, unknown, used, expired, or whose person has
// since left everywhere is not_found, all alike; every attempt is taken
// from the address's registration budget (rate_limited beyond it).
func (c *Chat) Link(ctx context.Context, code, addr string) (*Session, string, uint64, error) {
	if c.isClosed() {
		return nil, "", 0, errUnavailable
	}
	now := c.cfg.Clock.Now()
	if err := c.budgets.register(addr, now); err != nil {
		return nil, "", 0, err
	}
	fail := func(err error) (*Session, string, uint64, error) {
		c.budgets.unregister(addr) // the attempt stays spent; the session place is given back
		return nil, "", 0, err
	}
	k, ok := codeKey(code)
	if !ok {
		return fail(errNoCode)
	}
	dc, ok, err := c.devices.Take(ctx, k)
	if err != nil {
		return fail(errStoreDown)
	}
	if !ok || !now.Before(dc.Expires) {
		return fail(errNoCode)
	}
	n, err := protocol.ParseName(dc.Name)
	if err != nil {
		return fail(errNoCode)
	}
	tok, digest := newToken()
	s := &Session{name: n, reg: dc.Reg, addr: addr, counted: true, digest: digest, limiter: rate.NewLimiter(c.cfg.Rate, c.cfg.Burst), typing: typingLimit(), reads: budget{c.cfg.ReadRate, c.cfg.ReadBurst}.limiter()}
	s.touch(now)
	if err := c.store.Create(ctx, digest, SessionRecord{Name: n.Display, Reg: dc.Reg, Addr: addr, Seen: now}); err != nil {
		return fail(errStoreDown)
	}
	c.mu.Lock()
	c.sessions[digest] = s
	c.mu.Unlock()
	// The person may have gone meanwhile: their last device left, or they
	// signed out everywhere, and the name was freed. Either frees the name
	// before it sweeps away the registration's sessions, so a name still
	// held here means any such sweep comes after the record made above and
	// ends it; a name not held is the end of the link. And a sweep may
	// have deleted the record before the session was in the table above,
	// finding nothing here to end: look again.
	held, err := c.registry.Held(ctx, n.Key, dc.Reg)
	if err == nil && held {
		_, held, err = c.store.Get(ctx, digest)
	}
	if err != nil || !held {
		c.endHere(s) // gives the address's place back
		if _, derr := c.store.Delete(ctx, digest); derr != nil {
			c.cfg.Logger.Warn("chat: forgetting the session of a refused link", "name", n.Display, "err", derr)
		}
		if err != nil {
			return nil, "", 0, errStoreDown
		}
		return nil, "", 0, errNoCode
	}
	head := c.log.Head()
	s.mu.Lock()
	c.armGrace(s, c.cfg.Grace)
	s.mu.Unlock()
	return s, tok, head, nil
}

// LeaveEverywhere signs the person of s out of every device: every
// session of its registration ends (streams closed, tokens refused, on
// every node), then its name is freed and everyone gets its leave. A
// store that cannot be reached is an unavailable refusal, and the call
// may be tried again.
func (c *Chat) LeaveEverywhere(ctx context.Context, s *Session) error {
	if err := c.sweep(ctx, s.reg); err != nil {
		return err
	}
	if err := c.freeName(ctx, s.name.Key, s.name.Display, s.reg); err != nil {
		return errStoreDown
	}
	c.forgetReads(ctx, s.reg)
	return c.sweep(ctx, s.reg)
}

// lastDevice frees the name of s's registration once s, just deleted
// from the store, was its last session: one device leaving leaves the
// name to the person's others. A store whose copy cannot be made current
// keeps the name for now; the lease loop frees it once it has seen the
// registration without a session twice.
func (c *Chat) lastDevice(ctx context.Context, s *Session) error {
	if err := c.store.Current(ctx); err != nil {
		c.cfg.Logger.Warn("chat: checking a person's other devices", "name", s.name.Display, "err", err)
		return nil
	}
	if c.store.Has(s.reg) {
		return nil
	}
	if err := c.freeName(ctx, s.name.Key, s.name.Display, s.reg); err != nil {
		return err
	}
	c.forgetReads(ctx, s.reg)
	// A device linked while the name was being freed is ended too.
	return c.sweep(ctx, s.reg)
}

// sweep deletes every session of registration reg from the store and
// ends those this node holds (other nodes end theirs as they are told).
func (c *Chat) sweep(ctx context.Context, reg RegID) error {
	if err := c.store.Current(ctx); err != nil {
		return errStoreDown
	}
	for _, d := range c.store.OfReg(reg) {
		if err := c.devices.SignOut(ctx, d, SignedOutMemory); err != nil {
			return errStoreDown
		}
		if _, err := c.store.Delete(ctx, d); err != nil {
			return errStoreDown
		}
		c.forget(d)
	}
	return nil
}

// unknownToken is the refusal of a token no session has: signed_out for
// one its person signed out everywhere, unauthorized otherwise.
func (c *Chat) unknownToken(d Digest) error {
	if out, err := c.devices.SignedOut(context.Background(), d); err == nil && out {
		return errSignedOut
	}
	return errUnauthorized
}

// linkAttempt takes one registration from addr's budget, without a
// session place: making a device code costs what a registration does.
func (b *addrBudgets) linkAttempt(addr string, now time.Time) error {
	return b.spend(addr, now, b.registers, func(a *addrBudget) *rate.Limiter { return a.register },
		"too many registrations and device codes from your address; wait a moment")
}
