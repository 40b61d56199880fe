package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"hark/app/protocol"
)

// Options configure a Client. The zero value is usable in the browser.
type Options struct {
	// BaseURL is the server, such as "http://127.0.0.1:8080"; "" means the
	// page's origin in the browser. It is required on the host.
	BaseURL string
	// HTTPClient makes requests; nil means http.DefaultClient (fetch in the
	// browser).
	HTTPClient *http.Client
	// Transport is the initial choice, default Auto.
	Transport Transport
	// Store keeps the session and outbox across reloads; nil means memory.
	Store Store
	// OnEvent, if set, is called for every sequenced event a stream
	// delivers (after dedupe), in order, from the client's goroutine. It
	// must not block for long. History loaded for display is not passed.
	OnEvent func(protocol.Event)
	// OnChange, if set, is called from a client goroutine after the State
	// changed, never with the Client's lock held.
	OnChange func()
	// KeepMessages is how many items State keeps: 0 means 500, -1 none.
	KeepMessages int
	// AutoOpenTimeout is how long Auto waits for a transport's hello before
	// trying the next one (default 4 s).
	AutoOpenTimeout time.Duration
}

// Defaults of Options.
const (
	DefaultKeepMessages    = 500
	DefaultAutoOpenTimeout = 4 * time.Second
	// historyLimit is how many messages are loaded on start and on reset.
	historyLimit = 50
	// openTimeout bounds opening a transport chosen by hand, where there is
	// nothing to fall back to and a slow network deserves patience.
	openTimeout = 30 * time.Second
	// sendTimeout bounds one attempt to deliver a message.
	sendTimeout = 15 * time.Second
)

// Errors of Run.
var (
	// ErrNoSession: Run was called before Register or Restore.
	ErrNoSession = errors.New("client: no session; Register or Restore first")
	// ErrRunning: Run (or Register) was called while Run is running.
	ErrRunning = errors.New("client: already running")
	// errLeft is the cause with which Leave stops Run.
	errLeft = errors.New("client: left")
)

// Client is one person's connection to Hark. Create it with New.
type Client struct {
	opts    Options
	http    *http.Client
	base    string
	store   Store
	keep    int
	backoff backoff

	// flushCh wakes the outbox sender; kick wakes a reconnect wait.
	flushCh chan struct{}
	kick    chan struct{}

	mu          sync.Mutex
	st          State
	tok         string
	nameKey     string
	outbox      []queued
	needHistory bool
	running     bool
	stopRun     context.CancelCauseFunc
	cur         stream             // the open stream, nil if none
	curCancel   context.CancelFunc // ends the stream being opened or read
	switching   bool               // SetTransport asked for a new stream
	settled     Transport          // where Auto last settled

	// typedAt is when Typing last told the server, by conversation key.
	typedAt map[string]time.Time
	// markers are MarkRead's marks, by conversation key.
	markers map[string]*marker
	// typingTimer clears typing indicators as they lapse; typingLasts is
	// how long one lasts (protocol.TypingLasts; shorter in tests).
	typingTimer *time.Timer
	typingLasts time.Duration
	// now is the clock, for tests.
	now func() time.Time
}

// New returns a Client. It does not connect: call Register or Restore, then
// Run.
func New(opts Options) *Client {
	c := &Client{
		opts:    opts,
		http:    opts.HTTPClient,
		base:    strings.TrimRight(opts.BaseURL, "/"),
		store:   opts.Store,
		keep:    opts.KeepMessages,
		backoff: defaultBackoff,
		flushCh: make(chan struct{}, 1),
		kick:    make(chan struct{}, 1),
		typedAt: make(map[string]time.Time),
		markers: make(map[string]*marker),

		typingLasts: protocol.TypingLasts,
		now:         time.Now,
	}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.base == "" {
		c.base = defaultBase()
	}
	if c.store == nil {
		c.store = NewMemoryStore()
	}
	if c.keep == 0 {
		c.keep = DefaultKeepMessages
	}
	if c.opts.AutoOpenTimeout <= 0 {
		c.opts.AutoOpenTimeout = DefaultAutoOpenTimeout
	}
	c.st.Chosen = validTransport(opts.Transport)
	c.st.Conn = Stopped
	return c
}

func validTransport(t Transport) Transport {
	switch t {
	case WebSocket, SSE, Poll:
		return t
	}
	return Auto
}

// changed tells the owner that State changed. Call it without c.mu held.
func (c *Client) changed() {
	if c.opts.OnChange != nil {
		c.opts.OnChange()
	}
}

// State returns a snapshot copy for rendering.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return copyState(&c.st)
}

// Register takes a name (POST /api/session) and, on success, keeps the
// session in the Store. Messages left in the outbox under that name (a tab
// closed before they were sent) are queued again. Errors from the server
// are *protocol.Error with its code and message.
func (c *Client) Register(ctx context.Context, name string) (protocol.Session, error) {
	return c.newSession(ctx, "/api/session", protocol.SessionRequest{Name: name})
}

// Restore picks up a session saved in the Store (after a reload): Run then
// resumes from the saved seq and epoch. It reports false if there is none.
func (c *Client) Restore() bool {
	tok, ok1 := c.store.Get(keyToken)
	name, ok2 := c.store.Get(keyName)
	if !ok1 || !ok2 || tok == "" {
		return false
	}
	epoch, _ := c.store.Get(keyEpoch)
	raw, _ := c.store.Get(keySeq)
	seq, _ := strconv.ParseUint(raw, 10, 64)
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return false
	}
	c.begin(name, tok, epoch, seq)
	c.mu.Unlock()
	c.changed()
	return true
}

// begin starts a session's state, with c.mu held: a fresh list that Run
// fills from history, and the outbox kept under the name.
func (c *Client) begin(name, tok, epoch string, seq uint64) {
	c.tok = tok
	c.nameKey = protocol.NameKey(name)
	c.st = State{Name: name, Chosen: c.st.Chosen, Conn: Stopped, Epoch: epoch, Seq: seq}
	c.needHistory = true
	clear(c.typedAt)
	c.stopMarkers()
	c.loadOutbox()
}

// Registration names the session the Client holds without being its
// token (it is a digest of it): the same through reloads of the tab,
// different for each registration of a name, "" with no session. The UI
// keys what it keeps of a person's conversations by it, so the next
// holder of a released name in the same browser sees none of them, as
// the server's history shows them none.
func (c *Client) Registration() string {
	c.mu.Lock()
	tok := c.tok
	c.mu.Unlock()
	if tok == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:12])
}

// Leave signs this device out (DELETE /api/session): the name is freed
// unless another device of the person is still signed in. It forgets the
// session and its outbox, and stops Run. A session the server no longer
// knows counts as left.
func (c *Client) Leave(ctx context.Context) error {
	return c.leave(ctx, "/api/session")
}

// leave stops Run, asks path to end the session (DELETE), and forgets
// the session and its outbox. A session the server no longer knows
// counts as gone.
func (c *Client) leave(ctx context.Context, path string) error {
	// Stop Run first: once the server releases the name, a reconnect would
	// see 401 and report an expiry instead of a leave.
	c.mu.Lock()
	stop := c.stopRun
	c.mu.Unlock()
	if stop != nil {
		stop(errLeft)
	}
	err := c.do(ctx, http.MethodDelete, path, nil, nil, nil)
	if tokenRefused(err) {
		err = nil
	}
	c.mu.Lock()
	c.store.Delete(outboxKey(c.nameKey))
	c.outbox = nil
	c.forget()
	c.st = State{Chosen: c.st.Chosen, Conn: Stopped}
	c.mu.Unlock()
	c.changed()
	return err
}

// forget drops the session from memory and the Store, with c.mu held.
func (c *Client) forget() {
	c.tok = ""
	c.stopMarkers()
	for _, k := range []string{keyToken, keyName, keyEpoch, keySeq} {
		c.store.Delete(k)
	}
}

// Users searches GET /api/users?prefix=&limit= (limit 0: the server's
// default).
func (c *Client) Users(ctx context.Context, prefix string, limit int) (protocol.Users, error) {
	q := url.Values{"prefix": {prefix}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var u protocol.Users
	err := c.do(ctx, http.MethodGet, "/api/users", q, nil, &u)
	return u, err
}

// SetTransport switches at once: the open stream is closed and a new one
// resumes from the last seq seen, so nothing is lost or repeated. Choosing
// Auto keeps a working stream as it is.
func (c *Client) SetTransport(t Transport) {
	t = validTransport(t)
	c.mu.Lock()
	if c.st.Chosen == t {
		c.mu.Unlock()
		return
	}
	c.st.Chosen = t
	var cancel context.CancelFunc
	switching := c.running && t != Auto && t != c.st.Active
	if switching {
		c.switching = true
		cancel = c.curCancel
	}
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if switching {
		c.wake(c.kick) // cut a reconnect wait short
	}
	c.changed()
}

// wake signals ch without blocking; one pending signal is enough.
func (c *Client) wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
