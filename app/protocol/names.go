package protocol

import (
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// Name is a nickname checked against RFC 8266 (PRECIS Nickname): Display is
// the form to show, with its case kept; Key is the form to compare, so that
// "Alice", "alice", "ＡＬＩＣＥ" and "  Alice " share one Key.
type Name struct {
	Display string
	Key     string
}

// ParseName applies the name rules of the contract to s. The error it
// returns is an *Error with code invalid_name whose message says which rule
// failed, ready to show to a person.
func ParseName(s string) (Name, error) {
	if len(s) > 4*MaxBodyBytes {
		return Name{}, Errorf(CodeInvalidName, "a name is at most %d characters", MaxNameRunes)
	}
	display, err := precis.Nickname.String(s)
	if err != nil {
		// precis does not export its empty-string error; a name that is
		// only spaces is the one way to be empty after mapping.
		if isBlank(s) {
			return Name{}, Errorf(CodeInvalidName, "a name must have at least one visible character")
		}
		return Name{}, Errorf(CodeInvalidName, "a name may not contain control characters or unassigned code points")
	}
	if n := utf8.RuneCountInString(display); n > MaxNameRunes {
		return Name{}, Errorf(CodeInvalidName, "a name is at most %d characters (this one has %d)", MaxNameRunes, n)
	}
	key, err := precis.Nickname.CompareKey(display)
	if err != nil {
		return Name{}, Errorf(CodeInvalidName, "a name may not contain control characters or unassigned code points")
	}
	return Name{Display: display, Key: key}, nil
}

// NameKey returns the compare key of s, or "" if s is not a valid name. Two
// names are the same name exactly when their keys are equal.
func NameKey(s string) string {
	n, err := ParseName(s)
	if err != nil {
		return ""
	}
	return n.Key
}

func isBlank(s string) bool {
	for _, r := range s {
		switch r {
		case ' ', '\t', '\u00a0', '\u3000':
		default:
			return false
		}
	}
	return true
}
