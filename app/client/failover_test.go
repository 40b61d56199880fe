//go:build !js

package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"hark/server/api"
	"hark/server/chat"
	"hark/server/natsstore"
	"hark/server/natsstore/natstest"
)

// TestFailoverToAnotherNode: two Hark nodes share one NATS, and Alice
// reaches node A through a front address (a load balancer) while Bob is on
// node B. Node A dies and the front sends everyone to node B, cutting what
// was open. Alice's client finds its way back by itself, through the same
// address, with the same name and token (sessions are shared, so node B
// knows it: no registering again) and the same epoch (no reset, no history
// reload); it ends with every one of Bob's messages once and in order,
// those sent while it was away included, and Bob gets each of hers once,
// those she wrote while disconnected included.
//
// Node A dies two ways: "shutdown" (it drains: streams end with 1012 or
// their end of stream, and the client is told) and "crash" (its sockets
// vanish after it stored a message of Alice's whose acknowledgement was
// lost, which must still count once on node B).
func TestFailoverToAnotherNode(t *testing.T) {
	for _, tr := range transports {
		for _, death := range []string{"shutdown", "crash"} {
			t.Run(string(tr)+"/"+death, func(t *testing.T) {
				t.Parallel()
				failover(t, tr, death == "crash")
			})
		}
	}
}

// failover runs the scene over tr, node A crashing or shutting down.
func failover(t *testing.T, tr Transport, crash bool) {
	natsURL := natstest.Server(t)
	nodeA := newFailoverNode(t, natsURL)
	nodeB := newFailoverNode(t, natsURL)
	front := newProxy(t, nodeA.srv.Listener.Addr().String())

	aliceReqs := newRequestLog()
	alice := join(t, front.URL(), tr, "Alice", func(o *Options) {
		o.HTTPClient = aliceReqs.client(t)
	})
	bob := join(t, nodeB.srv.URL, tr, "Bob", nil)
	before := alice.State()
	token := alice.token()

	// Both nodes are one chat.
	var bobs []string
	for i := range 3 {
		bobs = append(bobs, fmt.Sprintf("bob before %d", i))
		bob.Send("", bobs[i])
	}
	alice.waitTexts(bobs...)
	alice.waitFor("Bob in the roster", func(s State) bool { return slices.Contains(s.Users, "Bob") })

	// Bob keeps talking, about twenty messages over a second, while node A
	// dies and the front moves to node B.
	bobDone := make(chan struct{})
	var during []string
	for i := range 20 {
		during = append(during, fmt.Sprintf("bob during %02d", i))
	}
	go func() {
		defer close(bobDone)
		for _, m := range during {
			bob.Send("", m)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	bobs = append(bobs, during...)

	time.Sleep(200 * time.Millisecond)
	alices := []string{"alice 0", "alice 1", "alice 2"}
	queued := alices[1:]
	if crash {
		// Alice's first message reaches node A, which stores it and
		// dies before its acknowledgement gets back. Node B must settle
		// it once: by the echo on her resumed stream, or by storing her
		// resend (same id) no second time.
		front.mute(true)
		alice.Send("", alices[0])
		bob.waitTexts(alices[0])
		nodeA.kill()
		front.cut() // its sockets are gone with the process
		front.mute(false)
		queued = alices
	} else {
		alice.Send("", alices[0]) // may be in flight as node A stops
		nodeA.kill()              // streams end (1012, shutdown); its address refuses
	}
	alice.waitFor("disconnected", func(s State) bool { return s.Conn != Connected })
	// The front still points at the dead node for a moment: what
	// Alice writes now waits in her outbox.
	alice.Send("", alices[1])
	time.Sleep(150 * time.Millisecond)
	alice.Send("", alices[2])
	s := alice.State()
	for _, w := range queued {
		if it, _ := itemByText(s, w); it.Status != Pending {
			t.Fatalf("%q before the front moved: %+v, want pending", w, it)
		}
	}
	if s.Conn == Connected {
		t.Fatalf("alice connected while the front points at a dead node: %+v", summary(s))
	}
	switchBackend(front, nodeB.srv.Listener.Addr().String())

	<-bobDone
	alice.waitTexts(bobs...)
	bob.waitTexts(alices...)
	alice.waitTexts(alices...) // her own, echoed by node B
	alice.waitFor("her messages acknowledged", func(s State) bool {
		for _, w := range alices {
			if it, _ := itemByText(s, w); it.Status != Sent {
				return false
			}
		}
		return true
	})
	bob.waitFor("his messages acknowledged", func(s State) bool {
		for _, w := range bobs {
			if it, _ := itemByText(s, w); it.Status != Sent {
				return false
			}
		}
		return true
	})

	// A last message each way: nothing is still on its way.
	bob.Send("", "bob after")
	alice.Send("", "alice after")
	alice.waitTexts("bob after", "alice after")
	bob.waitTexts("bob after", "alice after")
	bobs, alices = append(bobs, "bob after"), append(alices, "alice after")
	for _, c := range []*tclient{alice, bob} {
		c.checkOnce(bobs...)
		c.checkOnce(alices...)
	}

	// Same person, same session, same log.
	s = alice.waitConnected()
	if got := alice.token(); got != token {
		t.Errorf("alice's token changed across the failover: she registered again")
	}
	if s.Name != "Alice" || s.Active != tr || s.LastError != nil {
		t.Errorf("alice after the failover: %+v", summary(s))
	}
	if s.Epoch != before.Epoch || s.Epoch == "" {
		t.Errorf("epoch %q after the failover, %q before: the nodes disagree", s.Epoch, before.Epoch)
	}
	if !slices.Contains(s.Users, "Alice") || !slices.Contains(s.Users, "Bob") {
		t.Errorf("alice's roster after the failover = %v, want Alice and Bob", s.Users)
	}
	// No reset: a reset (or an epoch change) reloads history, and only
	// the first connection may have loaded it; and no second registration.
	if n := aliceReqs.count("POST /api/session"); n != 1 {
		t.Errorf("alice registered %d times, want once (her token should be good on node B)", n)
	}
	if n := aliceReqs.count("GET /api/history"); n != 1 {
		t.Errorf("alice loaded history %d times, want once (a reset happened)", n)
	}
	if ids := outboxIDs(alice.Client); len(ids) != 0 {
		t.Errorf("alice's outbox still holds %v", ids)
	}
}

// failoverNode is one Hark api server on a shared NATS.
type failoverNode struct {
	api   *api.Server
	srv   *httptest.Server
	store *natsstore.Store
	nc    *nats.Conn
	once  sync.Once
}

func newFailoverNode(t *testing.T, natsURL string) *failoverNode {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := natsstore.Open(ctx, nc, natsstore.Config{Limits: chat.Limits{Keep: 1000}, Replicas: 1})
	if err != nil {
		nc.Close()
		t.Fatalf("opening the store: %v", err)
	}
	ch := chat.New(st.Chat(), chat.Config{
		Rate: 1e4, Burst: 1e4,
		// Every test client comes from 127.0.0.1.
		AddrRegisterRate: -1, AddrSessions: -1, AddrSendRate: -1, AddrStreams: -1, AddrReadRate: -1,
	})
	a := api.New(ch, api.Config{PollWait: 2 * time.Second})
	n := &failoverNode{api: a, srv: httptest.NewServer(a), store: st, nc: nc}
	t.Cleanup(n.kill)
	return n
}

// kill stops the node as a dying process would: its streams end (with
// 1012 on WebSockets), its address refuses, its NATS connection goes.
func (n *failoverNode) kill() {
	n.once.Do(func() {
		n.api.Chat().Close()
		n.srv.Close()
		n.store.Close()
		n.nc.Close()
	})
}

// switchBackend points the proxy's new connections at target and cuts the
// open ones, as a load balancer does when its backend dies.
func switchBackend(p *proxy, target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
	p.cut()
}

// requestLog counts a client's HTTP requests by method and path.
type requestLog struct {
	mu sync.Mutex
	n  map[string]int
	rt http.RoundTripper
}

func newRequestLog() *requestLog { return &requestLog{n: map[string]int{}} }

// client returns an HTTP client that counts into l, with a connection pool
// of its own.
func (l *requestLog) client(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	l.rt = tr
	return &http.Client{Transport: l}
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.n[r.Method+" "+r.URL.Path]++
	l.mu.Unlock()
	return l.rt.RoundTrip(r)
}

func (l *requestLog) count(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[key]
}

// outboxIDs returns the ids still waiting in c's outbox.
func outboxIDs(c *Client) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for _, s := range c.outbox {
		ids = append(ids, s.ID)
	}
	return ids
}
