package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hark/app/protocol"
	"hark/server/api"
)

// The API answers only the hosts it is told to: others get the contract's
// 403 forbidden_host, before anything else is looked at.
func TestHostNotAllowedIsRefused(t *testing.T) {
	t.Parallel()
	ts := newServer(t, func(c *config) { c.AllowHosts = api.LoopbackHosts })
	port := ts.Listener.Addr().String()[len("127.0.0.1:"):]
	for i, tc := range []struct {
		host string
		ok   bool
	}{
		{"localhost:" + port, true},
		{"127.0.0.1:" + port, true},
		{"127.1.2.3:" + port, true},
		{"[::1]:" + port, true},
		{"[::ffff:127.0.0.1]:" + port, true},
		{"evil.example:" + port, false},
		{"evil.example", false},
		{"localhost.evil.example", false},
		{"127.0.0.1.nip.io:" + port, false},
		{"[::2]:" + port, false},
	} {
		body := fmt.Sprintf(`{"name": "host%d"}`, i)
		r := ts.doHost(t, "POST", "/api/session", tc.host, body, nil)
		if tc.ok {
			if r.status != http.StatusCreated {
				t.Errorf("Host %s: %d %s", tc.host, r.status, r.body)
			}
			var s protocol.Session
			r.decode(t, &s)
			ts.remember(s.Token)
			continue
		}
		r.wantError(t, http.StatusForbidden, protocol.CodeForbiddenHost, "allow-host")
	}
	// A WebSocket handshake, the streams and the rest are refused the same
	// way, before anything else is looked at.
	ws := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
	for _, path := range []string{"/api/ws", "/api/events", "/api/poll", "/api/history", "/healthz", "/metrics", "/api/nothing"} {
		r := ts.doHost(t, "GET", path, "evil.example", "", ws)
		r.wantError(t, http.StatusForbidden, protocol.CodeForbiddenHost, "evil.example")
	}
}

// doHost sends a request with the Host header host.
func (ts *testServer) doHost(t *testing.T, method, path, host, body string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: readAll(t, resp)}
}

// With no list, any host is served (a server bound to a public address).
func TestHostAnyByDefault(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	for _, host := range []string{"evil.example", "chat.example:443", "localhost"} {
		if r := ts.doHost(t, "GET", "/healthz", host, "", nil); r.status != http.StatusOK {
			t.Errorf("Host %s: %d %s", host, r.status, r.body)
		}
	}
}

func TestValidHost(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]bool{
		"localhost": true, "chat.example:8443": true, "[::1]:80": true, "::1": true,
		"127.0.0.0/8": true, "*": true, "10.0.0.0/33": false, "": false, "a b": false,
	} {
		if got := api.ValidHost(h); got != want {
			t.Errorf("ValidHost(%q) = %v, want %v", h, got, want)
		}
	}
}
