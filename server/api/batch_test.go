package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"hark/app/protocol"
)

// A WebSocket client that asks for batch=1 gets what is ready at once in one
// frame, an event a line; one that does not, an event a frame, as before.
func TestWebSocketBatches(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice := ts.register(t, "Alice")
	var last uint64
	for i := range 10 {
		last = ts.send(t, alice.Token, "b"+strconv.Itoa(i), "", "burst <"+strconv.Itoa(i)+">")
	}
	read := func(query string) [][]byte {
		conn, _, err := ts.dialWS(t, query, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		var frames [][]byte
		var seen uint64
		for seen < last {
			_, data, err := conn.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, data)
			for line := range bytes.SplitSeq(data, []byte("\n")) {
				var e protocol.Event
				if err := json.Unmarshal(line, &e); err != nil {
					t.Fatalf("line %q of a frame is not an event: %v", line, err)
				}
				if e.Sequenced() {
					if e.Seq != seen+1 && seen != 0 {
						t.Fatalf("seq %d after %d", e.Seq, seen)
					}
					seen = e.Seq
				}
			}
		}
		return frames
	}
	one := read(streamQuery(alice.Token, at(alice.Seq), alice.Epoch))
	if len(one) != 12 { // hello, alice's join, ten messages
		t.Fatalf("without batch=1: %d frames, want 12, one event each", len(one))
	}
	batched := read(streamQuery(alice.Token, at(alice.Seq), alice.Epoch) + "&batch=1")
	if len(batched) != 1 || bytes.Count(batched[0], []byte("\n")) != 11 {
		t.Fatalf("with batch=1: %d frames (%q), want the hello and replay in one frame of 12 lines", len(batched), batched)
	}
}
