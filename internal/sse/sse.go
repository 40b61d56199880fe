// Package sse reads a Server-Sent Events stream as the WHATWG HTML
// standard says. The client's SSE transport reads with it, and so do the
// tests that read the server's streams, so both read the wire the same way.
package sse

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
)

// Event is one dispatched Server-Sent Event.
type Event struct {
	Type string // "message" unless an event: field said otherwise
	Data string
	ID   string // the last event ID at dispatch
}

// Parser reads an event stream as the WHATWG HTML standard's
// "interpreting an event stream" says: lines end in CRLF, LF or CR; a
// blank line dispatches; ":" starts a comment; data lines join with LF.
type Parser struct {
	sc *bufio.Scanner
	// Retry is the reconnect delay the stream asked for, in milliseconds,
	// 0 if none. It is parsed to follow the standard; the client's
	// reconnects follow its backoff, which is what every transport shares.
	Retry int
	// OnField, if set, sees every line that is not blank, as it is read
	// and before it is interpreted: a comment with name "", a field the
	// standard ignores too. It is for a reader that checks the framing
	// (which fields an event came with, the pings between events), which
	// dispatched events do not show.
	OnField func(name, value string)
	lastID  string
}

// maxLine bounds a line: one event's JSON is far below it.
const maxLine = 1 << 20

// NewParser reads the stream r.
func NewParser(r io.Reader) *Parser {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	sc.Split(scanLines)
	return &Parser{sc: sc}
}

// Next returns the next event. At the end of the stream it returns
// io.EOF; an event not followed by a blank line is not dispatched, as the
// standard says.
func (p *Parser) Next() (Event, error) {
	var data strings.Builder
	var typ string
	hasData := false
	first := true
	for p.sc.Scan() {
		line := p.sc.Text()
		if first {
			// A byte order mark may open the stream; it is not content.
			line = strings.TrimPrefix(line, "\uFEFF")
			first = false
		}
		if line == "" {
			if !hasData {
				typ = ""
				continue
			}
			if typ == "" {
				typ = "message"
			}
			s := data.String()
			return Event{Type: typ, Data: strings.TrimSuffix(s, "\n"), ID: p.lastID}, nil
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		if p.OnField != nil {
			p.OnField(field, value)
		}
		switch field {
		case "event":
			typ = value
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				p.lastID = value
			}
		case "retry":
			if n, err := strconv.Atoi(value); err == nil && n >= 0 && isDigits(value) {
				p.Retry = n
			}
		}
	}
	if err := p.sc.Err(); err != nil {
		return Event{}, err
	}
	return Event{}, io.EOF
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// scanLines splits on CRLF, LF or a lone CR. A CR at the end of the
// buffer waits for the next byte, which says whether an LF belongs to it.
// What follows the last line end at the end of the stream is dropped.
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	i := bytes.IndexAny(data, "\r\n")
	if i < 0 {
		if atEOF && len(data) > 0 {
			// A line the stream's end cut off is not a line: it is
			// dropped, as a field of its cut short (an id, a retry)
			// would be wrong.
			return len(data), nil, nil
		}
		return 0, nil, nil
	}
	if data[i] == '\n' {
		return i + 1, data[:i], nil
	}
	if i+1 < len(data) {
		if data[i+1] == '\n' {
			return i + 2, data[:i], nil
		}
		return i + 1, data[:i], nil
	}
	if atEOF {
		return i + 1, data[:i], nil
	}
	return 0, nil, nil
}
