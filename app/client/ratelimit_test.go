//go:build !js

package client

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/chat"
)

// TestRateLimited: a send over budget is refused rate_limited (a 429 with
// Retry-After over HTTP, an error frame with retry_after on a WebSocket);
// the client keeps the message, tries again no sooner than it was told, and
// every message is delivered once, in order.
func TestRateLimited(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			a := newAPI(t, chat.Config{Rate: 2, Burst: 1})
			tap := &limitTap{h: a}
			srv := httptest.NewServer(tap)
			t.Cleanup(srv.Close)
			alice := join(t, srv.URL, tr, "Alice", nil)
			bob := join(t, srv.URL, tr, "Bob", nil)
			want := []string{"r1", "r2", "r3", "r4"}
			for _, w := range want {
				alice.Send("", w)
			}
			bob.waitTexts(want...)
			bob.checkOnce(want...)
			// Kept through the refusals, never failed: each ends acknowledged.
			alice.waitFor("every message acknowledged", func(s State) bool {
				for _, w := range want {
					if it, _ := itemByText(s, w); it.Status != Sent {
						if it.Status == Failed {
							t.Fatalf("%q failed: %s", w, it.Error)
						}
						return false
					}
				}
				return true
			})

			refusals, bad := tap.seen()
			for _, b := range bad {
				t.Error(b)
			}
			// Four sends at once against a burst of one: the server must
			// have refused some, on the transport's own path.
			via := "HTTP 429"
			if tr == WebSocket {
				via = "WebSocket error frame"
			}
			if len(refusals) == 0 {
				t.Fatalf("no rate_limited refusal (%s) that keeps the contract seen", via)
			}
			for _, r := range refusals {
				if r.via != via {
					t.Errorf("refusal %+v came as %s, want %s", r, r.via, via)
				}
			}
			// After each refusal the next thing the server saw from Alice
			// (another refusal or an accepted message) came no sooner than
			// the retry it asked for.
			var accepted []time.Time
			for _, e := range bob.delivered() {
				if e.Type == protocol.TypeMessage && e.From == "Alice" && e.Time != nil {
					accepted = append(accepted, e.Time.Time)
				}
			}
			const slack = 5 * time.Millisecond // event times are cut to the millisecond
			for i, r := range refusals {
				next := time.Time{}
				if i+1 < len(refusals) {
					next = refusals[i+1].at
				}
				for _, at := range accepted {
					if at.After(r.at) && (next.IsZero() || at.Before(next)) {
						next = at
						break
					}
				}
				if next.IsZero() {
					t.Errorf("nothing came after the refusal at %v, yet every message was delivered", r.at)
					continue
				}
				if gap, min := next.Sub(r.at), time.Duration(r.retry)*time.Second-slack; gap < min {
					t.Errorf("retried %v after a refusal that said to wait %ds", gap, r.retry)
				}
			}
		})
	}
}

// limitTap sits in front of a Hark server and records each rate_limited
// refusal it gives, as the client receives it: over HTTP a 429 whose
// Retry-After header and error body must agree, on a WebSocket an error
// frame with retry_after. Anything off the contract is noted in bad.
type limitTap struct {
	h http.Handler

	mu       sync.Mutex
	refusals []limited
	bad      []string
}

// limited is one rate_limited answer: when the server wrote it, how, and
// how many seconds it said to wait.
type limited struct {
	at    time.Time
	via   string
	retry int
}

func (lt *limitTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/messages":
		sw := &statusWriter{ResponseWriter: w}
		lt.h.ServeHTTP(sw, r)
		if sw.status == http.StatusTooManyRequests {
			lt.checkHTTP(sw)
		}
	case r.URL.Path == "/api/ws":
		lt.h.ServeHTTP(&hijackTap{ResponseWriter: w, lt: lt}, r)
	default:
		lt.h.ServeHTTP(w, r)
	}
}

// checkHTTP records a 429 and checks that it says when to retry, in the
// header and in the body alike.
func (lt *limitTap) checkHTTP(sw *statusWriter) {
	var eb protocol.ErrorBody
	header := sw.Header().Get("Retry-After")
	retry, err := strconv.Atoi(header)
	lt.mu.Lock()
	defer lt.mu.Unlock()
	switch {
	case json.Unmarshal(sw.body.Bytes(), &eb) != nil || eb.Error == nil:
		lt.bad = append(lt.bad, fmt.Sprintf("429 without an error body: %q", sw.body.String()))
	case eb.Error.Code != protocol.CodeRateLimited:
		lt.bad = append(lt.bad, fmt.Sprintf("429 with code %q", eb.Error.Code))
	case err != nil || retry < 1:
		lt.bad = append(lt.bad, fmt.Sprintf("429 with Retry-After %q", header))
	case eb.Error.RetryAfter != retry:
		lt.bad = append(lt.bad, fmt.Sprintf("429 with Retry-After %d but retry_after %d", retry, eb.Error.RetryAfter))
	default:
		lt.refusals = append(lt.refusals, limited{at: sw.at, via: "HTTP 429", retry: retry})
	}
}

// frame records a WebSocket text frame the server wrote, if it refuses a
// send for its rate.
func (lt *limitTap) frame(at time.Time, payload []byte) {
	var e protocol.Event
	if json.Unmarshal(payload, &e) != nil || e.Type != protocol.TypeError || e.Error == nil || e.Error.Code != protocol.CodeRateLimited {
		return
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if e.Error.RetryAfter < 1 || e.ID == "" {
		lt.bad = append(lt.bad, fmt.Sprintf("rate_limited frame without retry_after or id: %s", payload))
		return
	}
	lt.refusals = append(lt.refusals, limited{at: at, via: "WebSocket error frame", retry: e.Error.RetryAfter})
}

// seen returns the refusals, oldest first, and the violations.
func (lt *limitTap) seen() ([]limited, []string) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	rs := slices.Clone(lt.refusals)
	slices.SortFunc(rs, func(a, b limited) int { return a.at.Compare(b.at) })
	return rs, slices.Clone(lt.bad)
}

// statusWriter keeps a response's status, when it was written, and its body.
type statusWriter struct {
	http.ResponseWriter
	status int
	at     time.Time
	body   bytes.Buffer
}

func (sw *statusWriter) WriteHeader(code int) {
	if sw.status == 0 {
		sw.status, sw.at = code, time.Now()
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.WriteHeader(http.StatusOK)
	}
	sw.body.Write(b)
	return sw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// hijackTap hands the WebSocket library a connection whose writes the tap
// reads.
type hijackTap struct {
	http.ResponseWriter
	lt *limitTap
}

func (h *hijackTap) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	fc := &frameConn{Conn: c, lt: h.lt}
	// net/http's writer is empty at this point; a new one on fc is the same
	// but for the tap.
	return fc, bufio.NewReadWriter(brw.Reader, bufio.NewWriter(fc)), nil
}

func (h *hijackTap) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// frameConn splits what the server writes into WebSocket frames (RFC 6455
// section 5.2; the server's are unmasked and, here, uncompressed) and shows
// each text frame to the tap.
type frameConn struct {
	net.Conn
	lt  *limitTap
	buf []byte
}

func (fc *frameConn) Write(p []byte) (int, error) {
	at := time.Now()
	fc.buf = append(fc.buf, p...)
	for {
		b := fc.buf
		if len(b) < 2 {
			break
		}
		opcode, n, hdr := b[0]&0x0f, uint64(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return fc.Conn.Write(p)
			}
			n, hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return fc.Conn.Write(p)
			}
			n, hdr = binary.BigEndian.Uint64(b[2:]), 10
		}
		if uint64(len(b)-hdr) < n {
			break
		}
		if opcode == 1 {
			fc.lt.frame(at, b[hdr:hdr+int(n)])
		}
		fc.buf = b[hdr+int(n):]
	}
	return fc.Conn.Write(p)
}
