package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// parseAll reads every event of stream, one byte per read as well as
// whole, since a line end may be split across reads.
func parseAll(t *testing.T, stream string) []Event {
	t.Helper()
	var runs [2][]Event
	for i, r := range []io.Reader{strings.NewReader(stream), iotest.OneByteReader(strings.NewReader(stream))} {
		p := NewParser(r)
		for {
			ev, err := p.Next()
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

func checkEvents(t *testing.T, got []Event, want ...Event) {
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
			Event{Type: "message", Data: "YHOO\n+2\n10"})
	})
	t.Run("comments and ids", func(t *testing.T) {
		// The last block has no blank line after it, so it never fires.
		got := parseAll(t, ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n")
		checkEvents(t, got,
			Event{Type: "message", Data: "first event", ID: "1"},
			Event{Type: "message", Data: "second event", ID: ""})
	})
	t.Run("empty data", func(t *testing.T) {
		checkEvents(t, parseAll(t, "data\n\ndata\ndata\n\ndata:\n"),
			Event{Type: "message", Data: ""},
			Event{Type: "message", Data: "\n"})
	})
	t.Run("one space removed", func(t *testing.T) {
		checkEvents(t, parseAll(t, "data:test\n\ndata: test\n\n"),
			Event{Type: "message", Data: "test"},
			Event{Type: "message", Data: "test"})
	})
	t.Run("event type", func(t *testing.T) {
		checkEvents(t, parseAll(t, "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"),
			Event{Type: "add", Data: "73857293"},
			Event{Type: "remove", Data: "2153"},
			Event{Type: "add", Data: "113411"})
	})
}

func TestSSELineEndsAndFields(t *testing.T) {
	stream := "\uFEFFretry: 1000\r\n\r\n: ping\r\rid: 42\rdata: {\"seq\":42}\r\n\r\nretry: 5x\n\nid: a\x00b\ndata: x\n\n"
	p := NewParser(iotest.OneByteReader(strings.NewReader(stream)))
	ev, err := p.Next()
	if err != nil || ev != (Event{Type: "message", Data: `{"seq":42}`, ID: "42"}) {
		t.Fatalf("first = %+v, %v", ev, err)
	}
	if p.Retry != 1000 {
		t.Fatalf("retry = %d", p.Retry)
	}
	ev, err = p.Next()
	// An id with NUL is ignored and a retry that is not digits is too.
	if err != nil || ev.ID != "42" || p.Retry != 1000 {
		t.Fatalf("second = %+v, retry %d, %v", ev, p.Retry, err)
	}
	if _, err := p.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("end = %v", err)
	}
}

// OnField sees every field and comment as written, those the standard
// ignores too, with one leading space removed as from a value.
func TestOnField(t *testing.T) {
	p := NewParser(strings.NewReader(":ping\n\nretry: 10\nid: 7\nevent: x\ndata: a\nbogus\n\n"))
	var got []string
	p.OnField = func(name, value string) { got = append(got, name+"="+value) }
	ev, err := p.Next()
	if err != nil || ev != (Event{Type: "x", Data: "a", ID: "7"}) {
		t.Fatalf("event = %+v, %v", ev, err)
	}
	want := []string{"=ping", "retry=10", "id=7", "event=x", "data=a", "bogus="}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("fields %q, want %q", got, want)
	}
}

// A line that the stream's end cuts off is not read: the standard's lines
// end in a line end, and a field cut short (id: 4 of id: 42) is wrong.
func TestCutLineDropped(t *testing.T) {
	p := NewParser(strings.NewReader("id: 1\ndata: a\n\nid: 4"))
	var fields []string
	p.OnField = func(name, value string) { fields = append(fields, name+"="+value) }
	if ev, err := p.Next(); err != nil || ev.ID != "1" {
		t.Fatalf("first = %+v, %v", ev, err)
	}
	if _, err := p.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("end = %v", err)
	}
	if strings.Join(fields, " ") != "id=1 data=a" {
		t.Fatalf("fields %q: the cut line was read", fields)
	}
}
