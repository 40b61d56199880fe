package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"hark/server/api"
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
	srv := api.New(api.Config{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(srv.Close)
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
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
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
