//go:build !js

package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/chat"
)

func TestChat(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			alice := join(t, srv.URL, tr, "Alice", nil)
			if s := alice.State(); s.Active != tr || s.Name != "Alice" || !slices.Equal(s.Users, []string{"Alice"}) || s.Counts {
				t.Fatalf("alice after join: %+v", summary(s))
			}
			bob := join(t, srv.URL, tr, "Bob", nil)
			carol := join(t, srv.URL, tr, "Carol", nil)
			alice.waitFor("roster with Bob and Carol", func(s State) bool {
				return slices.Equal(s.Users, []string{"Alice", "Bob", "Carol"}) && s.Online == 3
			})
			if s := bob.State(); !slices.Contains(s.Users, "Alice") {
				t.Fatalf("bob's hello roster %v lacks Alice", s.Users)
			}

			// Broadcast both ways.
			id := alice.Send("", "hello from alice")
			if it, ok := itemByText(alice.State(), "hello from alice"); !ok || it.Status != Pending && it.Status != Sent || it.Event.ID != id || !it.Own {
				t.Fatalf("alice's own item right after Send: %+v", it)
			}
			bob.waitTexts("hello from alice")
			bob.Send("", "hello from bob")
			alice.waitTexts("hello from bob")
			s := alice.waitFor("own message sent", func(s State) bool {
				it, _ := itemByText(s, "hello from alice")
				return it.Status == Sent && it.Event.Seq != 0
			})
			if it, _ := itemByText(s, "hello from bob"); it.Own || it.Status != "" || it.Event.From != "Bob" {
				t.Fatalf("bob's message in alice's list: %+v", it)
			}

			// A direct message reaches its two parties and no one else.
			alice.Send("Bob", "psst bob")
			bob.waitTexts("psst bob")
			alice.waitTexts("psst bob") // echoed to the sender's streams
			alice.Send("", "after the dm")
			carol.waitTexts("hello from alice", "hello from bob", "after the dm")
			if slices.Contains(carol.texts(), "psst bob") {
				t.Fatal("carol saw a direct message between Alice and Bob")
			}
			for _, c := range []*tclient{alice, bob, carol} {
				c.checkOnce("hello from alice", "hello from bob")
			}

			// Leaving frees the name and updates the others' rosters.
			if err := bob.Leave(context.Background()); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-bob.done:
				if err != nil {
					t.Fatalf("Run after Leave = %v, want nil", err)
				}
				bob.cancel = nil
			case <-time.After(waitLimit):
				t.Fatal("Run did not return after Leave")
			}
			alice.waitFor("Bob gone from roster", func(s State) bool {
				return slices.Equal(s.Users, []string{"Alice", "Carol"}) && s.Online == 2
			})
			if _, ok := bob.store.Get(keyToken); ok {
				t.Fatal("Leave kept the token in the Store")
			}
		})
	}
}

func TestResumeAfterCut(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			px := newProxy(t, srv.Listener.Addr().String())
			bob := join(t, px.URL(), tr, "Bob", nil)
			alice := join(t, srv.URL, tr, "Alice", nil)
			alice.Send("", "before")
			bob.waitTexts("before")

			px.block(true)
			px.cut()
			bob.waitFor("disconnected", func(s State) bool { return s.Conn != Connected })
			var want []string
			for i := range 5 {
				want = append(want, fmt.Sprintf("while away %d", i))
				alice.Send("", want[i])
			}
			alice.waitFor("sends done", func(s State) bool {
				it, _ := itemByText(s, want[4])
				return it.Status == Sent
			})
			px.block(false)
			bob.waitTexts(want...)
			alice.Send("", "after")
			bob.waitTexts("after")
			bob.checkOnce(append(append([]string{"before"}, want...), "after")...)
			if s := bob.State(); s.Active != tr || s.Conn != Connected {
				t.Fatalf("bob after resume: %+v", summary(s))
			}
		})
	}
}

// TestCloseClientConnections cuts the HTTP transports with httptest's own
// switch (it cannot reach a hijacked WebSocket; TestResumeAfterCut covers
// that through the proxy).
func TestCloseClientConnections(t *testing.T) {
	for _, tr := range []Transport{SSE, Poll} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			bob := join(t, srv.URL, tr, "Bob", nil)
			alice := join(t, srv.URL, WebSocket, "Alice", nil)
			var want []string
			for i := range 6 {
				want = append(want, fmt.Sprintf("m%d", i))
				alice.Send("", want[i])
				if i%2 == 1 {
					srv.CloseClientConnections()
				}
			}
			bob.waitTexts(want...)
			bob.checkOnce(want...)
		})
	}
}

func TestSwitchMidBurst(t *testing.T) {
	srv := newServer(t, chat.Config{Rate: 10000, Burst: 10000})
	bob := join(t, srv.URL, WebSocket, "Bob", nil)
	sender := rawSession(t, srv.URL, "Sender")
	const n = 300
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("burst %03d", i))
	}
	go func() {
		for i, w := range want {
			rawSend(t, srv.URL, sender.Token, fmt.Sprintf("b-%d", i), w)
		}
	}()
	for i, tr := range []Transport{SSE, Poll, WebSocket, Poll, SSE} {
		bob.waitFor("some of the burst", func(State) bool { return len(bob.texts()) >= (i+1)*n/6 })
		bob.SetTransport(tr)
		bob.waitFor("switched to "+string(tr), func(s State) bool { return s.Active == tr && s.Conn == Connected })
	}
	bob.waitTexts(want...)
	bob.checkOnce(want...)
	if s := bob.State(); s.Chosen != SSE {
		t.Fatalf("Chosen = %q, want sse", s.Chosen)
	}
}

func TestOutboxWhileUnreachable(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			px := newProxy(t, srv.Listener.Addr().String())
			store := NewMemoryStore()
			alice := join(t, px.URL(), tr, "Alice", func(o *Options) { o.Store = store })
			bob := join(t, srv.URL, tr, "Bob", nil)

			px.block(true)
			px.cut()
			alice.waitFor("disconnected", func(s State) bool { return s.Conn != Connected })
			want := []string{"one", "two", "three"}
			for _, w := range want {
				alice.Send("", w)
			}
			s := alice.State()
			for _, w := range want {
				if it, _ := itemByText(s, w); it.Status != Pending {
					t.Fatalf("%q while offline: %+v", w, it)
				}
			}
			if raw, _ := store.Get(outboxKey("alice")); strings.Count(raw, `"id"`) != 3 {
				t.Fatalf("stored outbox = %s, want three messages", raw)
			}
			px.block(false)
			alice.waitFor("all sent", func(s State) bool {
				for _, w := range want {
					if it, _ := itemByText(s, w); it.Status != Sent {
						return false
					}
				}
				return true
			})
			bob.waitTexts(want...)
			alice.Send("", "later")
			bob.waitTexts("later")
			alice.waitTexts("later")
			bob.checkOnce("one", "two", "three", "later")
			alice.checkOnce("one", "two", "three", "later")
			if _, ok := store.Get(outboxKey("alice")); ok {
				t.Fatal("outbox still stored after delivery")
			}
		})
	}
}

// TestRestore: a new Client over the old one's Store (a reload) resumes
// from the stored seq and sends what the old one could not.
func TestRestore(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			bob := join(t, srv.URL, tr, "Bob", nil)
			store := NewMemoryStore()
			first := join(t, srv.URL, tr, "Alice", func(o *Options) { o.Store = store })
			bob.Send("", "seen before reload")
			first.waitTexts("seen before reload")
			first.stop()
			first.Send("", "written while reloading")
			bob.Send("", "missed while reloading")
			// In the log before the reloaded client can send its outbox.
			bob.waitFor("sent", func(s State) bool {
				it, _ := itemByText(s, "missed while reloading")
				return it.Status == Sent
			})

			again := newClient(t, srv.URL, tr, func(o *Options) { o.Store = store })
			if !again.Restore() {
				t.Fatal("Restore found no session")
			}
			if it, _ := itemByText(again.State(), "written while reloading"); it.Status != Pending {
				t.Fatalf("restored outbox item: %+v", it)
			}
			again.run()
			again.waitTexts("missed while reloading", "written while reloading")
			bob.waitTexts("written while reloading")
			bob.checkOnce("seen before reload", "missed while reloading", "written while reloading")
			// The stream resumed after the stored seq: the old message came
			// from history for display, not again from the stream.
			again.checkOnce("missed while reloading", "written while reloading")
			if slices.Contains(again.texts(), "seen before reload") {
				t.Fatal("restored client got an event from before its stored seq")
			}
			if _, ok := itemByText(again.State(), "seen before reload"); !ok {
				t.Fatal("history was not loaded for display after Restore")
			}
		})
	}
}

func TestResetOnStaleEpoch(t *testing.T) {
	for _, tr := range transports {
		for _, stale := range []string{"epoch", "truncated"} {
			t.Run(string(tr)+"/"+stale, func(t *testing.T) {
				t.Parallel()
				srv := newServerKeeping(t, chat.Limits{Keep: 5}, chat.Config{})
				bob := join(t, srv.URL, tr, "Bob", nil)
				sess := rawSession(t, srv.URL, "Alice")
				for i := range 8 {
					bob.Send("", fmt.Sprintf("old %d", i))
				}
				// Bob's own poll may fall behind the 5 kept and be reset
				// itself, so wait on his list, not his stream.
				bob.waitFor("old 7 sent", func(s State) bool {
					it, _ := itemByText(s, "old 7")
					return it.Status == Sent
				})

				store := NewMemoryStore()
				store.Set(keyToken, sess.Token)
				store.Set(keyName, sess.Name)
				store.Set(keyEpoch, sess.Epoch)
				store.Set(keySeq, "1") // older than the 5 kept
				if stale == "epoch" {
					store.Set(keyEpoch, "stale")
					store.Set(keySeq, "99999")
				}
				alice := newClient(t, srv.URL, tr, func(o *Options) { o.Store = store })
				if !alice.Restore() {
					t.Fatal("Restore")
				}
				alice.run()
				s := alice.waitFor("history after reset", func(s State) bool {
					_, ok := itemByText(s, "old 7")
					return ok && s.Conn == Connected
				})
				if s.Epoch != sess.Epoch {
					t.Fatalf("epoch after reset = %q, want %q", s.Epoch, sess.Epoch)
				}
				bob.Send("", "live after reset")
				alice.waitTexts("live after reset")
				alice.checkOnce("live after reset")
				if got, _ := store.Get(keyEpoch); got != sess.Epoch {
					t.Fatalf("stored epoch = %q", got)
				}
			})
		}
	}
}

// TestSessionReclaimed: when the server forgets the session (it restarted,
// or the name lapsed), the client takes its name again and chats on.
func TestSessionReclaimed(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			alice := join(t, srv.URL, tr, "Alice", nil)
			bob := join(t, srv.URL, tr, "Bob", nil)
			bob.Send("Alice", "before the reclaim")
			alice.waitTexts("before the reclaim")
			old := alice.token()
			// The session ends behind the client's back.
			deleteSession(t, srv.URL, old)
			alice.waitFor("a new token", func(State) bool { return alice.token() != old && alice.token() != "" })
			alice.waitConnected()
			alice.Send("", "still here")
			bob.waitTexts("still here")
			s := alice.State()
			if s.Name != "Alice" || s.LastError != nil {
				t.Fatalf("state after reclaiming: %+v", summary(s))
			}
			// The direct message belongs to the ended session: the server
			// no longer gives it to the new one, but the screen keeps it.
			if !slices.ContainsFunc(s.Messages, func(m Item) bool { return m.Event.Text == "before the reclaim" }) {
				t.Errorf("the direct message from before the reclaim is gone from the client: %+v", summary(s))
			}
		})
	}
}

// TestSessionExpired: when the name was taken by someone else while the
// client was away, Run stops with the server's refusal for the join page.
func TestSessionExpired(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			px := newProxy(t, srv.Listener.Addr().String())
			alice := join(t, px.URL(), tr, "Alice", nil)
			px.block(true)
			px.cut()
			deleteSession(t, srv.URL, alice.token())
			rawSession(t, srv.URL, "alice") // someone else takes the name
			px.block(false)
			var runErr error
			select {
			case runErr = <-alice.done:
				alice.cancel = nil
			case <-time.After(waitLimit):
				t.Fatal("Run did not stop after the name was taken")
			}
			var perr *protocol.Error
			if !errors.As(runErr, &perr) || perr.Code != protocol.CodeNameTaken {
				t.Fatalf("Run = %v, want name_taken", runErr)
			}
			s := alice.State()
			if s.Conn != Stopped || s.LastError == nil || s.LastError.Code != protocol.CodeNameTaken {
				t.Fatalf("state after expiry: %+v", summary(s))
			}
			if alice.Restore() {
				t.Fatal("an expired session is restorable")
			}
		})
	}
}

func deleteSession(t *testing.T, base, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/session", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE /api/session: %s", resp.Status)
	}
}

func TestSendRefused(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			alice := join(t, srv.URL, tr, "Alice", nil)
			alice.Send("Nobody", "are you there")
			s := alice.waitFor("refused", func(s State) bool {
				it, _ := itemByText(s, "are you there")
				return it.Status == Failed
			})
			if it, _ := itemByText(s, "are you there"); it.Error == "" || s.LastError == nil || s.LastError.Code != protocol.CodeNoSuchUser {
				t.Fatalf("failed item %+v, LastError %+v", it, s.LastError)
			}
			// Refused locally, before any round trip.
			alice.Send("", "  ")
			if it, _ := itemByText(alice.State(), "  "); it.Status != Failed || !strings.Contains(it.Error, "empty") {
				t.Fatalf("blank message: %+v", it)
			}
			// Nothing else broke.
			alice.Send("", "still fine")
			alice.waitFor("sent", func(s State) bool {
				it, _ := itemByText(s, "still fine")
				return it.Status == Sent
			})
		})
	}
}

func TestCountsMode(t *testing.T) {
	srv := newServer(t, chat.Config{PresenceThreshold: 2})
	alice := join(t, srv.URL, WebSocket, "Alice", nil)
	join(t, srv.URL, SSE, "Bob", nil)
	carol := join(t, srv.URL, Poll, "Carol", nil)
	s := carol.State()
	if !s.Counts || s.Users != nil || s.Online != 3 {
		t.Fatalf("carol's hello above the threshold: %+v", summary(s))
	}
	// Alice joined below the threshold with a roster; the presence count
	// tells her it was crossed, and a roster kept from then would go stale.
	alice.waitFor("counts from presence", func(s State) bool { return s.Online == 3 && s.Counts && s.Users == nil })
}

// TestAutoFallsBack: Auto moves on from a transport that fails to open or
// opens but says nothing, and reports where it settled.
func TestAutoFallsBack(t *testing.T) {
	a := newAPI(t, chat.Config{})
	silent := make(chan struct{})
	gate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/ws":
			// Accepts the request and never answers: a proxy that eats
			// the upgrade.
			select {
			case <-silent:
			case <-r.Context().Done():
			}
		case r.URL.Path == "/api/events" && strings.Contains(r.Header.Get("X-Test"), "nosse"):
			http.Error(w, "no streams here", http.StatusBadGateway)
		default:
			a.ServeHTTP(w, r)
		}
	})
	srv := httptest.NewServer(gate)
	// Registered before the clients, so it runs after they stopped.
	t.Cleanup(func() {
		close(silent)
		a.Chat().Close()
		srv.Close()
	})
	quick := func(o *Options) { o.AutoOpenTimeout = 300 * time.Millisecond }
	alice := join(t, srv.URL, Auto, "Alice", quick)
	if s := alice.State(); s.Active != SSE || s.Chosen != Auto {
		t.Fatalf("Auto settled on %q, want sse", s.Active)
	}
	bob := join(t, srv.URL, Auto, "Bob", func(o *Options) {
		quick(o)
		o.HTTPClient = &http.Client{Transport: headerTransport{"X-Test", "nosse"}}
	})
	if s := bob.State(); s.Active != Poll {
		t.Fatalf("Auto settled on %q, want poll", s.Active)
	}
	alice.Send("", "across transports")
	bob.waitTexts("across transports")
}

// headerTransport adds a header to every request.
type headerTransport struct{ k, v string }

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.k, h.v)
	return http.DefaultTransport.RoundTrip(r)
}

// Registration is the same for a session restored after a reload and
// different for the next registration of the same name; it is never the
// token itself, and empty without a session.
func TestRegistration(t *testing.T) {
	srv := newServer(t, chat.Config{})
	ctx := context.Background()
	store := NewMemoryStore()
	first := newClient(t, srv.URL, WebSocket, func(o *Options) { o.Store = store })
	if r := first.Registration(); r != "" {
		t.Fatalf("Registration with no session: %q", r)
	}
	s, err := first.Register(ctx, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	reg := first.Registration()
	if reg == "" || strings.Contains(s.Token, reg) || strings.Contains(reg, s.Token) {
		t.Fatalf("Registration %q of token %q", reg, s.Token)
	}
	reloaded := newClient(t, srv.URL, WebSocket, func(o *Options) { o.Store = store })
	if !reloaded.Restore() || reloaded.Registration() != reg {
		t.Fatalf("after a reload the registration is %q, was %q", reloaded.Registration(), reg)
	}
	if err := reloaded.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if r := reloaded.Registration(); r != "" {
		t.Fatalf("Registration after Leave: %q", r)
	}
	next := newClient(t, srv.URL, WebSocket, func(o *Options) { o.Store = store })
	if _, err := next.Register(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if next.Registration() == reg {
		t.Fatal("the name's next holder has the first holder's registration")
	}
}
