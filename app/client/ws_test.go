//go:build !js

package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hark/app/protocol"
)

// TestWSStreamReadsBatchedFrames reads a batched frame larger than the
// buffer a stream keeps, then small ones into the kept buffer: every
// event arrives whole and in order (events copy what they keep), and the
// large frame's buffer is not kept.
func TestWSStreamReadsBatchedFrames(t *testing.T) {
	const big = 2000 // events in the first frame, about 150 KiB
	line := func(seq int) string {
		return fmt.Sprintf(`{"type":"message","seq":%d,"from":"ann","text":"message number %d, padded to a usual length"}`, seq, seq)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		var lines []string
		for seq := 1; seq <= big; seq++ {
			lines = append(lines, line(seq))
		}
		frames := []string{strings.Join(lines, "\n"), line(big+1) + "\n" + line(big+2), line(big + 3)}
		for _, f := range frames {
			if err := c.Write(r.Context(), websocket.MessageText, []byte(f)); err != nil {
				return
			}
		}
		c.Read(r.Context()) // until the client goes
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(wsReadLimit)
	s := &wsStream{conn: conn, waiters: make(map[string]chan protocol.Event), done: make(chan struct{})}

	var got []protocol.Event
	for len(got) < big+3 {
		ev, err := s.next(ctx)
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		got = append(got, ev)
	}
	for i, ev := range got {
		want := fmt.Sprintf("message number %d, padded to a usual length", i+1)
		if ev.Seq != uint64(i+1) || ev.Text != want || ev.From != "ann" {
			t.Fatalf("event %d = %+v, want seq %d text %q", i, ev, i+1, want)
		}
	}
	if c := s.frame.Cap(); c > maxKeptFrame {
		t.Errorf("the stream keeps a %d-byte frame buffer, want at most %d", c, maxKeptFrame)
	}
}
