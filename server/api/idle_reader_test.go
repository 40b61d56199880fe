package api_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hark/app/protocol"
	"hark/server/api"
)

// An idle WebSocket's reader waits outside the WebSocket library, even
// after keep-alives it must read the answers to (wsidle.go), and the
// frames that do come are all read and answered: a send, and a send
// fragmented across a pause in the middle of its message.
func TestIdleWebSocketReaderWaitsOutsideTheLibrary(t *testing.T) {
	ts := newServer(t, func(c *api.Config) { c.PingInterval = 20 * time.Millisecond })
	alice := ts.register(t, "Alice")
	c := ts.openWS(t, streamQuery(alice.Token, at(alice.Seq), alice.Epoch))
	c.hello(t)
	time.Sleep(200 * time.Millisecond) // several pings, each answered

	// Parked, no goroutine is reading inside the library; a read that
	// does not park blocks there for good. A goroutine caught reading
	// a pong is let go: it lasts microseconds.
	deadline := time.Now().Add(wait)
	for {
		stacks := goroutines()
		waiting := strings.Count(stacks, "api.(*Server).readSends(")
		reading := strings.Count(stacks, "api.(*Server).readFrames(")
		if waiting >= 1 && reading == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after pings: %d readers waiting in readSends, %d reading in readFrames; want at least 1 and 0", waiting, reading)
		}
		time.Sleep(5 * time.Millisecond)
	}

	c.writeWS(t, protocol.Send{Type: protocol.TypeSend, ID: "one", Text: "hi"})
	c.expect(t, "ack of one", func(e protocol.Event) bool { return e.Type == protocol.TypeAck && e.ID == "one" })

	// A message in two frames with a pause between: the reader must wait
	// inside the message, not park in the middle of it.
	body := `{"type":"send","id":"two","text":"fragmented"` + strings.Repeat(" ", 6000) + `}`
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	w, err := c.ws.Writer(ctx, websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(body[:5000])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := w.Write([]byte(body[5000:])); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "ack of two", func(e protocol.Event) bool { return e.Type == protocol.TypeAck && e.ID == "two" })
}

func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
