package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hark/app/client"
	"hark/app/protocol"
)

// What a member's OnChange is waiting to see, if anything.
const (
	watchNone   int32 = iota
	watchUp           // the first connection (hello received)
	watchDownUp       // a disconnection, then a connection again
)

// member is one simulated person: an app/client Client over one transport.
type member struct {
	i    int
	name string
	tr   client.Transport
	c    *client.Client
	f    *fleet

	cancel context.CancelFunc
	done   chan struct{} // closed when Run returns

	watch   atomic.Int32
	sawDown atomic.Bool
	upAt    atomic.Int64 // unix ns of the awaited connection

	mu      sync.Mutex // guards lastSeq and this member's bits in the window
	lastSeq uint64

	ackMu   sync.Mutex
	unacked map[string]sentMsg // by text: what this member sent, not yet acked
}

// sentMsg is when a message was sent, and in which window.
type sentMsg struct {
	w  *window
	at time.Time
}

// msgInfo is one message sent in a window: who sent it and to whom (-1 for
// everyone).
type msgInfo struct {
	from, to int32
}

// window is one measured stretch of sending: every delivery of a message
// sent in it is checked against what was sent.
type window struct {
	base  uint64 // number of the first message
	start time.Time

	hist       histogram
	byTr       [3]histogram // by the receiver's transport: ws, sse, poll
	ack        histogram    // sends, from Send until the sender knew them stored (see ackStore)
	deliveries atomic.Uint64
	expected   atomic.Uint64
	dups       atomic.Uint64
	ooo        atomic.Uint64
	late       atomic.Uint64 // deliveries of messages from an earlier window
	lastRecv   atomic.Int64

	mu   sync.Mutex
	msgs []msgInfo // by number - base

	recv [][]uint64 // per member, a bitset of numbers - base received
}

// fleet is every member of a scenario and what they share.
type fleet struct {
	bases   []string // members go round-robin over the nodes
	hc      *http.Client
	members []*member
	prefix  string // makes names unique per run, for servers that outlive it

	win   atomic.Pointer[window]
	nextK uint64 // number of the next window's first message
	up    atomic.Int64
}

func newFleet(bases []string, hc *http.Client) *fleet {
	return &fleet{bases: bases, hc: hc, prefix: fmt.Sprintf("lg%04x", rand.Uint32()&0xffff)}
}

// add makes n members over the transports mixed as mix says. Transports
// are interleaved (by largest deficit), so any slice of members, such as
// the first few senders, has the same mix as the whole.
func (f *fleet) add(n int, mix []share) {
	have := make([]float64, len(mix))
	for i := 0; i < n; i++ {
		best, bestDef := 0, -1e18
		for j, s := range mix {
			def := s.frac*float64(i+1) - have[j]
			if def > bestDef {
				best, bestDef = j, def
			}
		}
		have[best]++
		m := &member{i: len(f.members), tr: mix[best].tr, f: f, done: make(chan struct{})}
		m.name = fmt.Sprintf("%s-%05d", f.prefix, m.i)
		m.c = client.New(client.Options{
			BaseURL:      f.bases[len(f.members)%len(f.bases)],
			HTTPClient:   f.hc,
			Transport:    m.tr,
			Store:        ackStore{client.NewMemoryStore(), m},
			KeepMessages: -1,
			OnEvent:      m.onEvent,
			OnChange:     m.onChange,
		})
		f.members = append(f.members, m)
	}
}

// start runs the member's client until stop.
func (m *member) start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(ctx)
	go func() {
		defer close(m.done)
		m.c.Run(ctx)
	}()
}

func (m *member) stop() {
	if m.cancel != nil {
		m.cancel()
		<-m.done
	}
}

// arm makes the member report (through fleet.up) the state w asks for.
func (m *member) arm(w int32) {
	m.sawDown.Store(false)
	m.watch.Store(w)
}

func (m *member) onChange() {
	w := m.watch.Load()
	if w == watchNone {
		return
	}
	st := m.c.State()
	if st.Conn != client.Connected {
		m.sawDown.Store(true)
		return
	}
	if w == watchDownUp && !m.sawDown.Load() {
		return
	}
	if m.watch.CompareAndSwap(w, watchNone) {
		m.upAt.Store(time.Now().UnixNano())
		m.f.up.Add(1)
	}
}

// outboxPrefix begins the Store key under which app/client keeps a
// name's outbox: the messages it has not yet seen stored by the server.
const outboxPrefix = "hark.outbox."

// ackStore is a member's Store; it times sends to their ack. The client
// rewrites the outbox when a message leaves it: when the server's ack (a
// WebSocket ack frame, or the POST's answer) gives its seq, or when the
// sender's own copy, with the same seq, came first on its stream (then
// the ack that follows changes nothing the client shows, and is not seen
// here). On loopback the copy often wins by a fraction of a millisecond,
// so "ack" is when the sender first knew the message stored.
type ackStore struct {
	*client.MemoryStore
	m *member
}

func (s ackStore) Set(key, value string) {
	s.MemoryStore.Set(key, value)
	if strings.HasPrefix(key, outboxPrefix) {
		s.m.acked(value)
	}
}

func (s ackStore) Delete(key string) {
	s.MemoryStore.Delete(key)
	if strings.HasPrefix(key, outboxPrefix) {
		s.m.acked("")
	}
}

// acked records, in the window each was sent in, the ack latency of every
// message sent that is no longer in outbox (the outbox as JSON).
func (m *member) acked(outbox string) {
	now := time.Now()
	m.ackMu.Lock()
	for text, s := range m.unacked {
		if !strings.Contains(outbox, text) {
			s.w.ack.record(now.Sub(s.at))
			delete(m.unacked, text)
		}
	}
	m.ackMu.Unlock()
}

// benchText is a message's text: its number in the run and its send time,
// which every receiver reads back (one process, one clock).
func benchText(k uint64, at time.Time) string {
	return "hb " + strconv.FormatUint(k, 10) + " " + strconv.FormatInt(at.UnixNano(), 10)
}

func parseBenchText(s string) (k uint64, at int64, ok bool) {
	rest, ok := strings.CutPrefix(s, "hb ")
	if !ok {
		return 0, 0, false
	}
	ks, ts, ok := strings.Cut(rest, " ")
	if !ok {
		return 0, 0, false
	}
	k, err1 := strconv.ParseUint(ks, 10, 64)
	at, err2 := strconv.ParseInt(ts, 10, 64)
	return k, at, err1 == nil && err2 == nil
}

func (m *member) onEvent(ev protocol.Event) {
	now := time.Now()
	if ev.Type != protocol.TypeMessage {
		return
	}
	k, at, ok := parseBenchText(ev.Text)
	if !ok {
		return
	}
	w := m.f.win.Load()
	if w == nil {
		return
	}
	if k < w.base {
		w.late.Add(1)
		return
	}
	idx := k - w.base
	lat := now.Sub(time.Unix(0, at))
	w.hist.record(lat)
	w.byTr[trIndex(m.tr)].record(lat)
	w.deliveries.Add(1)
	for {
		last := w.lastRecv.Load()
		if now.UnixNano() <= last || w.lastRecv.CompareAndSwap(last, now.UnixNano()) {
			break
		}
	}
	m.mu.Lock()
	if ev.Seq <= m.lastSeq {
		w.ooo.Add(1)
	}
	m.lastSeq = max(m.lastSeq, ev.Seq)
	bs := w.recv[m.i]
	word, bit := idx/64, uint64(1)<<(idx%64)
	if word >= uint64(len(bs)) {
		bs = append(bs, make([]uint64, int(word)+1-len(bs)+len(bs)/2)...)
		w.recv[m.i] = bs
	}
	if bs[word]&bit != 0 {
		w.dups.Add(1)
	} else {
		bs[word] |= bit
	}
	m.mu.Unlock()
}

// arm makes every member report (through f.up) the state w asks for.
func (f *fleet) arm(w int32) {
	f.up.Store(0)
	for _, m := range f.members {
		m.arm(w)
	}
}

// await waits until every armed member reported, timeout passed or ctx
// ended, then disarms them all. It returns when each member came up (unix
// ns), 0 for those that did not.
func (f *fleet) await(ctx context.Context, timeout time.Duration) []int64 {
	deadline := time.Now().Add(timeout)
	for f.up.Load() < int64(len(f.members)) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	ups := make([]int64, len(f.members))
	for i, m := range f.members {
		if m.watch.Swap(watchNone) == watchNone {
			ups[i] = m.upAt.Load()
		}
	}
	return ups
}

// connect registers and starts every member, at most conc at a time (0:
// all at once), and waits until each has its hello or timeout passes. It
// returns when the last registration and the last hello happened, and how
// many members never connected.
func (f *fleet) connect(ctx context.Context, conc int, timeout time.Duration) (regDone, upDone time.Time, missing int, err error) {
	var sem chan struct{}
	if conc > 0 {
		sem = make(chan struct{}, conc)
	}
	var lastReg atomic.Int64
	var firstErr atomic.Pointer[error]
	f.arm(watchUp)
	for _, m := range f.members {
		// Members still waiting on a slot give up when ctx ends.
		go func() {
			if sem != nil {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
			if _, err := m.c.Register(ctx, m.name); err != nil {
				firstErr.CompareAndSwap(nil, &err)
				if sem != nil {
					<-sem
				}
				return
			}
			lastReg.Store(time.Now().UnixNano())
			m.start(ctx)
			if sem != nil {
				// Hold the slot until this member is up, so at most
				// conc connections are being opened at once.
				for m.watch.Load() == watchUp && ctx.Err() == nil {
					time.Sleep(5 * time.Millisecond)
				}
				<-sem
			}
		}()
	}
	var last int64
	for _, at := range f.await(ctx, timeout) {
		if at == 0 {
			missing++
		} else {
			last = max(last, at)
		}
	}
	if missing > 0 {
		if e := firstErr.Load(); e != nil {
			err = fmt.Errorf("%d of %d members did not connect; first error: %w", missing, len(f.members), *e)
		} else {
			err = fmt.Errorf("%d of %d members did not connect within %v", missing, len(f.members), timeout)
		}
	}
	return time.Unix(0, lastReg.Load()), time.Unix(0, last), missing, err
}

// stop ends every member's Run; with leave, each first frees its name
// (a server that outlives the run keeps no ghosts). Bounded concurrency
// keeps the leaves from being a storm of their own.
func (f *fleet) stop(ctx context.Context, leave bool) {
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	for _, m := range f.members {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if leave {
				lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				m.c.Leave(lctx)
				cancel()
			}
			m.stop()
		}()
	}
	wg.Wait()
	f.hc.CloseIdleConnections()
}

// open starts a measured window.
func (f *fleet) open() *window {
	w := &window{base: f.nextK, start: time.Now(), recv: make([][]uint64, len(f.members))}
	f.win.Store(w)
	return w
}

// close ends the window: later deliveries of its messages count as late.
func (f *fleet) close(w *window) {
	w.mu.Lock()
	f.nextK = w.base + uint64(len(w.msgs))
	w.mu.Unlock()
	f.win.Store(&window{base: f.nextK, recv: make([][]uint64, len(f.members))})
}

// send has from send a message to to (nil: everyone), numbered and
// recorded in w.
func (f *fleet) send(w *window, from, to *member) {
	info := msgInfo{from: int32(from.i), to: -1}
	name := ""
	if to != nil {
		info.to, name = int32(to.i), to.name
	}
	w.mu.Lock()
	k := w.base + uint64(len(w.msgs))
	w.msgs = append(w.msgs, info)
	w.mu.Unlock()
	w.expected.Add(f.want(info))
	now := time.Now()
	text := benchText(k, now)
	// Known as unacked before Send, which may see it acked at once.
	from.ackMu.Lock()
	if from.unacked == nil {
		from.unacked = make(map[string]sentMsg)
	}
	from.unacked[text] = sentMsg{w, now}
	from.ackMu.Unlock()
	from.c.Send(name, text)
}

// want is how many deliveries a message makes: one per member for a
// broadcast; for a direct message, the recipient's and the copy to its
// sender (a direct pair is two different members).
func (f *fleet) want(info msgInfo) uint64 {
	if info.to < 0 {
		return uint64(len(f.members))
	}
	return 2
}

// drive sends at rate messages per second for d, choosing each message's
// sender and recipient with pick. During a storm, at calls mid at the
// given offset (once).
func (f *fleet) drive(ctx context.Context, w *window, rate float64, d time.Duration, pick func(n uint64) (from, to *member), midAt time.Duration, mid func()) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	start := time.Now()
	var sent uint64
	for {
		el := time.Since(start)
		if el >= d {
			break
		}
		if mid != nil && el >= midAt {
			mid()
			mid = nil
		}
		due := uint64(el.Seconds() * rate)
		for ; sent < due; sent++ {
			from, to := pick(sent)
			f.send(w, from, to)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// drain waits until every expected delivery arrived or d passed, and
// reports whether they all did.
func (w *window) drain(ctx context.Context, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for w.deliveries.Load()+w.dups.Load() < w.expected.Load() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// tally is what the checks of a window found.
type tally struct {
	sent, unsent, lost uint64
}

// check compares what every member received with what was sent to it. A
// message no one received at all is counted as unsent (still in its
// sender's outbox at the end) rather than lost by the server.
func (f *fleet) check(w *window) tally {
	for _, m := range f.members {
		m.mu.Lock() // a late delivery may still be writing the bits
	}
	defer func() {
		for _, m := range f.members {
			m.mu.Unlock()
		}
	}()
	has := func(m int, idx uint64) bool {
		bs := w.recv[m]
		return idx/64 < uint64(len(bs)) && bs[idx/64]&(1<<(idx%64)) != 0
	}
	w.mu.Lock()
	msgs := w.msgs
	w.mu.Unlock()
	var t tally
	t.sent = uint64(len(msgs))
	for i, info := range msgs {
		idx := uint64(i)
		var got uint64
		if info.to < 0 {
			for m := range f.members {
				if has(m, idx) {
					got++
				}
			}
		} else {
			if has(int(info.from), idx) {
				got++
			}
			if has(int(info.to), idx) {
				got++
			}
		}
		if got == 0 {
			t.unsent++
			continue
		}
		t.lost += f.want(info) - got
	}
	return t
}

// transports is the order of window.byTr.
var transports = [3]client.Transport{client.WebSocket, client.SSE, client.Poll}

func trIndex(t client.Transport) int {
	for i, x := range transports {
		if x == t {
			return i
		}
	}
	return 0
}
