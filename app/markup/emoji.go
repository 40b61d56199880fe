package markup

import (
	"strings"
	"sync"
)

// Shortcode is one emoji of the table and its names (the first is the
// one to show).
type Shortcode struct {
	Emoji string
	Names []string
}

// maxShortcode bounds a name between colons: the longest in the table is
// shorter, and the search for the closing colon stops there.
const maxShortcode = 40

var (
	emojiOnce  sync.Once
	emojiList  []Shortcode
	emojiNames map[string]string
)

// loadEmoji reads the table on first use: programs that never meet a
// shortcode pay nothing at start.
func loadEmoji() {
	emojiOnce.Do(func() {
		lines := strings.Split(strings.TrimSpace(emojiData), "\n")
		emojiList = make([]Shortcode, 0, len(lines))
		emojiNames = make(map[string]string, len(lines)+len(lines)/8)
		for _, l := range lines {
			f := strings.Fields(l)
			emojiList = append(emojiList, Shortcode{Emoji: f[0], Names: f[1:]})
			for _, n := range f[1:] {
				emojiNames[n] = f[0]
			}
		}
	})
}

// EmojiFor returns the emoji of a shortcode's name ("tada", not ":tada:").
func EmojiFor(name string) (string, bool) {
	loadEmoji()
	e, ok := emojiNames[name]
	return e, ok
}

// Shortcodes is the table, in the order a picker shows it (faces first).
// The caller must not change it.
func Shortcodes() []Shortcode {
	loadEmoji()
	return emojiList
}

// SearchShortcodes returns up to limit emoji one of whose names contains
// query (case folded), those with a name that starts with it first; all of
// them (up to limit) for an empty query. Leading and trailing colons are
// ignored, so ":sm" finds smile.
func SearchShortcodes(query string, limit int) []Shortcode {
	q := strings.ToLower(strings.Trim(strings.TrimSpace(query), ":"))
	var first, then []Shortcode
	for _, s := range Shortcodes() {
		prefix, inside := false, false
		for _, n := range s.Names {
			prefix = prefix || strings.HasPrefix(n, q)
			inside = inside || strings.Contains(n, q)
		}
		switch {
		case prefix:
			first = append(first, s)
		case inside:
			then = append(then, s)
		}
		if len(first) >= limit {
			break
		}
	}
	out := append(first, then...)
	return out[:min(len(out), limit)]
}

// shortcodeAt reads ":name:" at the start of s, name in the table: the
// emoji, the name and the length read; 0 if there is none.
func shortcodeAt(s string) (emoji, name string, n int) {
	for j := 1; j < len(s) && j <= maxShortcode+1; j++ {
		c := s[j]
		switch {
		case c == ':':
			if j == 1 {
				return "", "", 0
			}
			if e, ok := EmojiFor(s[1:j]); ok {
				return e, s[1:j], j + 1
			}
			return "", "", 0
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '+', c == '-':
		default:
			return "", "", 0
		}
	}
	return "", "", 0
}
