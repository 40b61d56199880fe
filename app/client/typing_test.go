//go:build !js

package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/chat"
)

// metric reads one line of the server's /metrics, "" if it is absent.
func metric(t *testing.T, base, name string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

// waitPolls waits until n long polls are held at the server, twice a
// moment apart (a poll that has just answered counts until its handler
// returns): typing reaches a poller only while a poll is held.
func waitPolls(t *testing.T, tr Transport, base string, n int) {
	t.Helper()
	if tr != Poll {
		return
	}
	want := fmt.Sprintf(`hark_streams_open{transport="poll"} %d`, n)
	held := func() bool { return metric(t, base, `hark_streams_open{transport="poll"}`) == want }
	testkit.Within(t, waitLimit, want, func() bool {
		if !held() {
			return false
		}
		time.Sleep(10 * time.Millisecond)
		return held()
	})
}

// Typing reaches the people it is for on every transport and shows in
// their State by conversation: to everyone until it lapses, to one person
// until that person's message comes. Typing on every keystroke tells the
// server once per conversation; a second conversation within the
// server's 2 s per person is refused there.
func TestTyping(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			bob := newClient(t, srv.URL, tr, nil)
			bob.typingLasts = time.Second // long enough to be seen, short enough to wait for
			if _, err := bob.Register(context.Background(), "Bob"); err != nil {
				t.Fatal(err)
			}
			bob.run()
			bob.waitConnected()
			alice := join(t, srv.URL, tr, "Alice", nil)
			carol := newClient(t, srv.URL, tr, nil) // no stream: it says it by POST
			if _, err := carol.Register(context.Background(), "Carol"); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			waitPolls(t, tr, srv.URL, 2)

			for range 5 { // keystrokes
				if err := alice.Typing(ctx, ""); err != nil {
					t.Fatalf("Alice typing: %v", err)
				}
			}
			bob.waitFor("Alice typing to everyone", func(s State) bool { return fmt.Sprint(s.TypingIn("")) == "[Alice]" })
			if got := metric(t, srv.URL, `hark_typing_total{outcome="ok"}`); got != `hark_typing_total{outcome="ok"} 1` {
				t.Errorf("five keystrokes told the server: %q, want once", got)
			}
			// Another conversation is not held back by the client, but the
			// server takes one notice per person every 2 s.
			err := alice.Typing(ctx, "Bob")
			if tr != WebSocket && !isCode(err, protocol.CodeRateLimited) {
				t.Errorf("Alice typing to Bob at once: %v, want rate_limited", err)
			}
			// (over WebSocket the frame is not answered: wait for it)
			testkit.Within(t, waitLimit, "rate_limited typing to count 1", func() bool {
				return strings.HasSuffix(metric(t, srv.URL, `hark_typing_total{outcome="rate_limited"}`), " 1")
			})
			bob.waitFor("Alice's typing to lapse", func(s State) bool { return len(s.TypingIn("")) == 0 })

			waitPolls(t, tr, srv.URL, 2)
			if err := carol.Typing(ctx, "bob"); err != nil {
				t.Fatalf("Carol typing to Bob: %v", err)
			}
			bob.waitFor("Carol typing to Bob", func(s State) bool { return fmt.Sprint(s.TypingIn("CAROL")) == "[Carol]" })
			if s := alice.State(); len(s.Typing) != 0 {
				t.Errorf("Alice sees %+v: typing to Bob is Bob's only, and her own is not shown", s.Typing)
			}
			rawSendTo(t, srv.URL, carol.token(), "c1", "Bob", "hi bob")
			bob.waitFor("Carol's message to end her typing", func(s State) bool { return len(s.Typing) == 0 })

			if err := newClient(t, srv.URL, tr, nil).Typing(ctx, ""); err != ErrNoSession {
				t.Errorf("Typing without a session: %v", err)
			}
		})
	}
}
