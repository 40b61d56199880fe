package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/api"
	"hark/server/chat"
	"hark/server/web"
)

// The full mux, from the repository root as `make serve` runs it, serves
// no file outside the web directory however the path is spelled.
func TestWebDoesNotLeakFiles(t *testing.T) {
	t.Chdir("..")
	gomod, err := os.ReadFile("go.mod")
	if err != nil || !bytes.Contains(gomod, []byte("module hark")) {
		t.Fatalf("the test must run beside go.mod: %v", err)
	}
	ch := chat.New(chat.MemoryStore(chat.Limits{}, nil), chat.Config{})
	t.Cleanup(ch.Close)
	srv := api.New(ch, api.Config{Logger: slog.New(slog.DiscardHandler)})
	hs := httptest.NewServer(newMux(srv, web.Config{Version: "test", WebDir: "web"}, false))
	t.Cleanup(hs.Close)
	host := strings.TrimPrefix(hs.URL, "http://")

	for _, path := range []string{
		"/web/../go.mod",
		"/web/./../go.mod",
		"/web//../go.mod",
		"/web/..%2fgo.mod",
		"/web/%2e%2e/go.mod",
		"/web/.%2e/go.mod",
		"/web/%2e%2e%2fgo.mod",
		"/web/..\\go.mod",
		"/go.mod",
		"/web/../server/main.go",
		"/web/../../../../etc/passwd",
		"/api/../go.mod",
		"/web/../.git/config",
	} {
		t.Run(path, func(t *testing.T) {
			resp := rawGet(t, host, path)
			for _, secret := range []string{"module hark", "package main", "root:", "[core]"} {
				if strings.Contains(resp, secret) {
					t.Fatalf("GET %s leaked a file:\n%s", path, resp)
				}
			}
			// If it redirects, where it leads leaks nothing either.
			if loc := header(resp, "Location"); loc != "" && strings.HasPrefix(loc, "/") {
				if again := rawGet(t, host, loc); strings.Contains(again, "module hark") {
					t.Fatalf("GET %s redirects to %s, which leaks go.mod", path, loc)
				}
			}
		})
	}

	// The mux still serves what it should.
	for _, tc := range []struct{ method, path, body, ctype string }{
		{"GET", "/healthz", "", ""},
		{"GET", "/metrics", "", "text/plain"},
		{"GET", "/web/hark.css", "", "text/css"},
		{"GET", "/", "", "text/html"},
	} {
		resp, err := http.Get(hs.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		want := http.StatusOK
		if tc.path == "/" && !web.Built("web") {
			want = http.StatusServiceUnavailable // the page that says to build it
		}
		if resp.StatusCode != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
			t.Errorf("GET %s: %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	resp, err := http.Post(hs.URL+"/api/session", "application/json", strings.NewReader(`{"name": "Alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /api/session through the mux: %d", resp.StatusCode)
	}
}

// rawGet sends path exactly as written, which net/http's client would
// not, and returns the whole answer.
func rawGet(t *testing.T, host, path string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 ")) {
		t.Fatalf("GET %s: answer %q", path, b)
	}
	return string(b)
}

// header returns the value of the named header in a raw answer.
func header(resp, name string) string {
	head, _, _ := strings.Cut(resp, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// A server bound to loopback answers only loopback names, on every route:
// a page whose name an attacker points at 127.0.0.1 (DNS rebinding) is
// refused. Bound to every interface, it answers any name; with
// -allow-host, exactly those listed.
func TestAllowedHosts(t *testing.T) {
	t.Chdir("..")
	loopback, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(loopback.Addr().(*net.TCPAddr).Port)
	public := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}

	type check struct {
		host string
		ok   bool
	}
	for _, tc := range []struct {
		name   string
		flag   string
		bound  net.Addr
		ln     net.Listener
		checks []check
	}{
		{"loopback bind", "", loopback.Addr(), loopback, []check{
			{"localhost:" + port, true}, {"LocalHost.:" + port, true}, {"localhost", true},
			{"127.0.0.1:" + port, true}, {"127.0.0.2:" + port, true}, {"[::1]:" + port, true}, {"[::1]", true},
			{"evil.example", false}, {"evil.example:" + port, false}, {"localhost.evil.example:" + port, false},
			{"10.0.0.1:" + port, false}, {"[::2]:" + port, false},
		}},
		{"public bind", "", public, nil, []check{
			{"evil.example", true}, {"chat.example:443", true}, {"localhost:" + port, true},
		}},
		{"explicit list", "chat.example, 10.1.0.0/16, other.example:" + port, loopback.Addr(), nil, []check{
			{"chat.example", true}, {"CHAT.example:" + port, true}, {"10.1.2.3:" + port, true},
			{"other.example:" + port, true}, {"other.example:1", false}, {"other.example", false},
			{"localhost:" + port, false}, {"127.0.0.1:" + port, false}, {"evil.example", false},
		}},
		{"star", "*", loopback.Addr(), nil, []check{{"evil.example", true}, {"localhost", true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := chat.New(chat.MemoryStore(chat.Limits{}, nil), chat.Config{})
			t.Cleanup(ch.Close)
			srv := api.New(ch, api.Config{
				AllowHosts: allowedHosts(tc.flag, tc.bound),
				Logger:     slog.New(slog.DiscardHandler),
			})
			hs := httptest.NewUnstartedServer(newMux(srv, web.Config{Version: "test", WebDir: "web"}, false))
			if tc.ln != nil {
				hs.Listener.Close()
				hs.Listener = tc.ln
			}
			hs.Start()
			t.Cleanup(hs.Close)
			for _, c := range tc.checks {
				for _, path := range []string{"/", "/web/hark.css", "/healthz", "/api/users"} {
					req, _ := http.NewRequest("GET", hs.URL+path, nil)
					req.Host = c.host
					resp, err := hs.Client().Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					switch {
					case c.ok && resp.StatusCode == http.StatusForbidden:
						t.Errorf("Host %s, GET %s: refused: %s", c.host, path, body)
					case !c.ok && resp.StatusCode != http.StatusForbidden:
						t.Errorf("Host %s, GET %s: %d, want 403", c.host, path, resp.StatusCode)
					case !c.ok:
						var eb protocol.ErrorBody
						if err := json.Unmarshal(body, &eb); err != nil || eb.Error == nil || eb.Error.Code != protocol.CodeForbiddenHost || !strings.Contains(eb.Error.Message, "allow-host") {
							t.Errorf("Host %s, GET %s: body %q, want forbidden_host naming -allow-host", c.host, path, body)
						}
					}
				}
			}
		})
	}
}

// An idle keep-alive connection is closed after IdleTimeout.
func TestIdleConnectionClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const idle = 300 * time.Millisecond
	hs := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	}), slog.New(slog.DiscardHandler), idle)
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	// Two requests on the connection: it is kept alive between them.
	for range 2 {
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	start := time.Now()
	// Closed at all, not how soon: a loaded machine may be late.
	conn.SetReadDeadline(time.Now().Add(testkit.Wait))
	_, err = br.ReadByte()
	took := time.Since(start)
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		t.Fatalf("the server kept an idle connection open for %v (IdleTimeout %v)", took, idle)
	case err != io.EOF:
		t.Fatalf("reading an idle connection: %v, want EOF", err)
	case took < idle/2:
		t.Fatalf("the connection closed after %v, before IdleTimeout %v", took, idle)
	}
}

// The flags are bound to the configs: with none given, the chat and the
// API get their own defaults (written once, in chat.Defaults and
// api.Defaults, and shown by -h); a limit's 0 turns it off, which the
// configs spell with a negative value; a bad value stops the start.
func TestFlagsBindToConfigs(t *testing.T) {
	parse := func(args ...string) (*settings, error) {
		fs := flag.NewFlagSet("hark", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		s := bindFlags(fs)
		err := fs.Parse(args)
		s.finish()
		return s, err
	}
	s, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.chat, chat.Defaults()) || !reflect.DeepEqual(s.api, api.Defaults()) {
		t.Errorf("with no flags:\nchat %+v\napi  %+v\nwant the configs' defaults", s.chat, s.api)
	}
	if s.store.Limits != chat.DefaultLimits() {
		t.Errorf("with no flags the store keeps %+v, want the default limits %+v", s.store.Limits, chat.DefaultLimits())
	}

	s, err = parse("-keep", "500", "-max-age", "1h", "-addr-sessions", "0", "-addr-register-rate", "0",
		"-addr-send-burst", "0", "-read-rate", "0", "-session-streams", "-3", "-write-delay", "0", "-addr-streams", "7", "-rate", "2.5", "-edit-window", "0")
	if err != nil {
		t.Fatal(err)
	}
	c := s.chat
	if l := s.store.Limits; l.Keep != 500 || l.MaxAge != time.Hour {
		t.Errorf("-keep 500 -max-age 1h: the store's limits are %+v", l)
	}
	if c.AddrSessions >= 0 || c.AddrRegisterRate >= 0 || c.AddrSendBurst >= 0 || c.ReadRate >= 0 || c.SessionStreams >= 0 || s.api.WriteDelay >= 0 || c.EditWindow >= 0 {
		t.Errorf("a 0 (or less) did not turn its limit off: %+v, write delay %v", c, s.api.WriteDelay)
	}
	if c.AddrStreams != 7 || c.Rate != 2.5 {
		t.Errorf("-addr-streams 7 -rate 2.5: %d %v", c.AddrStreams, c.Rate)
	}
	// Off reaches the chat as off: a chat made with it has no bound.
	ch := chat.New(chat.MemoryStore(s.store.Limits, nil), c)
	defer ch.Close()
	for i := range 60 { // past the default of 50 names per address
		if _, _, _, err := ch.Register(context.Background(), fmt.Sprint("n", i), "192.0.2.1"); err != nil {
			t.Fatalf("-addr-sessions 0, name %d: %v", i, err)
		}
	}

	for _, bad := range [][]string{{"-addr-sessions", "x"}, {"-read-rate", "fast"}, {"-write-delay", "soon"}} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("%v was taken", bad)
		}
	}
	var help strings.Builder
	fs := flag.NewFlagSet("hark", flag.ContinueOnError)
	bindFlags(fs)
	fs.SetOutput(&help)
	fs.PrintDefaults()
	for _, want := range []string{"(default 10000)", "(default 50)", "(default 20ms)", "(default 10s)"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("-h does not show %s", want)
		}
	}
}
