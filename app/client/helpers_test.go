//go:build !js

package client

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/api"
	"hark/server/chat"
)

// transports are the three the host tests run over.
var transports = []Transport{WebSocket, SSE, Poll}

const waitLimit = 15 * time.Second

// newServer starts a real Hark server on loopback, of a chat with the
// policies cfg.
func newServer(t *testing.T, cfg chat.Config) *httptest.Server {
	t.Helper()
	return newServerKeeping(t, chat.Limits{}, cfg)
}

// newServerKeeping is newServer whose store keeps what limits say.
func newServerKeeping(t *testing.T, limits chat.Limits, cfg chat.Config) *httptest.Server {
	t.Helper()
	a := newAPIOn(t, chat.MemoryStore(limits, nil), cfg)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return srv
}

// newAPI is the API of a new chat with the policies cfg, which the test's
// end closes. Every test client comes from 127.0.0.1: the per-address
// budgets, which would count them all as one machine, are off; empty
// polls end within a test.
func newAPI(t *testing.T, cfg chat.Config) *api.Server {
	return newAPIOn(t, chat.MemoryStore(chat.Limits{}, nil), cfg)
}

// newAPIOn is newAPI on st.
func newAPIOn(t *testing.T, st chat.Store, cfg chat.Config) *api.Server {
	cfg.AddrRegisterRate, cfg.AddrSessions, cfg.AddrSendRate = -1, -1, -1
	cfg.AddrStreams, cfg.AddrReadRate = -1, -1
	ch := chat.New(st, cfg)
	t.Cleanup(ch.Close)
	return api.New(ch, api.Config{PollWait: 2 * time.Second})
}

// tclient is a Client under test with what it delivered.
type tclient struct {
	*Client
	t       *testing.T
	changes chan struct{}
	cancel  context.CancelFunc
	done    chan error

	mu     sync.Mutex
	events []protocol.Event
}

// newClient makes a client of base; edit may change its options.
func newClient(t *testing.T, base string, tr Transport, edit func(*Options)) *tclient {
	tc := &tclient{t: t, changes: make(chan struct{}, 1)}
	o := Options{
		BaseURL:   base,
		Transport: tr,
		OnChange: func() {
			select {
			case tc.changes <- struct{}{}:
			default:
			}
		},
		OnEvent: func(e protocol.Event) {
			tc.mu.Lock()
			tc.events = append(tc.events, e)
			tc.mu.Unlock()
		},
	}
	if edit != nil {
		edit(&o)
	}
	tc.Client = New(o)
	return tc
}

// join registers name and runs the client until the test ends.
func join(t *testing.T, base string, tr Transport, name string, edit func(*Options)) *tclient {
	t.Helper()
	tc := newClient(t, base, tr, edit)
	if _, err := tc.Register(context.Background(), name); err != nil {
		t.Fatalf("Register(%q): %v", name, err)
	}
	tc.run()
	tc.waitConnected()
	return tc
}

// run starts Run; the test's cleanup stops it.
func (tc *tclient) run() {
	ctx, cancel := context.WithCancel(context.Background())
	tc.cancel, tc.done = cancel, make(chan error, 1)
	go func() { tc.done <- tc.Run(ctx) }()
	tc.t.Cleanup(tc.stop)
}

// stop ends Run and waits for it.
func (tc *tclient) stop() {
	if tc.cancel == nil {
		return
	}
	tc.cancel()
	select {
	case <-tc.done:
	case <-time.After(waitLimit):
		tc.t.Errorf("%s: Run did not return after cancel", tc.State().Name)
	}
	tc.cancel = nil
}

// waitFor waits until pred holds for the state.
func (tc *tclient) waitFor(what string, pred func(State) bool) State {
	tc.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		s := tc.State()
		if pred(s) {
			return s
		}
		select {
		case <-tc.changes:
		case <-deadline.C:
			tc.t.Fatalf("%s: timed out waiting for %s; state %+v", s.Name, what, summary(s))
		}
	}
}

func (tc *tclient) waitConnected() State {
	tc.t.Helper()
	return tc.waitFor("connected", func(s State) bool { return s.Conn == Connected })
}

// summary leaves messages out of a state for failure output.
func summary(s State) State {
	s.Messages = nil
	return s
}

// delivered returns a copy of the events OnEvent got.
func (tc *tclient) delivered() []protocol.Event {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return slices.Clone(tc.events)
}

// texts returns the texts of delivered messages, in order.
func (tc *tclient) texts() []string {
	var out []string
	for _, e := range tc.delivered() {
		if e.Type == protocol.TypeMessage {
			out = append(out, e.Text)
		}
	}
	return out
}

// waitTexts waits until every one of want was delivered.
func (tc *tclient) waitTexts(want ...string) {
	tc.t.Helper()
	tc.waitFor("texts "+want[0]+"…", func(State) bool {
		got := tc.texts()
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false
			}
		}
		return true
	})
}

// checkOnce fails unless delivered seqs strictly increase (no duplicate,
// order kept) and each of want was delivered exactly once, in that order.
func (tc *tclient) checkOnce(want ...string) {
	tc.t.Helper()
	var last uint64
	for _, e := range tc.delivered() {
		if e.Seq <= last {
			tc.t.Fatalf("delivered seq %d after %d", e.Seq, last)
		}
		last = e.Seq
	}
	got := tc.texts()
	var picked []string
	for _, g := range got {
		if slices.Contains(want, g) {
			picked = append(picked, g)
		}
	}
	if !slices.Equal(picked, want) {
		tc.t.Fatalf("delivered %q, want each of %q once in order", picked, want)
	}
	// The display lists each once, too.
	seen := map[string]int{}
	for _, it := range tc.State().Messages {
		seen[it.Event.Text]++
	}
	for _, w := range want {
		if seen[w] != 1 {
			tc.t.Fatalf("State.Messages shows %q %d times", w, seen[w])
		}
	}
}

// itemByText finds the item with text.
func itemByText(s State, text string) (Item, bool) {
	for _, it := range s.Messages {
		if it.Event.Text == text {
			return it, true
		}
	}
	return Item{}, false
}

// rawSession registers name with plain HTTP, for a sender outside any
// Client.
func rawSession(t *testing.T, base, name string) protocol.Session {
	t.Helper()
	b, _ := json.Marshal(protocol.SessionRequest{Name: name})
	resp, err := http.Post(base+"/api/session", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s protocol.Session
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&s) != nil {
		t.Fatalf("register %q: %s", name, resp.Status)
	}
	return s
}

// rawSend posts a broadcast with plain HTTP.
func rawSend(t *testing.T, base, token, id, text string) uint64 {
	t.Helper()
	return rawSendTo(t, base, token, id, "", text)
}

// rawSendTo posts a message to to ("" for everyone) with plain HTTP.
func rawSendTo(t *testing.T, base, token, id, to, text string) uint64 {
	t.Helper()
	b, _ := json.Marshal(protocol.Send{ID: id, To: to, Text: text})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/messages", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	var r protocol.SendResult
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&r) != nil {
		t.Errorf("send %q: %s", text, resp.Status)
	}
	return r.Seq
}

// proxy is a TCP relay on loopback between clients and a server, which a
// test can cut and block. httptest's CloseClientConnections cannot cut a
// WebSocket (the server hijacked it), so cutting happens here, on real
// sockets, for all three transports alike.
type proxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu      sync.Mutex
	blocked bool
	muted   bool // drop everything the server says
	conns   map[net.Conn]struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

// URL is the proxy's base URL.
func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.blocked {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go relay(up, c, nil)
		go relay(c, up, p.isMuted)
	}
}

// relay copies src to dst until either closes, dropping what it reads
// while drop reports true.
func relay(dst, src net.Conn, drop func() bool) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && (drop == nil || !drop()) {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// mute makes the proxy drop (or again pass) what the server sends: a
// request reaches the server, its answer never reaches the client.
func (p *proxy) mute(m bool) {
	p.mu.Lock()
	p.muted = m
	p.mu.Unlock()
}

func (p *proxy) isMuted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.muted
}

// cut closes every connection through the proxy.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// block makes the proxy refuse (or again accept) new connections.
func (p *proxy) block(b bool) {
	p.mu.Lock()
	p.blocked = b
	p.mu.Unlock()
}
