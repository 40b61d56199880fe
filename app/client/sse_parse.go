//go:build !js

package client

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
)

// sseEvent is one dispatched Server-Sent Event.
type sseEvent struct {
	Type string // "message" unless an event: field said otherwise
	Data string
	ID   string // the last event ID at dispatch
}

// sseParser reads an event stream as the WHATWG HTML standard's
// "interpreting an event stream" says: lines end in CRLF, LF or CR; a
// blank line dispatches; ":" starts a comment; data lines join with LF.
type sseParser struct {
	sc *bufio.Scanner
	// Retry is the reconnect delay the stream asked for, in milliseconds,
	// 0 if none. It is parsed to follow the standard; reconnects follow
	// the Client's backoff, which is what every transport shares.
	Retry  int
	lastID string
}

// maxSSELine bounds a line: one event's JSON is far below it.
const maxSSELine = 1 << 20

func newSSEParser(r io.Reader) *sseParser {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSSELine)
	sc.Split(scanSSELines)
	return &sseParser{sc: sc}
}

// next returns the next event. At the end of the stream it returns
// io.EOF; an event not followed by a blank line is not dispatched, as the
// standard says.
func (p *sseParser) next() (sseEvent, error) {
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
			return sseEvent{Type: typ, Data: strings.TrimSuffix(s, "\n"), ID: p.lastID}, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
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
		return sseEvent{}, err
	}
	return sseEvent{}, io.EOF
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// scanSSELines splits on CRLF, LF or a lone CR. A CR at the end of the
// buffer waits for the next byte, which says whether an LF belongs to it.
func scanSSELines(data []byte, atEOF bool) (int, []byte, error) {
	i := bytes.IndexAny(data, "\r\n")
	if i < 0 {
		if atEOF && len(data) > 0 {
			return len(data), data, nil
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
