package protocol

import (
	"encoding/json"
	"unicode/utf8"
)

// DecodeEvent parses one event as a stream carries it. It gives what
// json.Unmarshal into an Event gives, for any input, but reads the events
// servers write (known keys in lower case, strings with nothing escaped,
// plain integers) in one pass without reflection: a client decodes every
// event it receives, so this is its cost per delivery. Anything else
// (escapes, other keys or keys in another case, an error object, null,
// numbers that are not plain integers) goes to encoding/json, which also
// says what is wrong with bad input; JSON whitespace anywhere is read
// here. FuzzDecodeEvent holds the two to the same answers.
func DecodeEvent(b []byte) (Event, error) {
	var ev Event
	if decodeSimpleEvent(b, &ev) {
		return ev, nil
	}
	ev = Event{}
	err := json.Unmarshal(b, &ev)
	return ev, err
}

// eventScanner reads one JSON object of the simple shape DecodeEvent
// takes. Every method reports false on anything outside that shape.
type eventScanner struct {
	b []byte
	i int
}

// decodeSimpleEvent fills ev from b and reports true, or reports false
// (ev then partly filled) if b is not of the simple shape.
func decodeSimpleEvent(b []byte, ev *Event) bool {
	s := eventScanner{b: b}
	s.space()
	if !s.byte('{') {
		return false
	}
	s.space()
	if s.byte('}') {
		return s.end()
	}
	for {
		key, ok := s.str()
		if !ok {
			return false
		}
		s.space()
		if !s.byte(':') {
			return false
		}
		s.space()
		if !s.field(key, ev) {
			return false
		}
		s.space()
		if s.byte('}') {
			return s.end()
		}
		if !s.byte(',') {
			return false
		}
		s.space()
	}
}

// field reads the value of key into ev.
func (s *eventScanner) field(key []byte, ev *Event) bool {
	var ok bool
	switch string(key) { // compiled without converting
	case "seq":
		ev.Seq, ok = s.uint(^uint64(0))
	case "type":
		ev.Type, ok = s.text()
	case "id":
		ev.ID, ok = s.text()
	case "from":
		ev.From, ok = s.text()
	case "to":
		ev.To, ok = s.text()
	case "text":
		ev.Text, ok = s.text()
	case "name":
		ev.Name, ok = s.text()
	case "epoch":
		ev.Epoch, ok = s.text()
	case "online":
		var n uint64
		n, ok = s.uint(1<<31 - 1) // fits an int on every platform
		ev.Online = int(n)
	case "time":
		start := s.i
		if _, ok = s.str(); ok {
			t := new(Time)
			ok = t.UnmarshalJSON(s.b[start:s.i]) == nil
			ev.Time = t
		}
	case "users":
		ev.Users, ok = s.strings()
	case "room":
		ev.Room, ok = s.text()
	case "change":
		ev.Change, ok = s.text()
	case "by":
		ev.By, ok = s.text()
	}
	return ok
}

// space skips JSON whitespace.
func (s *eventScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (s *eventScanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether nothing but whitespace is left.
func (s *eventScanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

// str reads a string with nothing escaped, in valid UTF-8, and returns
// its contents (a slice of the input).
func (s *eventScanner) str() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	start, ascii := s.i, true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.i++
	}
	return nil, false
}

// text reads a string value.
func (s *eventScanner) text() (string, bool) {
	v, ok := s.str()
	return string(v), ok
}

// uint reads a non-negative integer no larger than limit, written as JSON
// writes one (no sign, fraction, exponent or leading zero).
func (s *eventScanner) uint(limit uint64) (uint64, bool) {
	start := s.i
	var n uint64
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		d := uint64(s.b[s.i] - '0')
		if n > (limit-d)/10 {
			return 0, false
		}
		n = n*10 + d
		s.i++
	}
	switch {
	case s.i == start, s.i-start > 1 && s.b[start] == '0':
		return 0, false
	case s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E'):
		return 0, false
	}
	return n, true
}

// strings reads an array of strings; [] is an empty slice, not nil, as
// encoding/json makes it.
func (s *eventScanner) strings() ([]string, bool) {
	if !s.byte('[') {
		return nil, false
	}
	out := []string{}
	s.space()
	if s.byte(']') {
		return out, true
	}
	for {
		v, ok := s.text()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		s.space()
		if s.byte(']') {
			return out, true
		}
		if !s.byte(',') {
			return nil, false
		}
		s.space()
	}
}
