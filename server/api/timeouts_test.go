package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/api"
)

// A request body trickled one byte at a time is cut off after BodyTimeout
// with the contract's bad_request, and the connection is closed: a client
// cannot hold a connection (and a goroutine) by never finishing a body.
func TestBodyTimeoutEndsATrickledBody(t *testing.T) {
	const timeout = 300 * time.Millisecond
	ts := newServer(t, func(c *config) { c.BodyTimeout = timeout })

	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"name": "` + fmt.Sprintf("%0100d", 0) + `"}`
	fmt.Fprintf(conn, "POST /api/session HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", ts.Listener.Addr(), len(body))
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	var sent atomic.Int64 // bytes of the body written
	go func() {
		// One byte every 100 ms: the whole body would take 11 s.
		for i := range len(body) {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				return
			}
			sent.Add(1)
		}
	}()

	conn.SetReadDeadline(time.Now().Add(wait))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body after %v: %v", time.Since(start), err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took, n := time.Since(start), sent.Load()
	wantErrorBody(t, resp.StatusCode, resp.Header, b, http.StatusBadRequest, protocol.CodeBadRequest, "too slowly")
	// Not before the timeout; and not by waiting for the whole body,
	// which is the order of things whatever the machine's load.
	if took < timeout {
		t.Errorf("answered after %v, before the body timeout of %v", took, timeout)
	}
	if n >= int64(len(body)) {
		t.Errorf("answered after the whole body (%d bytes, %v), want after the body timeout of %v", n, took, timeout)
	}
	// The connection is closed: what is left of the body cannot be read
	// as a next request.
	if _, err := br.ReadByte(); err == nil {
		t.Errorf("the connection stayed open after a body timed out")
	} else if ne := (net.Error)(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("the connection stayed open after a body timed out")
	}
}

// A body that arrives within BodyTimeout, in pieces, is read; the deadline
// is lifted once it has ended, so the next request on the connection and a
// stream opened after it outlive the timeout.
func TestBodyTimeoutSparesPromptBodiesAndStreams(t *testing.T) {
	const timeout = 400 * time.Millisecond
	ts := newServer(t, func(c *config) {
		c.BodyTimeout = timeout
		c.PingInterval = 100 * time.Millisecond
	})
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	body := `{"name": "Prompt"}`
	fmt.Fprintf(conn, "POST /api/session HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", ts.Listener.Addr(), len(body), body[:5])
	time.Sleep(timeout / 4)
	io.WriteString(conn, body[5:])
	conn.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	var s protocol.Session
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("registering with a body in two pieces: %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	ts.remember(s.Token)

	// The same connection, idle past the body timeout, then a stream on it
	// that lives for several more.
	time.Sleep(2 * timeout)
	fmt.Fprintf(conn, "GET /api/events?token=%s HTTP/1.1\r\nHost: %s\r\n\r\n", s.Token, ts.Listener.Addr())
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("opening a stream after a POST: %v, %v", resp, err)
	}
	// Closing the body would read the stream to its end: close the
	// connection instead (the deferred Close above).
	until := time.Now().Add(4 * timeout)
	sr := bufio.NewReader(resp.Body)
	for time.Now().Before(until) {
		conn.SetReadDeadline(time.Now().Add(wait))
		if _, err := sr.ReadString('\n'); err != nil {
			t.Fatalf("the stream ended after %v: %v", time.Since(until.Add(-4*timeout)), err)
		}
	}
}

// A request refused before its body is read (a bad token, a foreign host
// or origin, an unknown path, a declared length over the limit) is
// answered at once, whatever the body does, and its connection closed:
// net/http would otherwise read what is left of the body before answering,
// so a client trickling one byte at a time held the connection (and a
// goroutine) with no answer and no timeout running.
func TestRefusedBeforeTheBodyIsAnsweredAndClosed(t *testing.T) {
	ts := newServer(t, func(c *config) {
		c.AllowHosts = api.LoopbackHosts
		c.BodyTimeout = time.Hour // so the body timeout cannot be what answers
	})
	addr := ts.Listener.Addr().String()
	alice := ts.register(t, "Alice")
	cases := []struct {
		name, head    string
		length        int
		status        int
		code, message string
	}{
		{"a bad token", "POST /api/messages HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer not-a-token\r\n", 1000,
			http.StatusUnauthorized, protocol.CodeUnauthorized, ""},
		{"a foreign host", "POST /api/messages HTTP/1.1\r\nHost: evil.example\r\n", 1000,
			http.StatusForbidden, protocol.CodeForbiddenHost, ""},
		{"a foreign origin", "POST /api/session HTTP/1.1\r\nHost: " + addr + "\r\nOrigin: https://evil.example\r\n", 1000,
			http.StatusForbidden, protocol.CodeForbiddenOrigin, ""},
		{"an unknown path", "POST /api/nothing HTTP/1.1\r\nHost: " + addr + "\r\n", 1000,
			http.StatusBadRequest, protocol.CodeBadRequest, "no endpoint"},
		{"a declared 100 MB", "POST /api/session HTTP/1.1\r\nHost: " + addr + "\r\n", 100 << 20,
			http.StatusRequestEntityTooLarge, protocol.CodeTooLarge, "at most"},
		{"a declared 100 MB with a bad token", "POST /api/messages HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer not-a-token\r\n", 100 << 20,
			http.StatusUnauthorized, protocol.CodeUnauthorized, ""},
		{"a declared 100 MB with a good token", "POST /api/messages HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + alice.Token + "\r\n", 100 << 20,
			http.StatusRequestEntityTooLarge, protocol.CodeTooLarge, "at most"},
		// Uploads have a limit of their own (-max-file), refused alike.
		{"an upload with a bad token", "POST /api/files?name=a.bin HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer not-a-token\r\n", 1 << 20,
			http.StatusUnauthorized, protocol.CodeUnauthorized, ""},
		{"an upload of a declared 100 MB", "POST /api/files?name=a.bin HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + alice.Token + "\r\n", 100 << 20,
			http.StatusRequestEntityTooLarge, protocol.CodeTooLarge, "a file is at most"},
		{"an upload to nobody online", "POST /api/files?name=a.bin&to=Nobody HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + alice.Token + "\r\n", 1 << 20,
			http.StatusNotFound, protocol.CodeNoSuchUser, "not online"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", tc.head, tc.length)
			stop := make(chan struct{})
			defer close(stop)
			go func() { // a byte every 100 ms, for as long as the test runs
				for {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := conn.Write([]byte("a")); err != nil {
						return
					}
				}
			}()
			conn.SetReadDeadline(time.Now().Add(wait))
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer while the body trickles: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantErrorBody(t, resp.StatusCode, resp.Header, b, tc.status, tc.code, tc.message)
			if _, err := br.ReadByte(); err == nil {
				t.Errorf("the connection carried something after the answer")
			} else if ne := (net.Error)(nil); errors.As(err, &ne) && ne.Timeout() {
				t.Errorf("the connection stayed open after the refusal")
			}
		})
	}
}

// A body read to its end keeps its keep-alive connection: the refusal's
// close is for bodies left unread.
func TestReadBodyKeepsTheConnection(t *testing.T) {
	ts := newServer(t, nil)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	br := bufio.NewReader(conn)
	for i, name := range []string{"Alice", "Alice"} {
		body := `{"name":"` + name + `"}`
		fmt.Fprintf(conn, "POST /api/session HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", ts.Listener.Addr(), len(body), body)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d on one connection: %v", i+1, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Close {
			t.Fatalf("request %d (%s) closed a connection whose body was read", i+1, resp.Status)
		}
	}
}

// A refused request whose body came at once, larger than anything read
// (a bad token, or a declared length over the limit, with a 200 KB body),
// still gets its answer, as an HTTP client sees it: the connection is
// closed only after what is left of the body is drained, so no reset
// cuts the client's write, or the answer, short (with the drain ended at
// once, a client sending such a body saw "connection reset by peer" on
// about one request in ten).
func TestRefusedPromptBodyGetsItsAnswer(t *testing.T) {
	ts := newServer(t, func(c *config) { c.MaxFileBytes = 64 << 10 })
	alice := ts.register(t, "Alice")
	body := bytes.Repeat([]byte("x"), 200<<10)
	client := &http.Client{Transport: &http.Transport{}} // a connection of its own each time: they close
	defer client.CloseIdleConnections()
	for i := range 300 {
		tok, status, code := "not-a-token", http.StatusUnauthorized, protocol.CodeUnauthorized
		if i%2 == 0 { // too large, refused on its declared length
			tok, status, code = alice.Token, http.StatusRequestEntityTooLarge, protocol.CodeTooLarge
		}
		path := "/api/messages"
		if i%3 == 0 { // an upload, whose limit is its own (64 KiB here)
			path = "/api/files?name=big.bin"
		}
		req, _ := http.NewRequest(http.MethodPost, ts.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: no answer to a refused request with a prompt body: %v", i+1, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("request %d: the answer was cut: %v", i+1, err)
		}
		wantErrorBody(t, resp.StatusCode, resp.Header, b, status, code, "")
	}
}
