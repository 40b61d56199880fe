package natsstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/chat"
	"hark/server/natsstore"
)

// node is one Hark node's chat on a NATS store.
type node struct {
	chat  *chat.Chat
	store *natsstore.Store
}

func newNode(t *testing.T, nc *nats.Conn, replicas int, grace time.Duration) *node {
	t.Helper()
	return newNodeKeeping(t, nc, replicas, grace, 100)
}

// newNodeKeeping is newNode keeping keep messages.
func newNodeKeeping(t *testing.T, nc *nats.Conn, replicas int, grace time.Duration, keep int) *node {
	t.Helper()
	st := openStore(t, nc, natsstore.Config{Limits: chat.Limits{Keep: keep}, Replicas: replicas})
	c := chat.New(st.Chat(), chat.Config{
		Grace: grace, PresenceInterval: time.Hour,
		AddrRegisterRate: -1, AddrSessions: -1, AddrSendRate: -1,
		Rate: 1e6, Burst: 1e6,
	})
	n := &node{chat: c, store: st}
	t.Cleanup(n.close)
	return n
}

func (n *node) close() {
	n.chat.Close()
	n.store.Close()
}

// openStore opens a store on nc, trying for a while: a new cluster
// elects its leaders. The caller closes it.
func openStore(t *testing.T, nc *nats.Conn, cfg natsstore.Config) *natsstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		try, cancelTry := context.WithTimeout(ctx, 3*time.Second)
		st, err := natsstore.Open(try, nc, cfg)
		cancelTry()
		if err == nil {
			return st
		}
		if ctx.Err() != nil {
			t.Fatalf("opening the store: %v", err)
		}
		t.Logf("open: %v", err)
		time.Sleep(100 * time.Millisecond)
	}
}

// restart stops nodes and the embedded server on dir, starts the server
// again on it, and returns a node on it, stopped when the test ends.
func restart(t *testing.T, dir string, srv *server.Server, nc *nats.Conn, nodes ...*node) *node {
	t.Helper()
	for _, n := range nodes {
		n.close()
	}
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()
	srv, nc = embedded(t, dir)
	t.Cleanup(func() { nc.Close(); srv.Shutdown() })
	return newNode(t, nc, 1, time.Minute)
}

func embedded(t *testing.T, dir string) (*server.Server, *nats.Conn) {
	t.Helper()
	s, nc, err := natsstore.Embedded(natsstore.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return s, nc
}

// The embedded server fsyncs as told: every write, or at an interval.
func TestEmbeddedFsync(t *testing.T) {
	for _, cfg := range []natsstore.EmbeddedConfig{{SyncAlways: true}, {SyncInterval: time.Second}} {
		cfg.Dir = t.TempDir()
		s, nc, err := natsstore.Embedded(cfg)
		if err != nil {
			t.Fatal(err)
		}
		js := s.JetStreamConfig()
		nc.Close()
		s.Shutdown()
		if js == nil || js.SyncAlways != cfg.SyncAlways || (cfg.SyncInterval != 0 && js.SyncInterval != cfg.SyncInterval) {
			t.Errorf("asked for %+v, the server runs with %+v", cfg, js)
		}
	}
}

func register(t *testing.T, c *chat.Chat, name string) (*chat.Session, string) {
	t.Helper()
	s, tok, _, err := c.Register(context.Background(), name, "")
	if err != nil {
		t.Fatalf("Register(%q): %v", name, err)
	}
	return s, tok
}

// openStream opens a stream from the head for the session of tok, closed
// when the test ends.
func openStream(t *testing.T, c *chat.Chat, tok string) *chat.Stream {
	t.Helper()
	st, err := c.Open(mustAuth(t, c, tok), chat.Position{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

func send(t *testing.T, c *chat.Chat, s *chat.Session, id, to, text string) uint64 {
	t.Helper()
	seq, err := c.Send(context.Background(), s, protocol.Send{ID: id, To: to, Text: text})
	if err != nil {
		t.Fatalf("Send(%s): %v", id, err)
	}
	return seq
}

func texts(entries []*chat.Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Event().Text)
	}
	return out
}

// nextMessage reads st until a message arrives, or fails after a few
// seconds.
func nextMessage(t *testing.T, st *chat.Stream) protocol.Event {
	t.Helper()
	return nextOf(t, st, protocol.TypeMessage)
}

// nextOf reads st until an event of type typ arrives, or fails after a
// few seconds.
func nextOf(t *testing.T, st *chat.Stream, typ string) protocol.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		e, err := st.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for a %s: %v", typ, err)
		}
		if e.Type() == typ {
			return e.Event()
		}
	}
}

// A node stopped and started again on its data directory has everything it
// acknowledged: the epoch, history (direct messages still private to their
// two registrations), names, tokens, and the memory of ids sent.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	srv, nc := embedded(t, dir)
	n := newNode(t, nc, 1, time.Minute)
	alice, aliceTok := register(t, n.chat, "Alice")
	bob, bobTok := register(t, n.chat, "Bob")
	send(t, n.chat, alice, "a1", "", "hello <all> & sundry")
	dm := send(t, n.chat, alice, "a2", "bob", "just for bob")
	last := send(t, n.chat, bob, "b1", "", "hi alice")
	epoch := n.chat.Epoch()
	n = restart(t, dir, srv, nc, n)
	if n.chat.Epoch() != epoch || n.chat.Head() != last {
		t.Fatalf("after the restart: epoch %q head %d, want %q and %d", n.chat.Epoch(), n.chat.Head(), epoch, last)
	}
	alice2, err := n.chat.Authenticate(aliceTok)
	if err != nil {
		t.Fatalf("alice's token after the restart: %v", err)
	}
	bob2, err := n.chat.Authenticate(bobTok)
	if err != nil {
		t.Fatalf("bob's token after the restart: %v", err)
	}
	if _, _, _, err := n.chat.Register(context.Background(), "ＡＬＩＣＥ", ""); err == nil {
		t.Fatal("alice's name was free after the restart")
	}
	if got := texts(n.chat.History(bob2, 10)); fmt.Sprint(got) != "[hello <all> & sundry just for bob hi alice]" {
		t.Fatalf("bob's history after the restart: %q", got)
	}
	carol, _ := register(t, n.chat, "Carol")
	if got := texts(n.chat.History(carol, 10)); fmt.Sprint(got) != "[hello <all> & sundry hi alice]" {
		t.Fatalf("carol's history: %q; the direct message must stay private", got)
	}
	if seq := send(t, n.chat, alice2, "a2", "bob", "just for bob"); seq != dm {
		t.Fatalf("a retry after the restart got seq %d, want the first %d", seq, dm)
	}
	st, err := n.chat.Open(bob2, chat.Position{Since: 0, Resume: true, Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, _ := st.Take(nil, 100)
	var msgs []string
	for _, e := range got {
		if e.Type() == protocol.TypeMessage {
			msgs = append(msgs, e.Event().Text)
		}
		if e.Type() == protocol.TypeReset {
			t.Fatal("a resume in the same epoch after a restart was answered with reset")
		}
	}
	if len(msgs) != 3 {
		t.Fatalf("bob's replay after the restart: %q", msgs)
	}
}

// A node started after -max-age has dropped every event (a quiet spell
// longer than it) starts, its head where the stream's is: a resume from
// there gets nothing and no reset, one from before gets a reset.
func TestEverythingAgedOut(t *testing.T) {
	t.Parallel() // its own servers; waits more than it works
	srv, nc := embedded(t, t.TempDir())
	defer srv.Shutdown()
	defer nc.Close()
	// open opens the store and a chat on it, or fails the test if that
	// does not end within testkit.Wait: a node must not wait, to start,
	// for a seq that aged out (it once waited 2 minutes, then failed).
	open := func() (*natsstore.Store, *chat.Chat) {
		t.Helper()
		type opened struct {
			st  *natsstore.Store
			c   *chat.Chat
			err error
		}
		done := make(chan opened, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
			defer cancel()
			st, err := natsstore.Open(ctx, nc, natsstore.Config{Limits: chat.Limits{Keep: 100, MaxAge: time.Second}})
			if err != nil {
				done <- opened{err: err}
				return
			}
			c := chat.New(st.Chat(), chat.Config{PresenceInterval: time.Hour, AddrRegisterRate: -1, AddrSessions: -1, AddrSendRate: -1})
			done <- opened{st: st, c: c}
		}()
		select {
		case o := <-done:
			if o.err != nil {
				t.Fatal(o.err)
			}
			return o.st, o.c
		case <-time.After(testkit.Wait):
			t.Fatalf("opening did not end within %v", testkit.Wait)
			return nil, nil
		}
	}
	st, c := open()
	alice, tok := register(t, c, "Alice")
	last := send(t, c, alice, "m", "", "soon gone")
	c.Close()
	st.Close()
	time.Sleep(2 * time.Second) // the join and the message age out

	st, c = open()
	defer st.Close()
	defer c.Close()
	if c.Head() != last {
		t.Fatalf("head %d after everything aged out, want the stream's %d", c.Head(), last)
	}
	alice = mustAuth(t, c, tok)
	for _, since := range []uint64{last, last - 1} {
		reset, _ := resumeResets(t, c, alice, since, c.Epoch())
		if reset != (since < last) {
			t.Errorf("a resume from %d (the head is %d): reset %v", since, last, reset)
		}
	}
}

// Every node sets the shared stream's limits when it opens, so the last
// one started wins: a node that changes them says which.
func TestOpenSaysWhatLimitsItChanged(t *testing.T) {
	srv, nc := embedded(t, t.TempDir())
	defer srv.Shutdown()
	defer nc.Close()
	open := func(cfg natsstore.Config) []string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := natsstore.Open(ctx, nc, cfg)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		return st.Log.Changed
	}
	if got := open(natsstore.Config{Limits: chat.Limits{Keep: 100}}); got != nil {
		t.Errorf("the node that made the stream changed %q", got)
	}
	if got := open(natsstore.Config{Limits: chat.Limits{Keep: 100}}); got != nil {
		t.Errorf("a node with the same limits changed %q", got)
	}
	got := open(natsstore.Config{Limits: chat.Limits{Keep: 200, MaxAge: time.Hour}})
	if want := []string{"keep 100 -> 200", "max-age 0s -> 1h0m0s"}; !slices.Equal(got, want) {
		t.Errorf("a node with other limits changed %q, want %q", got, want)
	}
}

// A store that closes deletes the consumers it followed the stream and
// buckets with, before Close returns: stopped consumers would otherwise
// stay on the server for their inactive threshold (5 minutes), one set
// per node start, and the node's connection is closed right after.
func TestCloseLeavesNoConsumers(t *testing.T) {
	srv, nc := embedded(t, t.TempDir())
	defer srv.Shutdown()
	defer nc.Close()
	n := newNode(t, nc, 1, time.Minute)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		total := 0
		for _, name := range []string{natsstore.StreamName, "KV_" + natsstore.NamesBucket, "KV_" + natsstore.SessionsBucket} {
			st, err := js.Stream(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			for range st.ListConsumers(context.Background()).Info() {
				total++
			}
		}
		return total
	}
	if c := count(); c != 3 {
		t.Fatalf("%d consumers while open, want 3 (the stream and two buckets)", c)
	}
	n.close()
	if c := count(); c != 0 {
		t.Fatalf("%d consumers left once Close returned", c)
	}
}

// A node's copy of the sessions lags the bucket by a moment; Current waits
// it out, so a node that acts on what its copy lacks (freeing a name it
// thinks has no session) does not act on a session made elsewhere just
// before.
func TestSessionsCurrent(t *testing.T) {
	srv, nc := embedded(t, t.TempDir())
	defer srv.Shutdown()
	defer nc.Close()
	a := newNode(t, nc, 1, time.Minute)
	ncB, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer ncB.Close()
	b := newNode(t, ncB, 1, time.Minute)
	lagged := 0
	for i := range 30 {
		name := fmt.Sprint("user", i)
		register(t, a.chat, name)
		h, ok := a.store.Names.Lookup(protocol.NameKey(name))
		if !ok {
			t.Fatalf("%s not held on node a", name)
		}
		if !b.store.Sessions.Has(h.Reg) {
			lagged++
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := b.store.Sessions.Current(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if !b.store.Sessions.Has(h.Reg) {
			t.Fatalf("%s's session made on node a is not in node b's copy after Current", name)
		}
	}
	t.Logf("node b's copy lacked the session just made on node a %d times in 30", lagged)
}

// A start on an emptied data directory is a new epoch: a client resuming
// from a position in the old one is told to reset, and its token and name
// are gone with the rest.
func TestWipedDirectoryIsANewEpoch(t *testing.T) {
	dir := t.TempDir()
	srv, nc := embedded(t, dir)
	n := newNode(t, nc, 1, time.Minute)
	alice, tok := register(t, n.chat, "Alice")
	last := send(t, n.chat, alice, "a1", "", "before the wipe")
	epoch := n.chat.Epoch()
	n.close()
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}

	srv, nc = embedded(t, dir)
	defer srv.Shutdown()
	defer nc.Close()
	n = newNode(t, nc, 1, time.Minute)
	if n.chat.Epoch() == epoch {
		t.Fatalf("the epoch %q survived the wipe", epoch)
	}
	if _, err := n.chat.Authenticate(tok); err == nil {
		t.Fatal("a token from before the wipe still works")
	}
	bob, _ := register(t, n.chat, "Bob")
	register(t, n.chat, "alice") // free again
	if reset, n := resumeResets(t, n.chat, bob, last, epoch); !reset {
		t.Fatalf("a resume from the old epoch did not reset (%d events)", n)
	}
}

// resumeResets opens a stream for s resuming from since in epoch, and
// reports whether what it has at once includes a reset, and how many
// events that is.
func resumeResets(t *testing.T, c *chat.Chat, s *chat.Session, since uint64, epoch string) (bool, int) {
	t.Helper()
	st, err := c.Open(s, chat.Position{Since: since, Resume: true, Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, _ := st.Take(nil, 100)
	return slices.ContainsFunc(got, func(e *chat.Entry) bool { return e.Type() == protocol.TypeReset }), len(got)
}

// Three Hark nodes on a three-server NATS cluster are one chat: a name is
// taken once across them, a token works on every node, broadcasts and
// direct messages reach their readers on every node (and direct messages
// no one else), and a leave on one node ends the session's streams on all.
func TestClusterIsOneChat(t *testing.T) {
	t.Parallel() // its own servers; waits more than it works
	servers := cluster(t, 3)
	nodes := nodePerServer(t, servers)
	if a, b := nodes[0].chat.Epoch(), nodes[2].chat.Epoch(); a != b {
		t.Fatalf("nodes report epochs %q and %q", a, b)
	}

	// A 100-way race for one name, spread over the nodes: one wins.
	var wins, taken sync.WaitGroup
	var mu sync.Mutex
	won, refused := 0, 0
	for i := range 100 {
		wins.Add(1)
		go func() {
			defer wins.Done()
			_, _, _, err := nodes[i%3].chat.Register(context.Background(), []string{"Dora", "dora", "ＤＯＲＡ"}[i%3], "")
			mu.Lock()
			defer mu.Unlock()
			var perr *protocol.Error
			switch {
			case err == nil:
				won++
			case errors.As(err, &perr) && perr.Code == protocol.CodeNameTaken:
				refused++
			default:
				t.Errorf("racer %d: %v", i, err)
			}
		}()
	}
	wins.Wait()
	taken.Wait()
	if won != 1 || refused != 99 {
		t.Fatalf("%d won and %d were refused, want 1 and 99", won, refused)
	}

	alice, aliceTok := register(t, nodes[0].chat, "Alice")
	_, bobTok := register(t, nodes[1].chat, "Bob")
	_, carolTok := register(t, nodes[2].chat, "Carol")
	open := func(n *node, tok string) *chat.Stream {
		t.Helper()
		s, err := n.chat.Authenticate(tok)
		if err != nil {
			t.Fatalf("a token on another node: %v", err)
		}
		st, err := n.chat.Open(s, chat.Position{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		return st
	}
	bobOn2 := open(nodes[2], bobTok)     // Bob's token, issued by node 1, on node 2
	carolOn0 := open(nodes[0], carolTok) // Carol's, issued by node 2, on node 0
	aliceOn1 := open(nodes[1], aliceTok)
	for range 5 {
		open(nodes[0], aliceTok) // more streams on one node
	}
	// The stream and both buckets keep 3 copies, and each node follows
	// the stream with one consumer, however many streams it serves.
	js, err := jetstream.New(connectAll(t, servers))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{natsstore.StreamName, "KV_" + natsstore.NamesBucket, "KV_" + natsstore.SessionsBucket} {
		st, err := js.Stream(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if r := st.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("%s has %d replicas, want 3", name, r)
		}
		if name != natsstore.StreamName {
			continue
		}
		// Waited for: a node's Open may have been tried twice, and the
		// consumer of the failed try goes a moment after it.
		consumers := 0
		testkit.Within(t, 10*time.Second, "one consumer of the event stream per node", func() bool {
			consumers = 0
			for range st.ListConsumers(context.Background()).Info() {
				consumers++
			}
			return consumers == len(nodes)
		})
	}

	send(t, nodes[0].chat, alice, "a1", "", "to everyone")
	for name, st := range map[string]*chat.Stream{"bob": bobOn2, "carol": carolOn0, "alice": aliceOn1} {
		if e := nextMessage(t, st); e.Text != "to everyone" {
			t.Fatalf("%s got %+v", name, e)
		}
	}
	send(t, nodes[0].chat, alice, "a2", "BOB", "secret")
	send(t, nodes[0].chat, alice, "a3", "", "public again")
	if e := nextMessage(t, bobOn2); e.Text != "secret" {
		t.Fatalf("bob on node 2 got %+v, want the direct message", e)
	}
	if e := nextMessage(t, carolOn0); e.Text != "public again" {
		t.Fatalf("carol on node 0 got %+v: a direct message between others", e)
	}

	// Bob leaves through node 0; his stream on node 2 ends.
	bob0, err := nodes[0].chat.Authenticate(bobTok)
	if err != nil {
		t.Fatal(err)
	}
	nodes[0].chat.Leave(context.Background(), bob0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, err := bobOn2.Next(ctx)
		if errors.Is(err, chat.ErrEnded) {
			break
		}
		if err != nil {
			t.Fatalf("bob's stream on node 2 after his leave on node 0: %v", err)
		}
	}
	for i, n := range nodes {
		// Each node hears of the leave through its follower, a moment later.
		testkit.Eventually(t, fmt.Sprintf("bob's token to stop working on node %d after his leave", i), func() bool {
			_, err := n.chat.Authenticate(bobTok)
			return err != nil
		})
	}
	if _, _, _, err := nodes[2].chat.Register(context.Background(), "bob", ""); err != nil {
		t.Fatalf("bob's name is not free after the leave: %v", err)
	}

	// A node stopped while the others go on, and started again, catches
	// up: its history has what was sent meanwhile, in order.
	nodes[1].close()
	var lastSent uint64
	for i := range 5 {
		lastSent = send(t, nodes[0].chat, alice, fmt.Sprint("meanwhile", i), "", fmt.Sprint("meanwhile ", i))
	}
	nc, err := nats.Connect(servers[1].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	again := newNode(t, nc, 3, time.Minute)
	if again.chat.Head() < lastSent {
		t.Fatalf("the restarted node's head %d, before the last send %d", again.chat.Head(), lastSent)
	}
	got := texts(again.chat.History(mustAuth(t, again.chat, carolTok), 100))
	if n := len(got); n < 5 || got[n-1] != "meanwhile 4" || got[n-5] != "meanwhile 0" {
		t.Fatalf("the restarted node's history ends %q", got)
	}
}

// With -max-age the stream drops old events, and so does each node's copy:
// history, a resume from before the drop (reset) and a node started
// afterwards agree.
func TestMaxAge(t *testing.T) {
	t.Parallel() // its own servers; waits more than it works
	dir := t.TempDir()
	srv, nc := embedded(t, dir)
	defer srv.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := natsstore.Open(ctx, nc, natsstore.Config{Limits: chat.Limits{Keep: 100, MaxAge: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := chat.New(st.Chat(), chat.Config{PresenceInterval: time.Hour, AddrRegisterRate: -1, AddrSessions: -1, AddrSendRate: -1})
	defer c.Close()
	alice, aliceTok := register(t, c, "Alice")
	old := send(t, c, alice, "old", "", "soon gone")
	time.Sleep(1500 * time.Millisecond)
	send(t, c, alice, "new", "", "still here")
	testkit.Eventually(t, "history to hold only what is younger than a second", func() bool {
		return fmt.Sprint(texts(c.History(alice, 10))) == "[still here]"
	})
	// A resume from before the dropped message cannot be served whole.
	if reset, n := resumeResets(t, c, alice, old-1, c.Epoch()); !reset {
		t.Fatalf("a resume from before the dropped message did not reset (%d events)", n)
	}
	// A node started now loads the same: the stream dropped it too.
	again := newNode(t, nc, 1, time.Minute)
	if got := texts(again.chat.History(mustAuth(t, again.chat, aliceTok), 10)); fmt.Sprint(got) != "[still here]" {
		t.Fatalf("a node started after the drop has history %q", got)
	}
}
