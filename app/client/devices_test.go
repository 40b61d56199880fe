//go:build !js

package client

import (
	"context"
	"testing"

	"hark/app/protocol"
	"hark/server/chat"
)

// A code from Alice's first client signs a second in as Alice, over each
// transport: both get Bob's direct message. Signing out everywhere from
// the first ends the second with signed_out, and the second does not take
// the name back: it stays free.
func TestLinkAndLeaveEverywhere(t *testing.T) {
	for _, tr := range []Transport{WebSocket, SSE, Poll} {
		t.Run(string(tr), func(t *testing.T) {
			srv := newServer(t, chat.Config{})
			laptop := join(t, srv.URL, tr, "Alice", nil)
			dc, err := laptop.DeviceCode(context.Background())
			if err != nil || dc.Code == "" {
				t.Fatalf("DeviceCode: %+v, %v", dc, err)
			}
			phone := newClient(t, srv.URL, tr, nil)
			s, err := phone.Link(context.Background(), dc.Code)
			if err != nil || s.Name != "Alice" {
				t.Fatalf("Link: %+v, %v", s, err)
			}
			phone.run()
			phone.waitConnected()
			if _, err := newClient(t, srv.URL, tr, nil).Link(context.Background(), dc.Code); !isCode(err, protocol.CodeNotFound) {
				t.Fatalf("the code used twice: %v, want not_found", err)
			}

			bob := rawSession(t, srv.URL, "Bob")
			rawSendTo(t, srv.URL, bob.Token, "b1", "Alice", "to every device")
			laptop.waitTexts("to every device")
			phone.waitTexts("to every device")

			if err := laptop.LeaveEverywhere(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := phone.waitFor("signed out", func(s State) bool { return s.LastError != nil })
			if st.LastError.Code != protocol.CodeSignedOut {
				t.Fatalf("the phone ended with %+v, want signed_out", st.LastError)
			}
			if phone.Registration() != "" {
				t.Fatalf("the phone still holds a session: %+v", summary(st))
			}
			// Nobody took the name back: it is free for anyone.
			again := rawSession(t, srv.URL, "alice")
			if again.Name != "alice" {
				t.Fatalf("registered as %q", again.Name)
			}
		})
	}
}
