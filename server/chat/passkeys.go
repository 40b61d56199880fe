package chat

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sync"
	"time"

	wan "github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"golang.org/x/time/rate"

	"hark/app/protocol"
)

// Passkeys keeps, per name, the passkeys (WebAuthn credentials) that keep
// it for one registration, and the short-lived state of the ceremonies
// that add a passkey or sign in with one, where every node finds them. A
// name with a passkey is not given to anyone else when its person goes
// offline; it is signed into again, as the same registration, with the
// passkey.
type Passkeys interface {
	// Keep returns what keeps name key, from the store's own record
	// (never a copy that may lag): a registration refused or allowed
	// rests on it. ok is false for a name without a passkey.
	Keep(ctx context.Context, key string) (k Kept, ok bool, err error)
	// Add keeps cred for name key and the registration of k (whose
	// Credentials it ignores): the first passkey of a name makes its
	// record with k's Display, Reg and Handle; a later one joins the
	// record, replacing a credential with the same ID (an updated sign
	// count). A name kept by another registration refuses
	// ErrKeptByOther and stores nothing.
	Add(ctx context.Context, key string, k Kept, cred webauthn.Credential) error
	// Remove forgets every passkey of name key if registration reg
	// keeps it, and reports whether it did.
	Remove(ctx context.Context, key string, reg RegID) (bool, error)
	// PutCeremony keeps ceremony state c under k until ttl has passed
	// (by the store's clock; c.Expires, by the chat's, is the chat's to
	// check).
	PutCeremony(ctx context.Context, k CodeKey, c Ceremony, ttl time.Duration) error
	// TakeCeremony removes ceremony k and returns it: ok is false for
	// one never put, already taken or past its ttl, and of several
	// takers on any nodes at most one gets ok.
	TakeCeremony(ctx context.Context, k CodeKey) (c Ceremony, ok bool, err error)
}

// ErrKeptByOther is returned by Passkeys.Add for a name another
// registration keeps.
var ErrKeptByOther = errors.New("chat: the name is kept by another registration")

// Kept is what keeps a name: the registration it belongs to, its display
// form, the WebAuthn user handle its passkeys were made for, and the
// passkeys.
type Kept struct {
	Display     string
	Reg         RegID
	Handle      []byte
	Credentials []webauthn.Credential
}

// Ceremony is the server's half of a passkey ceremony between its begin
// and its finish: what it is for and the WebAuthn state (challenge) it
// must answer.
type Ceremony struct {
	// SignIn is set for a sign-in; otherwise the ceremony adds a passkey
	// to the name of registration Reg.
	SignIn  bool
	Key     string // the name's compare key
	Display string
	Reg     RegID
	Handle  []byte
	Session webauthn.SessionData
	Expires time.Time
}

// CeremonyTTL is how long a passkey ceremony may take, from its begin to
// its finish: time to touch an authenticator, not to keep a challenge
// about.
const CeremonyTTL = 2 * time.Minute

// RelyingParty is who a passkey is made for: the host name the browser
// shows (a passkey made for one name is never offered on another) and
// the origins its pages come from.
type RelyingParty struct {
	ID      string
	Origins []string
}

// passkeyBudget is each session's budget of passkey ceremonies it
// begins: a few tries, too few to flood the store.
var passkeyBudget = budget{rate: rate.Every(10 * time.Second), burst: 5}

// webAuthn is the WebAuthn relying party for rp.
func webAuthn(rp RelyingParty) (*webauthn.WebAuthn, error) {
	return webauthn.New(&webauthn.Config{RPID: rp.ID, RPDisplayName: "Hark", RPOrigins: rp.Origins})
}

// user is a name as go-webauthn sees it.
type user struct {
	display string
	handle  []byte
	creds   []webauthn.Credential
}

func (u user) WebAuthnID() []byte                         { return u.handle }
func (u user) WebAuthnName() string                       { return u.display }
func (u user) WebAuthnDisplayName() string                { return u.display }
func (u user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

var (
	errNoCeremony    = protocol.Errorf(protocol.CodeNotFound, "that passkey request is unknown, used or expired; start again")
	errNoPasskey     = protocol.Errorf(protocol.CodeNotFound, "that name has no passkey here; join with it, or type the name your passkey keeps")
	errNotThePasskey = protocol.Errorf(protocol.CodeForbidden, "that passkey does not prove this name: it may be another name's, or the browser's answer did not check out")
	errBadCredential = protocol.Errorf(protocol.CodeBadRequest, "the passkey answer is not the browser's PublicKeyCredential JSON")
)

// keptRefusal is the answer to a registration of a name kept with a
// passkey: its person signs in with the passkey instead.
func keptRefusal(display string) error {
	return protocol.Errorf(protocol.CodeNameTaken, "%s is kept with a passkey; sign in with it", display)
}

// ceremonyID returns a fresh ceremony id (128 random bits) and its key.
func ceremonyID() (string, CodeKey) {
	var b [16]byte
	rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	return id, sha256.Sum256([]byte(id))
}

// PasskeyBegin starts adding a passkey to the name of s for the relying
// party rp: it returns the ceremony's id and the WebAuthn creation
// options (the browser's navigator.credentials.create argument, as JSON).
// Ceremonies are budgeted per session and, with registrations, per
// address (rate_limited).
func (c *Chat) PasskeyBegin(ctx context.Context, s *Session, rp RelyingParty) (string, json.RawMessage, error) {
	if c.isClosed() {
		return "", nil, errUnavailable
	}
	now := c.cfg.Clock.Now()
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return "", nil, errUnauthorized
	}
	if s.passkeys == nil {
		s.passkeys = passkeyBudget.limiter()
	}
	r, err := reserve(s.passkeys, now, "too many passkey requests for this session; wait a moment")
	s.mu.Unlock()
	if err != nil {
		return "", nil, err
	}
	if err := c.budgets.linkAttempt(s.addr, now); err != nil {
		r.CancelAt(now)
		return "", nil, err
	}
	k, ok, err := c.passkeys.Keep(ctx, s.name.Key)
	if err != nil {
		return "", nil, errStoreDown
	}
	if ok && k.Reg != s.reg {
		// Only a name's holder may add to it, and the holder of a kept
		// name is its keeper: this is a race with a sign-in, lost.
		return "", nil, errNotThePasskey
	}
	if !ok {
		k = Kept{Display: s.name.Display, Reg: s.reg, Handle: make([]byte, 32)}
		rand.Read(k.Handle)
	}
	w, err := webAuthn(rp)
	if err != nil {
		return "", nil, protocol.Errorf(protocol.CodeBadRequest, "passkeys need a host name: %v", err)
	}
	u := user{display: k.Display, handle: k.Handle, creds: k.Credentials}
	opts, sd, err := w.BeginRegistration(u,
		webauthn.WithResidentKeyRequirement(wan.ResidentKeyRequirementRequired),
		webauthn.WithExclusions(webauthn.Credentials(k.Credentials).CredentialDescriptors()))
	if err != nil {
		return "", nil, err
	}
	return c.putCeremony(ctx, Ceremony{Key: s.name.Key, Display: s.name.Display, Reg: s.reg, Handle: k.Handle, Session: *sd}, opts, now)
}

// putCeremony keeps ce and returns its id with opts as JSON.
func (c *Chat) putCeremony(ctx context.Context, ce Ceremony, opts any, now time.Time) (string, json.RawMessage, error) {
	body, err := json.Marshal(opts)
	if err != nil {
		return "", nil, err
	}
	id, key := ceremonyID()
	ce.Expires = now.Add(CeremonyTTL)
	if err := c.passkeys.PutCeremony(ctx, key, ce, CeremonyTTL); err != nil {
		c.cfg.Logger.Warn("chat: keeping a passkey ceremony", "err", err)
		return "", nil, errStoreDown
	}
	return id, body, nil
}

// takeCeremony uses up ceremony id and returns it, or not_found for one
// unknown, used or expired.
func (c *Chat) takeCeremony(ctx context.Context, id string) (Ceremony, error) {
	ce, ok, err := c.passkeys.TakeCeremony(ctx, sha256.Sum256([]byte(id)))
	if err != nil {
		return Ceremony{}, errStoreDown
	}
	if !ok || !c.cfg.Clock.Now().Before(ce.Expires) {
		return Ceremony{}, errNoCeremony
	}
	return ce, nil
}

// PasskeyFinish ends a ceremony PasskeyBegin started for s with the
// browser's answer (the PublicKeyCredential as JSON): the passkey is
// kept, and s's name with it. A ceremony begun by another person, or
// for another relying party, is forbidden; an unknown, used or expired
// one not_found; an answer that does not verify forbidden. Nothing is
// stored on a refusal.
func (c *Chat) PasskeyFinish(ctx context.Context, s *Session, rp RelyingParty, id string, response []byte) error {
	if !s.Live() {
		return errUnauthorized
	}
	ce, err := c.takeCeremony(ctx, id)
	if err != nil {
		return err
	}
	if ce.SignIn || ce.Reg != s.reg || ce.Key != s.name.Key || ce.Session.RelyingPartyID != rp.ID {
		return errNotThePasskey
	}
	parsed, err := wan.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return errBadCredential
	}
	w, err := webAuthn(rp)
	if err != nil {
		return errNotThePasskey
	}
	k, _, err := c.passkeys.Keep(ctx, ce.Key)
	if err != nil {
		return errStoreDown
	}
	cred, err := w.CreateCredential(user{display: ce.Display, handle: ce.Handle, creds: k.Credentials}, ce.Session, parsed)
	if err != nil {
		return errNotThePasskey
	}
	kept := Kept{Display: ce.Display, Reg: ce.Reg, Handle: ce.Handle}
	if err := c.passkeys.Add(ctx, ce.Key, kept, *cred); err != nil {
		if errors.Is(err, ErrKeptByOther) {
			return errNotThePasskey
		}
		return errStoreDown
	}
	// The person may have left meanwhile and the name been taken by
	// another: a passkey must never keep a name its registration no
	// longer holds, so it is taken back.
	held, err := c.registry.Held(ctx, ce.Key, ce.Reg)
	if err == nil && held {
		return nil
	}
	if _, rerr := c.passkeys.Remove(ctx, ce.Key, ce.Reg); rerr != nil {
		c.cfg.Logger.Warn("chat: taking back the passkey of a name let go", "name", ce.Display, "err", rerr)
	}
	if err != nil {
		return errStoreDown
	}
	return errUnauthorized
}

// HasPasskey reports how many passkeys keep the name of s for its
// registration.
func (c *Chat) HasPasskey(ctx context.Context, s *Session) (int, error) {
	if !s.Live() {
		return 0, errUnauthorized
	}
	k, ok, err := c.passkeys.Keep(ctx, s.name.Key)
	if err != nil {
		return 0, errStoreDown
	}
	if !ok || k.Reg != s.reg {
		return 0, nil
	}
	return len(k.Credentials), nil
}

// RemovePasskeys forgets the passkeys of s's name: the name goes back to
// the rule for everyone, freed a grace after its person's last device.
func (c *Chat) RemovePasskeys(ctx context.Context, s *Session) error {
	if !s.Live() {
		return errUnauthorized
	}
	if _, err := c.passkeys.Remove(ctx, s.name.Key, s.reg); err != nil {
		return errStoreDown
	}
	return nil
}

// PasskeyLoginBegin starts a sign-in to name with its passkey, from the
// client at addr: the ceremony's id and the WebAuthn request options
// (navigator.credentials.get's argument, as JSON), allowing the name's
// passkeys only. A name without a passkey is not_found: which names have
// one is no secret, since registering one says so. Each begin is taken
// from the address's registration budget (rate_limited).
func (c *Chat) PasskeyLoginBegin(ctx context.Context, name, addr string, rp RelyingParty) (string, json.RawMessage, error) {
	n, err := protocol.ParseName(name)
	if err != nil {
		return "", nil, err
	}
	if c.isClosed() {
		return "", nil, errUnavailable
	}
	now := c.cfg.Clock.Now()
	if err := c.budgets.linkAttempt(addr, now); err != nil {
		return "", nil, err
	}
	k, ok, err := c.passkeys.Keep(ctx, n.Key)
	if err != nil {
		return "", nil, errStoreDown
	}
	if !ok || len(k.Credentials) == 0 {
		return "", nil, errNoPasskey
	}
	w, err := webAuthn(rp)
	if err != nil {
		return "", nil, protocol.Errorf(protocol.CodeBadRequest, "passkeys need a host name: %v", err)
	}
	opts, sd, err := w.BeginLogin(user{display: k.Display, handle: k.Handle, creds: k.Credentials})
	if err != nil {
		return "", nil, err
	}
	return c.putCeremony(ctx, Ceremony{SignIn: true, Key: n.Key, Display: k.Display, Reg: k.Reg, Handle: k.Handle, Session: *sd}, opts, now)
}

// PasskeyLogin ends a sign-in PasskeyLoginBegin started, with the
// browser's answer, for the client at addr: a new session (device) of
// the registration the passkey keeps, its token and the head of the log,
// as a registration answers. The name is taken again if nobody of the
// registration is online (a join is said), else the device joins them
// (as a linked device). The ceremony is used up whatever happens; an
// answer that does not verify, or by a passkey of another name, is
// forbidden and makes nothing. Every attempt is taken from the address's
// registration budget.
func (c *Chat) PasskeyLogin(ctx context.Context, rp RelyingParty, id string, response []byte, addr string) (*Session, string, uint64, error) {
	if c.isClosed() {
		return nil, "", 0, errUnavailable
	}
	now := c.cfg.Clock.Now()
	if err := c.budgets.register(addr, now); err != nil {
		return nil, "", 0, err
	}
	fail := func(err error) (*Session, string, uint64, error) {
		c.budgets.unregister(addr)
		return nil, "", 0, err
	}
	ce, err := c.takeCeremony(ctx, id)
	if err != nil {
		return fail(err)
	}
	if !ce.SignIn || ce.Session.RelyingPartyID != rp.ID {
		return fail(errNotThePasskey)
	}
	parsed, err := wan.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return fail(errBadCredential)
	}
	k, ok, err := c.passkeys.Keep(ctx, ce.Key)
	if err != nil {
		return fail(errStoreDown)
	}
	if !ok || k.Reg != ce.Reg || !bytes.Equal(k.Handle, ce.Handle) {
		return fail(errNotThePasskey) // removed, or kept anew, since the begin
	}
	w, err := webAuthn(rp)
	if err != nil {
		return fail(errNotThePasskey)
	}
	cred, err := w.ValidateLogin(user{display: k.Display, handle: k.Handle, creds: k.Credentials}, ce.Session, parsed)
	if err != nil {
		return fail(errNotThePasskey)
	}
	if err := c.passkeys.Add(ctx, ce.Key, k, *cred); err != nil {
		// The sign count is a hint against cloned authenticators; not
		// keeping it refuses nobody.
		c.cfg.Logger.Warn("chat: keeping a passkey's sign count", "name", k.Display, "err", err)
	}
	n, err := protocol.ParseName(k.Display)
	if err != nil {
		return fail(errNotThePasskey)
	}
	return c.signIn(ctx, n, k.Reg, addr, now)
}

// signIn makes a session of registration reg for name n from addr (its
// place in the address's budget already taken), taking the name again
// if the registration holds it nowhere.
func (c *Chat) signIn(ctx context.Context, n protocol.Name, reg RegID, addr string, now time.Time) (*Session, string, uint64, error) {
	tok, digest := newToken()
	s := &Session{name: n, reg: reg, addr: addr, counted: true, digest: digest, limiter: rate.NewLimiter(c.cfg.Rate, c.cfg.Burst), typing: typingLimit(), reads: budget{c.cfg.ReadRate, c.cfg.ReadBurst}.limiter(), uploads: budget{c.cfg.FileRate, c.cfg.FileBurst}.limiter()}
	s.touch(now)
	if err := c.store.Create(ctx, digest, SessionRecord{Name: n.Display, Reg: reg, Addr: addr, Seen: now}); err != nil {
		c.budgets.unregister(addr)
		return nil, "", 0, errStoreDown
	}
	c.membership.Lock()
	err := c.registry.Claim(ctx, n.Key, Holder{Display: n.Display, Reg: reg})
	joined := err == nil
	if errors.Is(err, ErrNameTaken) {
		// Another device of the person holds it: this one joins them.
		var held bool
		if held, err = c.registry.Held(ctx, n.Key, reg); err == nil && !held {
			err = keptRefusal(n.Display)
		}
	}
	if err == nil {
		c.mu.Lock()
		c.sessions[digest] = s
		c.mu.Unlock()
	}
	head := c.log.Head()
	if joined && !c.counts(c.registry.Count()) {
		if lerr := c.append(ctx, presenceEntry(protocol.TypeJoin, n.Display, reg, now)); lerr != nil {
			c.cfg.Logger.Warn("chat: logging a join", "name", n.Display, "err", lerr)
		}
	}
	c.membership.Unlock()
	if err == nil {
		// As in Link: the person's last other device may have freed the
		// name meanwhile and swept this session away with the others.
		held, herr := c.registry.Held(ctx, n.Key, reg)
		if herr == nil && held {
			_, held, herr = c.store.Get(ctx, digest)
		}
		if herr == nil && held {
			s.mu.Lock()
			c.armGrace(s, c.cfg.Grace)
			s.mu.Unlock()
			return s, tok, head, nil
		}
		c.endHere(s) // gives the address's place back
		err = protocol.Errorf(protocol.CodeUnavailable, "your other device was signing out as you signed in; sign in again")
	} else {
		c.budgets.unregister(addr)
	}
	if _, derr := c.store.Delete(ctx, digest); derr != nil {
		c.cfg.Logger.Warn("chat: forgetting the session of a refused passkey sign-in", "name", n.Display, "err", derr)
	}
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		err = errStoreDown
	}
	return nil, "", 0, err
}

// MemoryPasskeys is Passkeys held in this process.
type MemoryPasskeys struct {
	ceremonies *onceMap[Ceremony]
	mu         sync.Mutex
	kept       map[string]Kept
}

// NewMemoryPasskeys returns an empty Passkeys on the clock now (nil:
// time.Now).
func NewMemoryPasskeys(now func() time.Time) *MemoryPasskeys {
	return &MemoryPasskeys{ceremonies: newOnceMap[Ceremony](now), kept: make(map[string]Kept)}
}

// Keep implements Passkeys.
func (m *MemoryPasskeys) Keep(_ context.Context, key string) (Kept, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.kept[key]
	k.Credentials = append([]webauthn.Credential(nil), k.Credentials...)
	return k, ok, nil
}

// Add implements Passkeys.
func (m *MemoryPasskeys) Add(_ context.Context, key string, k Kept, cred webauthn.Credential) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.kept[key]
	if ok && old.Reg != k.Reg {
		return ErrKeptByOther
	}
	if !ok {
		old = Kept{Display: k.Display, Reg: k.Reg, Handle: k.Handle}
	}
	old.Credentials = WithCredential(old.Credentials, cred)
	m.kept[key] = old
	return nil
}

// WithCredential returns creds with cred in it, replacing one with the
// same ID (its sign count updated); creds itself is not changed. Stores
// use it to add a passkey.
func WithCredential(creds []webauthn.Credential, cred webauthn.Credential) []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(creds)+1)
	for _, c := range creds {
		if !bytes.Equal(c.ID, cred.ID) {
			out = append(out, c)
		}
	}
	return append(out, cred)
}

// Remove implements Passkeys.
func (m *MemoryPasskeys) Remove(_ context.Context, key string, reg RegID) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.kept[key]; ok && k.Reg == reg {
		delete(m.kept, key)
		return true, nil
	}
	return false, nil
}

// PutCeremony implements Passkeys.
func (m *MemoryPasskeys) PutCeremony(_ context.Context, k CodeKey, c Ceremony, ttl time.Duration) error {
	m.ceremonies.put(k, c, ttl)
	return nil
}

// TakeCeremony implements Passkeys.
func (m *MemoryPasskeys) TakeCeremony(_ context.Context, k CodeKey) (Ceremony, bool, error) {
	c, ok := m.ceremonies.take(k)
	return c, ok, nil
}

// notKept refuses a registration of name n, name_taken, when a passkey
// keeps it: its person signs in with the passkey, and nobody else may
// take it while they are offline.
func (c *Chat) notKept(ctx context.Context, n protocol.Name) error {
	k, ok, err := c.passkeys.Keep(ctx, n.Key)
	if err != nil {
		return errStoreDown
	}
	if ok {
		return keptRefusal(k.Display)
	}
	return nil
}
