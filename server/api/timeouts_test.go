package api_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
	ts := newServer(t, func(c *api.Config) { c.BodyTimeout = timeout })

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
	took := time.Since(start)
	wantErrorBody(t, resp.StatusCode, resp.Header, b, http.StatusBadRequest, protocol.CodeBadRequest, "too slowly")
	if took < timeout || took > timeout+5*time.Second {
		t.Errorf("answered after %v, want about %v", took, timeout)
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
	ts := newServer(t, func(c *api.Config) {
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
