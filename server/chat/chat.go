package chat

import (
	"context"
	"crypto/sha256"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/width"
	"golang.org/x/time/rate"

	"hark/app/protocol"
)

// ErrEnded is returned by Stream.Next once the server has ended the stream.
var ErrEnded = errors.New("chat: stream ended by the server")

// Config sets the chat's policies. The zero value gives the contract's
// defaults.
type Config struct {
	// Keep is how many events the log keeps for resume and history.
	Keep int
	// Grace is how long a name is kept with no open stream.
	Grace time.Duration
	// PresenceThreshold is the number of people online above which
	// presence goes by counts instead of per-person events and rosters.
	PresenceThreshold int
	// PresenceInterval is the most often a presence count goes out.
	PresenceInterval time.Duration
	// Rate and Burst are each session's send budget.
	Rate  rate.Limit
	Burst int
	// Budgets per client address, which bound what one machine can do
	// with many sessions. Zero takes the default; a negative value turns
	// the limit off (tests, load generators behind one address).
	//
	// AddrRegisterRate and AddrRegisterBurst bound registrations (default
	// 5 a second, 20 at once); AddrSessions bounds live sessions (default
	// 50); AddrSendRate and AddrSendBurst bound sends across all of an
	// address's sessions (default 50 a second, 100 at once).
	AddrRegisterRate  rate.Limit
	AddrRegisterBurst int
	AddrSessions      int
	AddrSendRate      rate.Limit
	AddrSendBurst     int
	// QueueLen is each stream's queue, in events; a stream that falls
	// further behind is ended and resumes from the log.
	QueueLen int
	// Log and Registry replace the in-memory ones (a cluster). If Log is
	// set, the caller must hand each of its entries to Chat.Deliver.
	Log      Log
	Registry Registry
	// Now is the clock, for tests.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Keep <= 0 {
		c.Keep = 10000
	}
	if c.Grace <= 0 {
		c.Grace = 30 * time.Second
	}
	if c.PresenceThreshold <= 0 {
		c.PresenceThreshold = 200
	}
	if c.PresenceInterval <= 0 {
		c.PresenceInterval = time.Second
	}
	if c.Rate <= 0 {
		c.Rate = 10
	}
	if c.Burst <= 0 {
		c.Burst = 20
	}
	if c.QueueLen <= 0 {
		c.QueueLen = 256
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Stats are the chat's running totals, for metrics.
type Stats struct {
	Logged          uint64 // sequenced events appended
	Delivered       uint64 // entries queued to streams
	Dropped         uint64 // entries not queued because a queue was full
	SlowDisconnects uint64 // streams ended for falling behind
	Online          int    // names held
	Streams         int    // open streams
}

// Chat is the service the transports drive: registration, sending, streams,
// history, the roster and presence.
type Chat struct {
	cfg      Config
	log      Log
	registry Registry
	hub      *Hub

	// membership serialises joins and leaves with the presence roster, so
	// a roster sent in a presence event agrees with the join and leave
	// events around it.
	membership sync.Mutex

	mu       sync.RWMutex
	sessions map[[sha256.Size]byte]*Session
	closed   bool

	// Running totals for Stats; deliveries are the hub's.
	logged, dropped, slow atomic.Uint64

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// New returns a running chat; Close stops it.
func New(cfg Config) *Chat {
	cfg.setDefaults()
	c := &Chat{
		cfg:      cfg,
		hub:      NewHub(),
		registry: cfg.Registry,
		sessions: make(map[[sha256.Size]byte]*Session),
		stop:     make(chan struct{}),
	}
	c.hub.onDrop = c.countDrop
	c.log = cfg.Log
	if c.log == nil {
		c.log = NewMemoryLog(cfg.Keep, c.hub.Deliver)
	}
	if c.registry == nil {
		c.registry = NewMemoryRegistry()
	}
	c.wg.Add(1)
	go c.presenceLoop()
	return c
}

// Deliver hands an entry of the log to the streams that may see it. Only a
// Log supplied in Config needs it: the in-memory log delivers by itself.
func (c *Chat) Deliver(e *Entry) { c.hub.Deliver(e) }

// Epoch names the chat's log.
func (c *Chat) Epoch() string { return c.log.Epoch() }

// Head is the seq of the last event.
func (c *Chat) Head() uint64 { return c.log.Head() }

// Stats returns the running totals.
func (c *Chat) Stats() Stats {
	s := Stats{Logged: c.logged.Load(), Dropped: c.dropped.Load(), SlowDisconnects: c.slow.Load()}
	s.Delivered = c.hub.Delivered.Load()
	s.Online = c.registry.Count()
	s.Streams = c.hub.Len()
	return s
}

func (c *Chat) countDrop(ended bool) {
	c.dropped.Add(1)
	if ended {
		c.slow.Add(1)
	}
}

// counts reports whether presence goes by counts for online people.
func (c *Chat) counts(online int) bool { return online > c.cfg.PresenceThreshold }

// Register takes name for a new session and returns the session, its token
// and the head of the log before the session's join. A taken name is an
// *protocol.Error with code name_taken; an invalid one, invalid_name.
func (c *Chat) Register(ctx context.Context, name string) (*Session, string, uint64, error) {
	n, err := protocol.ParseName(name)
	if err != nil {
		return nil, "", 0, err
	}
	if c.isClosed() {
		return nil, "", 0, errUnavailable
	}
	c.membership.Lock()
	defer c.membership.Unlock()
	if err := c.registry.Claim(ctx, n.Key, n.Display); err != nil {
		if errors.Is(err, ErrNameTaken) {
			return nil, "", 0, protocol.Errorf(protocol.CodeNameTaken, "the name %q is in use", n.Display)
		}
		return nil, "", 0, err
	}
	tok, digest := newToken()
	s := &Session{name: n, digest: digest, limiter: rate.NewLimiter(c.cfg.Rate, c.cfg.Burst)}
	c.mu.Lock()
	c.sessions[digest] = s
	c.mu.Unlock()
	head := c.log.Head()
	if !c.counts(c.registry.Count()) {
		c.append(ctx, &Entry{Event: protocol.Event{Type: protocol.TypeJoin, From: n.Display, Time: protocol.NewTime(c.cfg.Now())}})
	}
	// A session that never opens a stream is released like one whose
	// streams all closed.
	s.mu.Lock()
	s.grace = time.AfterFunc(c.cfg.Grace, func() { c.expire(s) })
	s.mu.Unlock()
	return s, tok, head, nil
}

var errUnavailable = protocol.Errorf(protocol.CodeUnavailable, "the server is shutting down; try again in a moment")

var errUnauthorized = protocol.Errorf(protocol.CodeUnauthorized, "the session token is missing, unknown or expired; register a name again")

// Authenticate returns the live session whose token is token.
func (c *Chat) Authenticate(token string) (*Session, error) {
	if token == "" {
		return nil, errUnauthorized
	}
	digest := sha256.Sum256([]byte(token))
	c.mu.RLock()
	s, ok := c.sessions[digest]
	c.mu.RUnlock()
	if !ok || !s.matches(digest) {
		return nil, errUnauthorized
	}
	return s, nil
}

// Leave releases the session's name at once and ends its streams.
func (c *Chat) Leave(ctx context.Context, s *Session) {
	c.release(ctx, s)
}

// expire releases a session whose grace period ran out, unless a stream
// opened meanwhile.
func (c *Chat) expire(s *Session) {
	s.mu.Lock()
	idle := s.streams == 0 && !s.released
	s.mu.Unlock()
	if idle {
		c.release(context.Background(), s)
	}
}

func (c *Chat) release(ctx context.Context, s *Session) {
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return
	}
	s.released = true
	if s.grace != nil {
		s.grace.Stop()
	}
	s.mu.Unlock()

	c.mu.Lock()
	delete(c.sessions, s.digest)
	c.mu.Unlock()
	c.hub.CloseKey(s.name.Key, Released)

	c.membership.Lock()
	defer c.membership.Unlock()
	wasCounts := c.counts(c.registry.Count())
	c.registry.Release(ctx, s.name.Key)
	if !wasCounts {
		c.append(ctx, &Entry{Event: protocol.Event{Type: protocol.TypeLeave, From: s.name.Display, Time: protocol.NewTime(c.cfg.Now())}})
	}
}

func (c *Chat) append(ctx context.Context, e *Entry) error {
	if err := c.log.Append(ctx, e); err != nil {
		return err
	}
	c.logged.Add(1)
	return nil
}

// Send appends a message from s: to everyone when send.To is empty, else to
// that name. A retry of an id s already sent returns the first seq and
// appends nothing. Refusals are *protocol.Error.
func (c *Chat) Send(ctx context.Context, s *Session, send protocol.Send) (uint64, error) {
	if err := send.Validate(); err != nil {
		return 0, err
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if seq, ok := s.remembered(send.ID); ok {
		return seq, nil
	}
	if r := s.limiter.Reserve(); r.Delay() > 0 {
		wait := r.Delay()
		r.Cancel()
		return 0, &protocol.Error{
			Code:       protocol.CodeRateLimited,
			Message:    "too many messages; wait a moment before sending more",
			RetryAfter: int(math.Ceil(wait.Seconds())),
		}
	}
	e := &Entry{
		Event:    protocol.Event{Type: protocol.TypeMessage, ID: send.ID, From: s.name.Display, Text: send.Text, Time: protocol.NewTime(c.cfg.Now())},
		fromKey:  s.name.Key,
		senderID: send.ID,
	}
	if send.To != "" {
		key := toKey(send.To)
		display, ok := c.registry.Lookup(key)
		if !ok {
			return 0, protocol.Errorf(protocol.CodeNoSuchUser, "%q is not online", send.To)
		}
		e.Event.To, e.toKey = display, key
	}
	if err := c.append(ctx, e); err != nil {
		return 0, err
	}
	s.remember(send.ID, e.Event.Seq)
	return e.Event.Seq, nil
}

// toKey is the compare key of a name as typed; for a string that is no
// valid name it folds case and width so a search still finds something.
func toKey(s string) string {
	if n, err := protocol.ParseName(s); err == nil {
		return n.Key
	}
	return cases.Fold().String(width.Fold.String(s))
}

// Position is where a stream resumes.
type Position struct {
	// Since is the last seq the client saw; valid when Resume is set.
	Since  uint64
	Resume bool
	// Epoch is the epoch of Since; empty means the current one.
	Epoch string
}

// Open starts a stream for s: a hello first, then, when pos resumes, every
// visible event after pos.Since (or a reset if those are no longer kept or
// pos is from another epoch), then live events. Close the stream when the
// connection ends.
func (c *Chat) Open(s *Session, pos Position) (*Stream, error) {
	if c.isClosed() {
		return nil, errUnavailable
	}
	st := &Stream{
		session: s,
		key:     s.name.Key,
		queue:   make(chan *Entry, c.cfg.QueueLen),
		ended:   make(chan struct{}),
	}
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return nil, errUnauthorized
	}
	s.streams++
	if s.grace != nil {
		s.grace.Stop()
	}
	s.mu.Unlock()
	st.closeFn = func() { c.closeStream(st) }

	// Subscribe before reading the log: anything appended from here on is
	// in the queue, so the replay below and the queue overlap rather than
	// leave a gap, and Stream.fresh drops the overlap.
	c.hub.add(st)

	head := c.log.Head()
	online := c.registry.Count()
	hello := protocol.Event{Type: protocol.TypeHello, Name: s.name.Display, Online: online, Epoch: c.log.Epoch(), Seq: head}
	if !c.counts(online) {
		hello.Users = c.registry.List("", online+1)
		hello.Online = len(hello.Users)
	}
	st.pending = append(st.pending, control(hello))

	if pos.Resume {
		if pos.Epoch != "" && pos.Epoch != c.log.Epoch() {
			st.pending = append(st.pending, control(protocol.Event{Type: protocol.TypeReset}))
			st.last = head
		} else {
			err := c.log.Since(pos.Since, func(e *Entry) bool {
				if e.VisibleTo(st.key) {
					st.pending = append(st.pending, e)
				}
				st.last = e.Event.Seq
				return true
			})
			if err != nil {
				st.pending = append(st.pending, control(protocol.Event{Type: protocol.TypeReset}))
				st.last = head
			}
		}
	} else {
		st.last = head
	}
	return st, nil
}

func (c *Chat) closeStream(st *Stream) {
	c.hub.remove(st)
	s := st.session
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams--
	if s.streams == 0 && !s.released {
		s.grace = time.AfterFunc(c.cfg.Grace, func() { c.expire(s) })
	}
}

// History returns up to limit of the latest message events s may see,
// oldest first.
func (c *Chat) History(s *Session, limit int) []*Entry {
	if limit <= 0 || limit > protocol.MaxHistory {
		limit = protocol.MaxHistory
	}
	var out []*Entry
	c.log.Recent(func(e *Entry) bool {
		if e.Event.Type == protocol.TypeMessage && e.VisibleTo(s.name.Key) {
			out = append(out, e)
		}
		return len(out) < limit
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Users returns the number of people online and, in compare-key order, up
// to limit of their names whose keys start with prefix's key.
func (c *Chat) Users(prefix string, limit int) (int, []string) {
	if limit <= 0 {
		limit = protocol.DefaultUsers
	}
	if limit > protocol.MaxUsers {
		limit = protocol.MaxUsers
	}
	p := ""
	if prefix != "" {
		p = toKey(prefix)
	}
	return c.registry.Count(), c.registry.List(p, limit)
}

// presenceLoop sends counts while presence goes by counts, and the roster
// once when it goes back to per-person events.
func (c *Chat) presenceLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.PresenceInterval)
	defer t.Stop()
	lastOnline, lastCounts := -1, false
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.membership.Lock()
		online := c.registry.Count()
		counts := c.counts(online)
		switch {
		case counts && online != lastOnline:
			c.hub.Deliver(control(protocol.Event{Type: protocol.TypePresence, Online: online}))
		case !counts && lastCounts:
			users := c.registry.List("", online+1)
			c.hub.Deliver(control(protocol.Event{Type: protocol.TypePresence, Online: len(users), Users: users}))
		}
		c.membership.Unlock()
		lastOnline, lastCounts = online, counts
	}
}

func (c *Chat) isClosed() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.closed
}

// Close ends every stream with Shutdown and stops the chat. Sessions stay
// valid until the process exits, so streams can be drained.
func (c *Chat) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.hub.CloseAll(Shutdown)
	c.stopOnce.Do(func() { close(c.stop) })
	c.wg.Wait()
}
