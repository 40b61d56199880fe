package markup

import "strings"

// Part is one piece of a message text: plain text, or a link to show as an
// anchor. Message text is never rendered as HTML; splitting it into parts
// lets the UI make links clickable while every part is still set as text.
type Part struct {
	Text string
	Link bool
}

// linkSchemes are the only schemes made clickable: anything else
// (javascript:, data:, file:) stays plain text.
var linkSchemes = []string{"https://", "http://"}

// SplitLinks splits s into text and link parts, in order. A link starts with
// http:// or https:// (any case) at the start of s or after a character that
// cannot be part of a word, has at least one character after the scheme, and
// runs to the next space or angle bracket or quote. Trailing sentence
// punctuation and an unbalanced closing bracket are left out of the link, so
// "see (https://x.org/a)." links "https://x.org/a". Concatenating the Text of
// the parts gives s back.
func SplitLinks(s string) []Part {
	var parts []Part
	text := 0 // start of the pending text part
	for i := 0; i < len(s); {
		n := linkAt(s, i)
		if n == 0 {
			i++
			continue
		}
		if text < i {
			parts = append(parts, Part{Text: s[text:i]})
		}
		parts = append(parts, Part{Text: s[i : i+n], Link: true})
		i += n
		text = i
	}
	if text < len(s) {
		parts = append(parts, Part{Text: s[text:]})
	}
	return parts
}

// linkAt returns the length of the link starting at s[i], or 0.
func linkAt(s string, i int) int {
	if i > 0 && isWordByte(s[i-1]) {
		return 0
	}
	scheme := 0
	for _, p := range linkSchemes {
		if len(s)-i >= len(p) && strings.EqualFold(s[i:i+len(p)], p) {
			scheme = len(p)
			break
		}
	}
	if scheme == 0 {
		return 0
	}
	end := i + scheme
	for end < len(s) && !endsLink(s[end]) {
		end++
	}
	end = trimLinkEnd(s, i+scheme, end)
	if end == i+scheme {
		return 0
	}
	return end - i
}

// isWordByte reports whether b joins a word, so "xhttp://" is not a link.
// Bytes of multi-byte characters count as word bytes: a scheme glued to a
// letter of any script is not the start of a link.
func isWordByte(b byte) bool {
	return b == '_' || b >= 0x80 ||
		'0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// endsLink reports whether b cannot be inside a link: ASCII space and control
// characters, and the characters that delimit URLs in prose (RFC 3986,
// appendix C).
func endsLink(b byte) bool {
	return b <= ' ' || b == 0x7f || b == '<' || b == '>' || b == '"' || b == '`'
}

// trimLinkEnd drops trailing punctuation that more likely ends the sentence
// than the URL, and closing brackets that have no opening one in the link.
func trimLinkEnd(s string, start, end int) int {
	for end > start {
		switch c := s[end-1]; c {
		case '.', ',', ';', ':', '!', '?', '\'', '*':
			end--
			continue
		case ')', ']', '}':
			open := "([{"[strings.IndexByte(")]}", c)]
			if strings.Count(s[start:end], string(open)) < strings.Count(s[start:end], string(c)) {
				end--
				continue
			}
		}
		break
	}
	return end
}
