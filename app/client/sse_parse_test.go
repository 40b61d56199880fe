//go:build !js

package client

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// parseAll reads every event of stream, one byte per read as well as
// whole, since a line end may be split across reads.
func parseAll(t *testing.T, stream string) []sseEvent {
	t.Helper()
	var runs [2][]sseEvent
	for i, r := range []io.Reader{strings.NewReader(stream), iotest.OneByteReader(strings.NewReader(stream))} {
		p := newSSEParser(r)
		for {
			ev, err := p.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			runs[i] = append(runs[i], ev)
		}
	}
	if len(runs[0]) != len(runs[1]) {
		t.Fatalf("whole read gave %d events, byte reads %d", len(runs[0]), len(runs[1]))
	}
	return runs[0]
}

func checkEvents(t *testing.T, got []sseEvent, want ...sseEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// The examples of the WHATWG HTML standard, "Server-sent events", 9.2.6.
func TestSSESpecExamples(t *testing.T) {
	t.Run("multi-line data", func(t *testing.T) {
		checkEvents(t, parseAll(t, "data: YHOO\ndata: +2\ndata: 10\n\n"),
			sseEvent{Type: "message", Data: "YHOO\n+2\n10"})
	})
	t.Run("comments and ids", func(t *testing.T) {
		// The last block has no blank line after it, so it never fires.
		got := parseAll(t, ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n")
		checkEvents(t, got,
			sseEvent{Type: "message", Data: "first event", ID: "1"},
			sseEvent{Type: "message", Data: "second event", ID: ""})
	})
	t.Run("empty data", func(t *testing.T) {
		checkEvents(t, parseAll(t, "data\n\ndata\ndata\n\ndata:\n"),
			sseEvent{Type: "message", Data: ""},
			sseEvent{Type: "message", Data: "\n"})
	})
	t.Run("one space removed", func(t *testing.T) {
		checkEvents(t, parseAll(t, "data:test\n\ndata: test\n\n"),
			sseEvent{Type: "message", Data: "test"},
			sseEvent{Type: "message", Data: "test"})
	})
	t.Run("event type", func(t *testing.T) {
		checkEvents(t, parseAll(t, "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"),
			sseEvent{Type: "add", Data: "73857293"},
			sseEvent{Type: "remove", Data: "2153"},
			sseEvent{Type: "add", Data: "113411"})
	})
}

func TestSSELineEndsAndFields(t *testing.T) {
	stream := "\uFEFFretry: 1000\r\n\r\n: ping\r\rid: 42\rdata: {\"seq\":42}\r\n\r\nretry: 5x\n\nid: a\x00b\ndata: x\n\n"
	p := newSSEParser(iotest.OneByteReader(strings.NewReader(stream)))
	ev, err := p.next()
	if err != nil || ev != (sseEvent{Type: "message", Data: `{"seq":42}`, ID: "42"}) {
		t.Fatalf("first = %+v, %v", ev, err)
	}
	if p.Retry != 1000 {
		t.Fatalf("retry = %d", p.Retry)
	}
	ev, err = p.next()
	// An id with NUL is ignored and a retry that is not digits is too.
	if err != nil || ev.ID != "42" || p.Retry != 1000 {
		t.Fatalf("second = %+v, retry %d, %v", ev, p.Retry, err)
	}
	if _, err := p.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("end = %v", err)
	}
}
