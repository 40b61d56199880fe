package protocol

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// MaxNameInputBytes is the longest raw name ParseName normalises. Checking
// it first keeps parsing cheap whatever a client sends: normalisation costs
// about a microsecond per byte, and more where a character expands (U+FDFA
// becomes 18 characters), so a 16 KiB body of them would take 20 ms.
//
// It is generous: a valid name is at most MaxNameRunes characters after
// normalisation, and the longest way to type one of them takes 9 bytes (three
// conjoining Hangul jamo that compose into one syllable; a fullwidth letter
// takes 3, a Greek letter with the three marks that compose with it 8), so
// 32 of them fit in 288 bytes, with room left for spaces around and between.
const MaxNameInputBytes = 512

// maxNameDecomposed bounds the characters, other than spaces, that a valid
// name's input may decompose to. Normalisation (NFKC) decomposes, then
// composes, and no character composes from more than 4 (U+1F82 is the
// longest), so a name of MaxNameRunes characters decomposes to at most four
// times as many; the nickname rules drop nothing but spaces.
const maxNameDecomposed = 4 * MaxNameRunes

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
	// Both bounds before normalising, which is what costs: first the raw
	// size, then the size the input expands to (a cheap table lookup per
	// character), so no input costs more than microseconds.
	if len(s) > MaxNameInputBytes {
		return Name{}, Errorf(CodeInvalidName, "a name is at most %d characters (and at most %d bytes as sent)", MaxNameRunes, MaxNameInputBytes)
	}
	if decomposedLen(s) > maxNameDecomposed {
		return Name{}, Errorf(CodeInvalidName, "a name is at most %d characters (this one has more once normalised)", MaxNameRunes)
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

// decomposedLen counts the characters other than spaces in the compatibility
// decomposition (NFKD) of s, without building it, stopping once the count
// passes maxNameDecomposed. Hangul syllables count as one, though they
// decompose to two or three: an undercount only makes the bound looser.
func decomposedLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		p := norm.NFKD.PropertiesString(s[i:])
		size := p.Size()
		if size == 0 { // invalid UTF-8: one byte, one character
			size = 1
		}
		if d := p.Decomposition(); d != nil {
			for _, r := range string(d) {
				if !unicode.Is(unicode.Zs, r) {
					n++
				}
			}
		} else if r, _ := utf8.DecodeRuneInString(s[i:]); !unicode.Is(unicode.Zs, r) {
			n++
		}
		if n > maxNameDecomposed {
			break
		}
		i += size
	}
	return n
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
