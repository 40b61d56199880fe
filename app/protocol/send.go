package protocol

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DecodeSend parses a send body or frame and checks it against the limits of
// the contract. Unknown fields are ignored, so clients may add their own; a
// known field of the wrong type is bad_request. The error is always an *Error.
func DecodeSend(data []byte) (Send, error) {
	var s Send
	if err := decode(data, &s, "a send"); err != nil {
		return Send{}, err
	}
	return s, s.Validate()
}

// Validate checks a send against the limits of the contract. The recipient
// name is not checked here: whether it is online is the server's to say.
func (s *Send) Validate() error {
	if s.Type != "" && s.Type != TypeSend {
		return Errorf(CodeBadRequest, "a frame of type %q cannot be sent; use %q", s.Type, TypeSend)
	}
	if s.Room != "" && s.To != "" {
		return Errorf(CodeBadRequest, "a message goes to a room or to a person, not both")
	}
	if err := validID(s.ID, "a message"); err != nil {
		return err
	}
	if s.File != "" {
		if !utf8.ValidString(s.File) || utf8.RuneCountInString(s.File) > MaxFileIDRunes {
			return Errorf(CodeBadRequest, "a file id is 1 to %d characters of UTF-8", MaxFileIDRunes)
		}
		if s.Text == "" {
			return nil // a file needs no words
		}
	}
	return validText(s.Text)
}

// validID checks the client's id of a send or an action.
func validID(id, what string) error {
	if id == "" {
		return Errorf(CodeBadRequest, "%s needs an id (1 to %d characters) so retries are delivered once", what, MaxIDRunes)
	}
	if !utf8.ValidString(id) || utf8.RuneCountInString(id) > MaxIDRunes {
		return Errorf(CodeBadRequest, "%s id is 1 to %d characters of UTF-8", what, MaxIDRunes)
	}
	return nil
}

// validText checks the text of a message or an edit.
func validText(text string) error {
	if len(text) > MaxTextBytes {
		return Errorf(CodeTooLarge, "a message is at most %d bytes (this one has %d)", MaxTextBytes, len(text))
	}
	if !utf8.ValidString(text) {
		return Errorf(CodeBadRequest, "a message must be UTF-8 text")
	}
	if isAllSpace(text) {
		return Errorf(CodeBadRequest, "a message cannot be empty")
	}
	return nil
}

// isAllSpace reports whether s is only Unicode white space (the composer's
// own test, strings.TrimSpace), U+2000 EN QUAD as much as ASCII spaces.
// Invisible characters that are not white space (U+200B) still count as
// text, there as here.
func isAllSpace(s string) bool { return strings.TrimSpace(s) == "" }

// jsonProblem says what is wrong with a JSON body without echoing the body.
func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "malformed JSON at byte " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		if e.Field != "" {
			return "field \"" + e.Field + "\" must be a " + e.Type.String()
		}
		return "expected a JSON object"
	}
	return "malformed JSON"
}

// DecodeJSON parses a request body into v, with the contract's error for
// anything that is not the JSON asked for. It is the one place the server and
// clients turn bodies into types, so every endpoint words errors alike.
func DecodeJSON(data []byte, v any) error { return decode(data, v, "the JSON asked for") }

// decode parses a body into v within the contract's size limit; what
// names what the body should have been, in the refusal.
func decode(data []byte, v any, what string) error {
	if len(data) > MaxBodyBytes {
		return Errorf(CodeTooLarge, "a request is at most %d bytes", MaxBodyBytes)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return Errorf(CodeBadRequest, "the body is not %s: %s", what, jsonProblem(err))
	}
	return nil
}
