package chat

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/width"
	"golang.org/x/time/rate"

	"hark/app/protocol"
	"hark/internal/clock"
)

// Config sets the chat's policies. The zero value gives the contract's
// defaults.
type Config struct {
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
	// ReadRate and ReadBurst are each session's budget of reads (history
	// pages, user searches; default 10 a second, 30 at once), and
	// AddrReadRate and AddrReadBurst those of all the sessions of one
	// address (default 50 a second, 100 at once): a read costs the server
	// what it returns, and these bound how often. Zero takes the default,
	// a negative rate turns the budget off.
	ReadRate      rate.Limit
	ReadBurst     int
	AddrReadRate  rate.Limit
	AddrReadBurst int
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
	// FileRate and FileBurst are each session's budget of uploads
	// (default 10 a minute, 10 at once), AddrFileRate and AddrFileBurst
	// those of all the sessions of one address (default 30 a minute, 30
	// at once): an upload costs the store its bytes. Zero takes the
	// default, a negative rate turns the budget off.
	FileRate      rate.Limit
	FileBurst     int
	AddrFileRate  rate.Limit
	AddrFileBurst int
	// AddrStreams bounds the streams open on this node for all the
	// sessions registered from one address (default 200), and
	// SessionStreams those of one session (default 10): without them a
	// token could hold connections until the process ran out of files.
	// Zero takes the default, negative is no bound, as above.
	AddrStreams    int
	SessionStreams int
	// QueueLen is each stream's queue, in events; a stream that falls
	// further behind is ended and resumes from the log.
	QueueLen int
	// QueueBytes bounds each stream's queue in bytes of event JSON too
	// (default 1 MiB): a stream falls behind by QueueLen events or by
	// QueueBytes, whichever comes first, so a queue of large messages
	// holds no more than a queue of small ones would.
	QueueBytes int
	// RoomRate and RoomBurst are each person's budget of rooms made
	// (default 1 a minute, 5 at once), AddrRoomRate and AddrRoomBurst
	// those of all the people of one address (default 1 every 20 s, 20
	// at once). Zero takes the default, a negative rate turns the
	// budget off.
	RoomRate      rate.Limit
	RoomBurst     int
	AddrRoomRate  rate.Limit
	AddrRoomBurst int
	// EditWindow is how long after sending a message its author may
	// still edit it (default 24 hours; negative: no bound).
	EditWindow time.Duration
	// RememberIDs is how many client message ids the chat remembers, in
	// all, to answer retries with the first seq (default 65,536).
	RememberIDs int
	// Logger receives what the chat could not do and nobody asked about
	// (a join or leave that could not be logged, a release that failed
	// and is retried later); nil means slog.Default().
	Logger *slog.Logger
	// Clock is the time the chat reads and its timers wait on (grace,
	// presence, leases, budgets); nil is the system's. Tests move a
	// clock.Fake instead of sleeping.
	Clock clock.Clock
}

// Defaults are the policies a zero field of Config takes, written here
// once: the server's flags show them as theirs.
func Defaults() Config {
	return Config{
		Grace:             30 * time.Second,
		PresenceThreshold: 200,
		PresenceInterval:  time.Second,
		Rate:              10,
		Burst:             20,
		ReadRate:          10,
		ReadBurst:         30,
		AddrRegisterRate:  5,
		AddrRegisterBurst: 20,
		AddrSessions:      50,
		AddrSendRate:      50,
		AddrSendBurst:     100,
		AddrReadRate:      50,
		AddrReadBurst:     100,
		FileRate:          rate.Every(6 * time.Second),
		FileBurst:         10,
		AddrFileRate:      rate.Every(2 * time.Second),
		AddrFileBurst:     30,
		RoomRate:          rate.Every(time.Minute),
		RoomBurst:         5,
		AddrRoomRate:      rate.Every(20 * time.Second),
		AddrRoomBurst:     20,
		AddrStreams:       200,
		SessionStreams:    10,
		EditWindow:        24 * time.Hour,
		QueueLen:          256,
		QueueBytes:        1 << 20,
		RememberIDs:       1 << 16,
	}
}

func (c *Config) setDefaults() {
	d := Defaults()
	if c.RememberIDs <= 0 {
		c.RememberIDs = d.RememberIDs
	}
	c.AddrRegisterRate, c.AddrRegisterBurst = limitDefaults(c.AddrRegisterRate, c.AddrRegisterBurst, d.AddrRegisterRate, d.AddrRegisterBurst)
	c.AddrSendRate, c.AddrSendBurst = limitDefaults(c.AddrSendRate, c.AddrSendBurst, d.AddrSendRate, d.AddrSendBurst)
	c.ReadRate, c.ReadBurst = limitDefaults(c.ReadRate, c.ReadBurst, d.ReadRate, d.ReadBurst)
	c.AddrReadRate, c.AddrReadBurst = limitDefaults(c.AddrReadRate, c.AddrReadBurst, d.AddrReadRate, d.AddrReadBurst)
	c.FileRate, c.FileBurst = limitDefaults(c.FileRate, c.FileBurst, d.FileRate, d.FileBurst)
	c.AddrFileRate, c.AddrFileBurst = limitDefaults(c.AddrFileRate, c.AddrFileBurst, d.AddrFileRate, d.AddrFileBurst)
	c.RoomRate, c.RoomBurst = limitDefaults(c.RoomRate, c.RoomBurst, d.RoomRate, d.RoomBurst)
	c.AddrRoomRate, c.AddrRoomBurst = limitDefaults(c.AddrRoomRate, c.AddrRoomBurst, d.AddrRoomRate, d.AddrRoomBurst)
	if c.AddrSessions == 0 {
		c.AddrSessions = d.AddrSessions
	}
	if c.AddrStreams == 0 {
		c.AddrStreams = d.AddrStreams
	}
	if c.SessionStreams == 0 {
		c.SessionStreams = d.SessionStreams
	}
	if c.Grace <= 0 {
		c.Grace = d.Grace
	}
	if c.PresenceThreshold <= 0 {
		c.PresenceThreshold = d.PresenceThreshold
	}
	if c.PresenceInterval <= 0 {
		c.PresenceInterval = d.PresenceInterval
	}
	if c.Rate <= 0 {
		c.Rate = d.Rate
	}
	if c.Burst <= 0 {
		c.Burst = d.Burst
	}
	if c.QueueLen <= 0 {
		c.QueueLen = d.QueueLen
	}
	if c.EditWindow == 0 {
		c.EditWindow = d.EditWindow
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = d.QueueBytes
	}
	if c.Clock == nil {
		c.Clock = clock.Real
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// limitDefaults fills a rate and burst: zero takes the defaults; a
// negative rate, or a negative burst, turns the budget off (rate -1).
func limitDefaults(r rate.Limit, burst int, defRate rate.Limit, defBurst int) (rate.Limit, int) {
	if r < 0 || burst < 0 {
		return -1, max(burst, 0)
	}
	if r == 0 {
		r = defRate
	}
	if burst == 0 {
		burst = defBurst
	}
	return r, burst
}

// Stats are the chat's running totals, for metrics.
type Stats struct {
	Logged          uint64 // sequenced events appended
	Delivered       uint64 // entries queued to streams
	Dropped         uint64 // entries not queued because a queue was full
	SlowDisconnects uint64 // streams ended for falling behind
	Online          int    // names held
	Streams         int    // open streams
	FanoutLag       uint64 // log entries not yet handed to streams
}

// Chat is the service the transports drive: registration, sending, streams,
// history, the roster and presence. See the package comment for its locks.
type Chat struct {
	cfg      Config
	log      Log
	registry Registry
	hub      *Hub
	fan      *fanout
	store    SessionStore
	signals  Signals
	files    FileStore
	devices  Devices
	passkeys Passkeys
	rooms    Rooms
	reads    ReadState
	budgets  *addrBudgets
	// roomBudget bounds how often rooms are made.
	roomBudget *roomBudgets
	// roomLocks make one room's changes one at a time on a node, so its
	// store and its log tell them in the same order.
	roomLocks [64]sync.Mutex
	ids       *idMemory

	// sendLocks make a send and the record of its id one step per name,
	// so two retries racing with the same id (from two sessions of one
	// name, after a reclaim) are delivered once.
	sendLocks [64]sync.Mutex

	// membership serialises joins and leaves with the presence roster, so
	// a roster sent in a presence event agrees with the join and leave
	// events around it (both reach the fan-out in the same order).
	membership sync.Mutex

	mu       sync.RWMutex
	sessions map[[sha256.Size]byte]*Session
	closed   bool

	// Running totals for Stats; deliveries are the hub's.
	logged, dropped, slow atomic.Uint64

	stopOnce sync.Once
	wg       sync.WaitGroup
	// life ends when the chat closes: its loops stop, and every wait for
	// the store ends.
	life    context.Context
	endLife context.CancelFunc
}

// New returns a running chat on st, whose every part it needs; Close
// stops the chat (the store is the caller's to close).
func New(st Store, cfg Config) *Chat {
	if !st.complete() {
		panic("chat: New needs a Store with every part (chat.MemoryStore for one node)")
	}
	cfg.setDefaults()
	c := &Chat{
		cfg:      cfg,
		hub:      NewHub(),
		log:      st.Log,
		registry: st.Names,
		store:    st.Sessions,
		signals:  st.Signals,
		files:    st.Files,
		devices:  st.Devices,
		passkeys: st.Passkeys,
		rooms:    st.Rooms,
		reads:    st.Reads,
		budgets:  newAddrBudgets(&cfg),
		ids:      newIDMemory(cfg.RememberIDs),
		sessions: make(map[[sha256.Size]byte]*Session),
	}
	c.roomBudget = newRoomBudgets(&cfg)
	c.life, c.endLife = context.WithCancel(context.Background())
	c.hub.onOverflow = c.countOverflow
	c.fan = newFanout(c.hub)
	c.log.Follow(c.fan.push)
	c.loadRooms()
	c.signals.Follow(c.deliverSignal)
	c.store.OnGone(c.forget)
	c.wg.Add(2)
	go c.presenceLoop()
	go c.leaseLoop()
	return c
}

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
	if head, done := c.log.Head(), c.fan.cursor.Load(); head > done {
		s.FanoutLag = head - done
	}
	return s
}

func (c *Chat) countOverflow(dropped int) {
	c.dropped.Add(uint64(dropped))
	c.slow.Add(1)
}

// counts reports whether presence goes by counts for online people.
func (c *Chat) counts(online int) bool { return online > c.cfg.PresenceThreshold }

// Register takes name for a new session from the client at addr (its
// address, for the per-address budgets; empty means none) and returns the
// session, its token and the head of the log before the session's join. A
// taken name is an *protocol.Error with code name_taken; an invalid one,
// invalid_name; an address over its budget, rate_limited.
func (c *Chat) Register(ctx context.Context, name, addr string) (*Session, string, uint64, error) {
	n, err := protocol.ParseName(name)
	if err != nil {
		return nil, "", 0, err
	}
	if c.isClosed() {
		return nil, "", 0, errUnavailable
	}
	now := c.cfg.Clock.Now()
	if err := c.budgets.register(addr, now); err != nil {
		return nil, "", 0, err
	}
	if err := c.notKept(ctx, n); err != nil {
		c.budgets.unregister(addr)
		return nil, "", 0, err
	}
	tok, digest := newToken()
	s := &Session{name: n, reg: newRegID(), addr: addr, counted: true, digest: digest, limiter: rate.NewLimiter(c.cfg.Rate, c.cfg.Burst), typing: typingLimit(), reads: budget{c.cfg.ReadRate, c.cfg.ReadBurst}.limiter(), uploads: budget{c.cfg.FileRate, c.cfg.FileBurst}.limiter()}
	s.touch(now)

	// The session record goes first, outside the membership lock: until
	// the name is claimed nobody has its token, and a record without a
	// name is deleted below or expires with its lease.
	rec := SessionRecord{Name: n.Display, Reg: s.reg, Addr: addr, Seen: now}
	if err := c.store.Create(ctx, digest, rec); err != nil {
		c.budgets.unregister(addr)
		return nil, "", 0, err
	}
	c.membership.Lock()
	if err := c.registry.Claim(ctx, n.Key, Holder{Display: n.Display, Reg: s.reg}); err != nil {
		c.membership.Unlock()
		c.budgets.unregister(addr)
		if _, derr := c.store.Delete(ctx, digest); derr != nil {
			// The lease loop releases it once its grace has passed.
			c.cfg.Logger.Warn("chat: forgetting the session of a refused registration", "name", n.Display, "err", derr)
		}
		if errors.Is(err, ErrNameTaken) {
			return nil, "", 0, protocol.Errorf(protocol.CodeNameTaken, "the name %q is in use", n.Display)
		}
		return nil, "", 0, err
	}
	c.mu.Lock()
	c.sessions[digest] = s
	c.mu.Unlock()
	head := c.log.Head()
	if !c.counts(c.registry.Count()) {
		if err := c.append(ctx, presenceEntry(protocol.TypeJoin, n.Display, s.reg, now)); err != nil {
			// The name is taken all the same; only the join is not told.
			c.cfg.Logger.Warn("chat: logging a join", "name", n.Display, "err", err)
		}
	}
	c.membership.Unlock()

	// A session that never opens a stream is released like one whose
	// streams all closed.
	s.mu.Lock()
	c.armGrace(s, c.cfg.Grace)
	s.mu.Unlock()
	return s, tok, head, nil
}

var errUnavailable = protocol.Errorf(protocol.CodeUnavailable, "the server is shutting down; try again in a moment")

var errStoreDown = protocol.Errorf(protocol.CodeUnavailable, "the store did not answer; try again in a moment")

var errUnauthorized = protocol.Errorf(protocol.CodeUnauthorized, "the session token is missing, unknown or expired; register a name again")

// Authenticate returns the live session whose token is token. Every
// authenticated request counts as the session showing itself: a session
// with no stream is released only a grace period after the last one.
func (c *Chat) Authenticate(token string) (*Session, error) {
	if token == "" {
		return nil, errUnauthorized
	}
	digest := sha256.Sum256([]byte(token))
	s := c.local(digest)
	if s == nil {
		var err error
		if s, err = c.load(digest); err != nil {
			return nil, err
		}
	}
	if !s.matches(digest) {
		return nil, errUnauthorized
	}
	s.touch(c.cfg.Clock.Now())
	return s, nil
}

// Leave releases the session's name at once and ends its streams.
// A store that cannot be reached is an unavailable refusal: the session
// is kept in the store, and the leave can be tried again.
func (c *Chat) Leave(ctx context.Context, s *Session) error {
	return c.release(ctx, s)
}

// armGrace has s expire after d; s.mu must be held.
func (c *Chat) armGrace(s *Session, d time.Duration) {
	s.grace = c.cfg.Clock.AfterFunc(d, func() { c.expire(s) })
}

// expire releases a session whose grace period ran out, unless a stream
// opened or a request came meanwhile; then it waits for the rest of the
// grace after that request.
func (c *Chat) expire(s *Session) {
	if c.isClosed() {
		// A node that stopped releases nothing on its way out: with a
		// shared store the session may live on on another node, whose
		// lease (or the others' janitor) decides.
		return
	}
	s.mu.Lock()
	if s.released || s.streams > 0 {
		s.mu.Unlock()
		return
	}
	if idle := c.cfg.Clock.Now().Sub(s.lastSeen()); idle < c.cfg.Grace {
		c.armGrace(s, c.cfg.Grace-idle)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if c.seenElsewhere(s) {
		return
	}
	if err := c.release(context.Background(), s); err != nil {
		// The session's record stays in the store; the lease loop
		// releases it once the store answers.
		c.cfg.Logger.Warn("chat: releasing a session after its grace", "name", s.name.Display, "err", err)
	}
}

// release ends the session: no new stream may open, its streams are taken
// out of the hub and ended before anything else happens (so nothing more,
// and nothing meant for a later holder of the name, reaches them), then
// its token is forgotten and its name freed.
func (c *Chat) release(ctx context.Context, s *Session) error {
	if !c.endHere(s) {
		return nil
	}
	// Only the node whose delete wins frees the name and says leave: two
	// nodes releasing one session (its grace ran out on both) say it once.
	gone, err := c.store.Delete(ctx, s.digest)
	if err != nil {
		return errStoreDown // the record stays: the leave may be retried
	}
	if !gone {
		return nil
	}
	return c.lastDevice(ctx, s)
}

// freeName frees the name key if registration reg still holds it and then,
// below the presence threshold, says its leave. Only a name the
// registration still held is left: a session whose claim never happened
// must not make everyone drop a later holder.
func (c *Chat) freeName(ctx context.Context, key, display string, reg RegID) error {
	c.membership.Lock()
	defer c.membership.Unlock()
	wasCounts := c.counts(c.registry.Count())
	if freed, err := c.registry.Release(ctx, key, reg); err != nil || !freed {
		return err
	}
	if !wasCounts {
		if err := c.append(ctx, presenceEntry(protocol.TypeLeave, display, reg, c.cfg.Clock.Now())); err != nil {
			// The name is free all the same; only the leave is not told.
			c.cfg.Logger.Warn("chat: logging a leave", "name", display, "err", err)
		}
	}
	return nil
}

// endHere ends the session on this node: no new stream may open, its
// streams are taken out of the hub and ended, its token stops working here
// and its place in its address's budget is given back. It reports false if
// the session had already ended.
func (c *Chat) endHere(s *Session) bool {
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return false
	}
	s.released = true
	if s.grace != nil {
		s.grace.Stop()
	}
	s.mu.Unlock()
	c.hub.endSession(s.reg, s, Released)
	c.mu.Lock()
	delete(c.sessions, s.digest)
	c.mu.Unlock()
	if s.counted {
		c.budgets.unregister(s.addr)
	}
	return true
}

// presenceEntry is a join or leave of registration reg, named so a durable
// log stores it once however often a node retries it. The name is this
// entry's own, not the registration's: a registration whose name is kept
// with a passkey joins and leaves again and again, and a durable log
// must store each time (within its duplicate window, a name it has seen
// is dropped as a retry).
func presenceEntry(kind, name string, reg RegID, now time.Time) *Entry {
	e := newEntry(protocol.Event{Type: kind, From: name, Time: protocol.NewTime(now)}, 0, 0)
	e.dedupe = kind + ":" + strconv.FormatUint(uint64(reg), 16) + ":" + strconv.FormatUint(uint64(newRegID()), 16)
	return e
}

func (c *Chat) append(ctx context.Context, e *Entry) error {
	if err := c.log.Append(ctx, e); err != nil {
		return err
	}
	c.logged.Add(1)
	return nil
}

// Send appends a message from s: to everyone when send.To is empty, else to
// that name; with ReplyTo, an answer to a message of the same
// conversation. A retry of an id already sent under s's name (by this
// session or an earlier one of the same name) returns the first seq and
// appends nothing. A released session is refused unauthorized. Refusals
// are *protocol.Error.
func (c *Chat) Send(ctx context.Context, s *Session, send protocol.Send) (uint64, error) {
	if err := send.Validate(); err != nil {
		return 0, err
	}
	if send.ReplyTo != 0 {
		c.reach(ctx, send.ReplyTo, sendReadBack) // as an action's target (Act)
	}
	// The file's metadata is read before the name's send lock: a round
	// trip to the store, as the wait above, holds up no other send.
	file, err := c.fileToSend(ctx, send.File)
	if err != nil {
		return 0, err
	}
	seq, err := c.appendOnce(ctx, s, send.ID, func(now time.Time) (*Entry, error) {
		return c.message(s, send, file, now)
	})
	if err == nil {
		c.sent(ctx, file, dedupeKey(s.name.Key, send.ID), seq)
	}
	return seq, err
}

// message is the entry of send from s, carrying file (nil: none), not yet
// appended.
func (c *Chat) message(s *Session, send protocol.Send, file *FileMeta, now time.Time) (*Entry, error) {
	key := s.name.Key
	ev := protocol.Event{Type: protocol.TypeMessage, ID: send.ID, From: s.name.Display, Text: send.Text, Time: protocol.NewTime(now)}
	var to RegID
	var rcptKey string
	if send.Room != "" {
		if _, err := c.roomMessage(s, send.Room); err != nil {
			return nil, err
		}
		ev.Type, ev.Room = protocol.TypeRoomMessage, send.Room
	}
	if send.To != "" {
		rcptKey = toKey(send.To)
		h, ok := c.registry.Lookup(rcptKey)
		if !ok {
			return nil, protocol.Errorf(protocol.CodeNoSuchUser, "%q is not online", send.To)
		}
		ev.To, to = h.Display, h.Reg
	}
	if send.ReplyTo != 0 {
		parent, err := c.target(s, send.ReplyTo, "answer")
		if err != nil {
			return nil, err
		}
		// The answer stays in its parent's conversation: a reply in one
		// must not quote another to people who cannot see it.
		if !parent.between(s.reg, to, send.Room) {
			return nil, protocol.Errorf(protocol.CodeNotFound, "message %d is not in this conversation", send.ReplyTo)
		}
		ev.ReplyTo = send.ReplyTo
	}
	if file != nil {
		// The event carries the file as the store has it, never as a
		// client says it is.
		f, err := attach(file, s, to, send.Room, dedupeKey(key, send.ID))
		if err != nil {
			return nil, err
		}
		ev.File = f
	}
	e := newEntry(ev, s.reg, to)
	e.room = send.Room
	if to != 0 {
		e.fromKey, e.toKey = key, rcptKey
	}
	return e, nil
}

// sendReadBack bounds how long a send waits for this node's copy.
const sendReadBack = time.Second

// appendOnce appends the entry make makes for s's id, once: under the
// name's send lock, a retry of an id already stored under s's name
// returns the first seq, and the budgets are spent only on a first try.
// Acknowledged means stored and, on this node, readable: a history asked
// for next has it even while this node's copy of a shared log is a moment
// behind the store. That wait is bounded shortly, and by the caller: a
// copy far behind (its server lost) must not hold every sender, nor a
// WebSocket's reads, which sends share.
func (c *Chat) appendOnce(ctx context.Context, s *Session, id string, make func(now time.Time) (*Entry, error)) (uint64, error) {
	seq, err := c.appendOnceLocked(ctx, s, id, make)
	if err != nil {
		return 0, err
	}
	c.reach(ctx, seq, sendReadBack)
	return seq, nil
}

func (c *Chat) appendOnceLocked(ctx context.Context, s *Session, id string, make func(now time.Time) (*Entry, error)) (uint64, error) {
	if !s.Live() {
		return 0, errUnauthorized
	}
	key := s.name.Key
	lock := &c.sendLocks[maphash.String(sendSeed, key)%uint64(len(c.sendLocks))]
	lock.Lock()
	defer lock.Unlock()
	if seq, ok := c.ids.get(key, id); ok {
		return seq, nil
	}
	now := c.cfg.Clock.Now()
	if err := take(s.limiter, now, "too many messages; wait a moment before sending more"); err != nil {
		return 0, err
	}
	if err := c.budgets.send(s.addr, now); err != nil {
		return 0, err
	}
	e, err := make(now)
	if err != nil {
		return 0, err
	}
	e.dedupe = dedupeKey(key, id)
	if err := c.append(ctx, e); err != nil {
		return 0, err
	}
	c.ids.put(key, id, e.seq)
	return e.seq, nil
}

var sendSeed = maphash.MakeSeed()

// dedupeKey names a message (or action) by its sender's name key and its
// client id: equal for it and its retries, under any session of the name.
func dedupeKey(nameKey, id string) string { return nameKey + "\x00" + id }

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
// event after pos.Since that s may see (or a reset if those are no longer
// kept or pos is from another epoch), then live events. Close the stream
// when the connection ends.
func (c *Chat) Open(s *Session, pos Position) (*Stream, error) {
	if c.isClosed() {
		return nil, errUnavailable
	}
	if err := c.budgets.openStream(s.addr); err != nil {
		return nil, err
	}
	st := newStream(s, c.cfg.QueueLen, c.cfg.QueueBytes)
	st.closeFn = func() { c.closeStream(st) }
	// Joining the hub under the session's lock closes the window in which
	// a release could slip between the check and the join and leave a
	// stream subscribed for a session that is gone.
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		c.budgets.closeStream(s.addr)
		return nil, errUnauthorized
	}
	if c.cfg.SessionStreams > 0 && s.streams >= c.cfg.SessionStreams {
		s.mu.Unlock()
		c.budgets.closeStream(s.addr)
		return nil, &protocol.Error{
			Code:       protocol.CodeRateLimited,
			Message:    fmt.Sprintf("this session has %d streams open, the most it may; close one before opening another", c.cfg.SessionStreams),
			RetryAfter: 5,
		}
	}
	s.streams++
	if s.grace != nil {
		s.grace.Stop()
	}
	// Subscribe before reading the log: anything appended from here on is
	// in the queue, so the replay below and the queue overlap rather than
	// leave a gap, and the stream drops the overlap by seq.
	c.hub.add(st)
	s.mu.Unlock()
	if c.isClosed() { // Close ran its EndAll before the add above
		st.end(Shutdown)
	}
	c.catchUp(pos)

	head := c.log.Head()
	online := c.registry.Count()
	hello := protocol.Event{Type: protocol.TypeHello, Name: s.name.Display, Online: online, Epoch: c.log.Epoch(), Seq: head}
	if !c.counts(online) {
		hello.Users = c.registry.List("", online+1)
		hello.Online = len(hello.Users)
	}
	pending := []*Entry{control(hello)}
	last := head
	if pos.Resume {
		if pos.Epoch != "" && pos.Epoch != c.log.Epoch() {
			pending = append(pending, control(protocol.Event{Type: protocol.TypeReset}))
		} else {
			err := c.log.Since(pos.Since, func(e *Entry) bool {
				if c.sees(e, s.reg) {
					pending = append(pending, e)
				}
				last = e.seq
				return true
			})
			if err != nil {
				pending = append(pending[:1], control(protocol.Event{Type: protocol.TypeReset}))
				last = head
			}
		}
	}
	st.start(pending, last)
	return st, nil
}

// catchUp waits, a bounded time, for a node's copy of a shared log to
// reach a position the client saw on a faster node, so it is replayed
// rather than answered with a reset.
func (c *Chat) catchUp(pos Position) {
	if !pos.Resume || (pos.Epoch != "" && pos.Epoch != c.log.Epoch()) {
		return
	}
	c.reach(context.Background(), pos.Since, catchUpWait)
}

// reach waits until this node's copy of a shared log holds seq, for at
// most bound, and no longer than ctx or the chat. A log held in this
// process always does.
func (c *Chat) reach(ctx context.Context, seq uint64, bound time.Duration) {
	if seq <= c.log.Head() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	stop := context.AfterFunc(c.life, cancel)
	defer stop()
	c.log.Current(ctx, seq)
}

// catchUpWait bounds how long a resume waits for this node's copy.
const catchUpWait = 5 * time.Second

func (c *Chat) closeStream(st *Stream) {
	c.hub.remove(st)
	s := st.session
	s.touch(c.cfg.Clock.Now())
	s.mu.Lock()
	s.streams--
	if s.streams == 0 && !s.released {
		c.armGrace(s, c.cfg.Grace)
	}
	s.mu.Unlock()
	c.budgets.closeStream(s.addr)
}

// Read takes one read (a page of history, a search of who is online) from
// s's budget and its address's, or refuses with rate_limited, saying when
// to retry. The transports call it before they read for s.
func (c *Chat) Read(s *Session) error {
	return c.spend(s.reads, "too many reads of history, people or read positions; wait a moment", func(now time.Time) error {
		return c.budgets.read(s.addr, now)
	})
}

// spend takes one token of a session's limiter l (nil: no budget), then
// one of its address's (byAddr), or refuses with rate_limited (msg, for
// the session's), saying when to retry. A refusal by the address gives
// the session's token back.
func (c *Chat) spend(l *rate.Limiter, msg string, byAddr func(now time.Time) error) error {
	now := c.cfg.Clock.Now()
	r, err := reserve(l, now, msg)
	if err != nil {
		return err
	}
	if err := byAddr(now); err != nil {
		if r != nil {
			r.CancelAt(now)
		}
		return err
	}
	return nil
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
// once when it goes back to per-person events. It also forgets idle
// per-address budgets now and then.
func (c *Chat) presenceLoop() {
	defer c.wg.Done()
	t := c.cfg.Clock.NewTicker(c.cfg.PresenceInterval)
	defer t.Stop()
	prune := c.cfg.Clock.NewTicker(time.Minute)
	defer prune.Stop()
	lastOnline, lastCounts := -1, false
	for {
		select {
		case <-c.life.Done():
			return
		case <-prune.C():
			c.budgets.prune(c.cfg.Clock.Now())
			continue
		case <-t.C():
		}
		c.membership.Lock()
		online := c.registry.Count()
		counts := c.counts(online)
		switch {
		case counts && online != lastOnline:
			c.fan.push(control(protocol.Event{Type: protocol.TypePresence, Online: online}))
		case !counts && lastCounts:
			users := c.registry.List("", online+1)
			c.fan.push(control(protocol.Event{Type: protocol.TypePresence, Online: len(users), Users: users}))
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
	c.hub.EndAll(Shutdown)
	c.stopOnce.Do(func() {
		c.endLife()
		c.fan.close()
	})
	c.wg.Wait()
}
