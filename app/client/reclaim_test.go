//go:build !js

package client

import (
	"testing"

	"hark/server/chat"
)

// TestRetryAfterReclaim: a message whose ack was lost, resent from the
// outbox after the client had to take its name again (the server forgot
// the session meanwhile), is delivered once: the server remembers ids by
// name, not by session.
func TestRetryAfterReclaim(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			px := newProxy(t, srv.Listener.Addr().String())
			alice := join(t, px.URL(), tr, "Alice", nil)
			bob := join(t, srv.URL, tr, "Bob", nil)

			// The send reaches the server; its ack never comes back.
			px.mute(true)
			alice.Send("", "once")
			bob.waitTexts("once")
			// The server forgets the session, and the connection drops.
			old := alice.token()
			deleteSession(t, srv.URL, old)
			px.cut()
			px.mute(false)

			alice.waitFor("a new token", func(State) bool { return alice.token() != old && alice.token() != "" })
			alice.waitFor("the retry acknowledged", func(s State) bool {
				it, _ := itemByText(s, "once")
				return it.Status == Sent
			})
			alice.Send("", "after")
			bob.waitTexts("after")
			bob.checkOnce("once", "after")
			alice.waitTexts("after")
		})
	}
}
