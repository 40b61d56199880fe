package chat

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hark/app/protocol"
)

// budget is a rate and a burst: a limiter's settings. A rate of 0 or less
// is no budget at all.
type budget struct {
	rate  rate.Limit
	burst int
}

// limiter is a new limiter on b, nil when b is no budget.
func (b budget) limiter() *rate.Limiter {
	if b.rate <= 0 {
		return nil
	}
	return rate.NewLimiter(b.rate, b.burst)
}

// addrBudgets bounds what one client address may do across all its
// sessions: registrations, sends and reads per second, live sessions and
// open streams. A per-session budget alone does nothing against one
// machine holding many sessions.
type addrBudgets struct {
	registers, sends, reads, files budget
	sessions, streams              int // 0: no bound

	mu    sync.Mutex
	addrs map[string]*addrBudget
}

type addrBudget struct {
	register, send, read, file *rate.Limiter // nil when not limited
	sessions                   int
	streams                    int // open on this node
}

func newAddrBudgets(cfg *Config) *addrBudgets {
	return &addrBudgets{
		registers: budget{cfg.AddrRegisterRate, cfg.AddrRegisterBurst},
		sends:     budget{cfg.AddrSendRate, cfg.AddrSendBurst},
		reads:     budget{cfg.AddrReadRate, cfg.AddrReadBurst},
		files:     budget{cfg.AddrFileRate, cfg.AddrFileBurst},
		sessions:  max(cfg.AddrSessions, 0),
		streams:   max(cfg.AddrStreams, 0),
		addrs:     make(map[string]*addrBudget),
	}
}

// get returns addr's budget, making it if need be; b.mu must be held.
func (b *addrBudgets) get(addr string) *addrBudget {
	a := b.addrs[addr]
	if a == nil {
		a = &addrBudget{register: b.registers.limiter(), send: b.sends.limiter(), read: b.reads.limiter(), file: b.files.limiter()}
		b.addrs[addr] = a
	}
	return a
}

// tooMany refuses one more of something addr holds at its bound.
func tooMany(msg string, retryAfter int) error {
	return &protocol.Error{Code: protocol.CodeRateLimited, Message: msg, RetryAfter: retryAfter}
}

// register takes one registration and one live session from addr's
// budget, or refuses with rate_limited.
func (b *addrBudgets) register(addr string, now time.Time) error {
	if addr == "" {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.get(addr)
	if b.sessions > 0 && a.sessions >= b.sessions {
		return tooMany("too many names are held from your address; leave one before taking another", 30)
	}
	if err := take(a.register, now, "too many registrations from your address; wait a moment"); err != nil {
		return err
	}
	a.sessions++
	return nil
}

// openStream takes one open stream from addr's budget, or refuses with
// rate_limited.
func (b *addrBudgets) openStream(addr string) error {
	if addr == "" {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.get(addr)
	if b.streams > 0 && a.streams >= b.streams {
		return tooMany("too many streams are open for the names of your address; close one before opening another", 5)
	}
	a.streams++
	return nil
}

// unregister gives back a live session of addr.
func (b *addrBudgets) unregister(addr string) {
	b.giveBack(addr, func(a *addrBudget) *int { return &a.sessions })
}

// closeStream gives back an open stream of addr.
func (b *addrBudgets) closeStream(addr string) {
	b.giveBack(addr, func(a *addrBudget) *int { return &a.streams })
}

// giveBack lowers by one the count held picks of addr's (its live
// sessions, its open streams).
func (b *addrBudgets) giveBack(addr string, held func(*addrBudget) *int) {
	if addr == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if a := b.addrs[addr]; a != nil {
		if n := held(a); *n > 0 {
			*n--
		}
	}
}

// send takes one send from addr's budget, or refuses with rate_limited.
func (b *addrBudgets) send(addr string, now time.Time) error {
	return b.spend(addr, now, b.sends, func(a *addrBudget) *rate.Limiter { return a.send },
		"too many messages from your address; wait a moment before sending more")
}

// read takes one read from addr's budget, or refuses with rate_limited.
func (b *addrBudgets) read(addr string, now time.Time) error {
	return b.spend(addr, now, b.reads, func(a *addrBudget) *rate.Limiter { return a.read },
		"too many reads of history, people or read positions from your address; wait a moment")
}

// upload takes one upload from addr's budget, or refuses with
// rate_limited.
func (b *addrBudgets) upload(addr string, now time.Time) error {
	return b.spend(addr, now, b.files, func(a *addrBudget) *rate.Limiter { return a.file },
		"too many uploads from your address; wait a moment before sending more files")
}

// spend takes one token of addr's limiter that of picks, when on is a
// budget at all (no entry is made for addr otherwise).
func (b *addrBudgets) spend(addr string, now time.Time, on budget, of func(*addrBudget) *rate.Limiter, msg string) error {
	if addr == "" || on.rate <= 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return take(of(b.get(addr)), now, msg)
}

// prune forgets addresses with no live session whose budgets are full
// again: remembering them would change nothing, and a scan of the whole
// address space must not grow the map without bound.
func (b *addrBudgets) prune(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for addr, a := range b.addrs {
		if a.sessions == 0 && a.streams == 0 && full(a.register, now) && full(a.send, now) && full(a.read, now) && full(a.file, now) {
			delete(b.addrs, addr)
		}
	}
}

func full(l *rate.Limiter, now time.Time) bool {
	return l == nil || l.TokensAt(now) >= float64(l.Burst())
}

// take reserves one token of l (nil: unlimited) or refuses with
// rate_limited, saying when to retry.
func take(l *rate.Limiter, now time.Time, msg string) error {
	_, err := reserve(l, now, msg)
	return err
}

// reserve is take, returning the reservation (nil when l is), which the
// caller may cancel if something after it refuses.
func reserve(l *rate.Limiter, now time.Time, msg string) (*rate.Reservation, error) {
	if l == nil {
		return nil, nil
	}
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 || !r.OK() {
		r.CancelAt(now)
		return nil, &protocol.Error{Code: protocol.CodeRateLimited, Message: msg, RetryAfter: max(1, int(math.Ceil(d.Seconds())))}
	}
	return r, nil
}

// idMemory remembers the seq of each client id sent under a name, so a
// retry is delivered once even when it comes from a new session of the same
// name (the client took its name again after the server forgot it). It
// holds at most size ids in all, forgetting the oldest first: a client
// retries within seconds, and the bound holds whatever the number of
// sessions.
type idMemory struct {
	size int

	mu    sync.Mutex
	seqs  map[idKey]uint64
	order []idKey // a ring of the remembered keys, oldest at next
	next  int
}

type idKey struct{ name, id string }

func newIDMemory(size int) *idMemory {
	return &idMemory{size: size, seqs: make(map[idKey]uint64)}
}

func (m *idMemory) get(name, id string) (uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seq, ok := m.seqs[idKey{name, id}]
	return seq, ok
}

func (m *idMemory) put(name, id string, seq uint64) {
	k := idKey{name, id}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.seqs[k]; ok {
		return
	}
	if len(m.order) < m.size {
		m.order = append(m.order, k)
	} else {
		delete(m.seqs, m.order[m.next])
		m.order[m.next] = k
		m.next = (m.next + 1) % m.size
	}
	m.seqs[k] = seq
}

// len is how many ids are remembered.
func (m *idMemory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seqs)
}
