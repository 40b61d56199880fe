package convo

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"hark/app/protocol"
)

// maxMentionRunes bounds how far after an "@" a name is looked for: a
// name is at most protocol.MaxNameRunes characters after normalisation,
// and full-width or decomposed forms may take a few more as typed.
const maxMentionRunes = 2 * protocol.MaxNameRunes

// Mentions reports whether text mentions the person whose name key is key:
// an "@" at the start or after a character that is not a letter or digit,
// then a name that compares equal to theirs (as the server compares
// names: "@alice" and "@ＡＬＩＣＥ" mention Alice), ending the text or
// followed by a character that is not a letter or digit.
func Mentions(text, key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '@')
		if j < 0 {
			return false
		}
		at := i + j
		i = at + 1
		if at > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:at]); isWord(r) {
				continue // an address, not a mention
			}
		}
		if mentionAt(text[at+1:], key) {
			return true
		}
	}
	return false
}

// mentionAt reports whether rest starts with a name whose key is key,
// ending at a word boundary.
func mentionAt(rest, key string) bool {
	n := 0
	for k, r := range rest {
		if n > 0 && !isWord(r) && protocol.NameKey(rest[:k]) == key {
			return true
		}
		if n++; n > maxMentionRunes {
			return false
		}
	}
	return n > 0 && protocol.NameKey(rest) == key
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// MentionQuery finds the mention being typed before the caret (a byte
// offset into text): an "@" at the start or after a space, then no space
// up to the caret. It returns the offset of the "@" and what follows it.
func MentionQuery(text string, caret int) (at int, prefix string, ok bool) {
	if caret < 0 || caret > len(text) {
		return 0, "", false
	}
	head := text[:caret]
	at = strings.LastIndexByte(head, '@')
	if at < 0 {
		return 0, "", false
	}
	prefix = head[at+1:]
	if strings.ContainsFunc(prefix, unicode.IsSpace) {
		return 0, "", false
	}
	if at > 0 {
		if r, _ := utf8.DecodeLastRuneInString(head[:at]); !unicode.IsSpace(r) {
			return 0, "", false
		}
	}
	return at, prefix, true
}

// MatchNames returns up to limit of names that start with prefix as the
// server compares names (case and width folded), in their order, leaving
// out the one whose key is me.
func MatchNames(names []string, prefix, me string, limit int) []string {
	p := foldPrefix(prefix)
	var out []string
	for _, n := range names {
		k := protocol.NameKey(n)
		if k == me || !strings.HasPrefix(k, p) || slices.Contains(out, n) {
			continue
		}
		if out = append(out, n); len(out) == limit {
			break
		}
	}
	return out
}

// foldPrefix folds a partly typed name like a name key; what is not a
// valid name yet (a trailing space) is lower-cased instead.
func foldPrefix(s string) string {
	if s == "" {
		return ""
	}
	if k := protocol.NameKey(s); k != "" {
		return k
	}
	return strings.ToLower(s)
}
