package markup

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// inliner reads the inlines of one paragraph (or item line, or quote
// line): src is its text, code its code spans found up front, so that
// nothing inside one is read as a marker and no marker's search for its
// partner looks inside one.
type inliner struct {
	src  string
	code map[int]int // start of an opening backtick run -> end of the closing run
}

// inlines reads src into inlines at a depth of nesting.
func inlines(src string, depth int) []Node {
	p := inliner{src: src, code: codeSpans(src)}
	return p.parse(0, len(src), depth, false)
}

// codeSpans finds the code spans of src, left to right: a run of
// backticks, then the next run of exactly as many. A backslash outside a
// span escapes a backtick; inside one it is only a backslash.
func codeSpans(src string) map[int]int {
	if strings.IndexByte(src, '`') < 0 {
		return nil
	}
	spans := map[int]int{}
	// none[n]: no run of n backticks from there on (so a text of many
	// unmatched runs is still read once per distinct length).
	none := map[int]int{}
	for i := 0; i < len(src); {
		switch src[i] {
		case '\\':
			i += 2
			continue
		case '`':
		default:
			i++
			continue
		}
		n := run(src, i, len(src), '`')
		if from, ok := none[n]; ok && i >= from {
			i += n
			continue
		}
		end := -1
		for j := i + n; j < len(src); {
			k := strings.IndexByte(src[j:], '`')
			if k < 0 {
				break
			}
			j += k
			if m := run(src, j, len(src), '`'); m != n {
				j += m
				continue
			}
			end = j + n
			break
		}
		if end < 0 {
			none[n] = i
			i += n
			continue
		}
		spans[i] = end
		i = end
	}
	return spans
}

// run is the length of the run of c at src[i:b].
func run(src string, i, b int, c byte) int {
	n := 0
	for i+n < b && src[i+n] == c {
		n++
	}
	return n
}

// parse reads src[a:b]. In a link's text (inLink) links are not read.
func (p *inliner) parse(a, b, depth int, inLink bool) []Node {
	var out []Node
	var text strings.Builder
	add := func(n Node) {
		if text.Len() > 0 {
			out = append(out, Node{Kind: Text, Text: text.String()})
			text.Reset()
		}
		out = append(out, n)
	}
	// fail[c] is where a search for a partner of marker c found none: a
	// later one of the same marker finds none either, so it is not
	// searched again. What makes a partner depends only on the characters
	// around it, never on where the search started.
	fail := map[byte]int{}
	failed := func(c byte, i int) bool {
		f, ok := fail[c]
		return ok && i >= f
	}
	// noLinkBefore: a "[" before it makes no link (see link).
	noLinkBefore := a
	src := p.src
	for i := a; i < b; {
		c := src[i]
		switch {
		case c == '\\' && i+1 < b && isPunct(src[i+1]):
			text.WriteByte(src[i+1])
			i += 2
			continue
		case c == '`':
			if end, ok := p.code[i]; ok && end <= b {
				n := run(src, i, b, '`')
				add(Node{Kind: Code, Text: codeText(src[i+n : end-n])})
				i = end
				continue
			}
			n := run(src, i, b, '`')
			text.WriteString(src[i : i+n])
			i += n
			continue
		case (c == '*' || c == '_' || c == '~') && depth < maxDepth:
			n := run(src, i, b, c)
			if node, end, ok := p.emphasis(i, n, a, b, depth, inLink, failed, fail); ok {
				add(node)
				i = end
				continue
			}
			text.WriteString(src[i : i+n])
			i += n
			continue
		case c == '[' && !inLink && depth < maxDepth && i >= noLinkBefore:
			node, end, ok := p.link(i, b, depth)
			if ok {
				add(node)
				i = end
				continue
			}
			noLinkBefore = end
		case (c == 'h' || c == 'H') && !inLink:
			if n := linkAt(src[a:b], i-a); n > 0 {
				url := src[i : i+n]
				add(Node{Kind: Link, Info: url, Text: url})
				i += n
				continue
			}
		case c == ':':
			if emoji, name, n := shortcodeAt(src[i:b]); n > 0 {
				add(Node{Kind: Emoji, Text: emoji, Info: name})
				i += n
				continue
			}
		case c == '@':
			if n := mentionAt(src, i, b); n > 0 {
				add(Node{Kind: Mention, Text: src[i : i+n]})
				i += n
				continue
			}
		}
		text.WriteByte(c)
		i++
	}
	if text.Len() > 0 {
		out = append(out, Node{Kind: Text, Text: text.String()})
	}
	return out
}

// codeText is a code span's text: one space each side is dropped when
// both are there and it is not all spaces, so "“ `x` “" shows `x`.
func codeText(s string) string {
	if len(s) >= 2 && s[0] == ' ' && s[len(s)-1] == ' ' && strings.Trim(s, " ") != "" {
		return s[1 : len(s)-1]
	}
	return s
}

// emphasis reads strong (** or __), em (* or _) or strike (~~) opening
// with the run of n markers at src[i]. "***x***" is strong around em.
func (p *inliner) emphasis(i, n, a, b, depth int, inLink bool, failed func(byte, int) bool, fail map[byte]int) (Node, int, bool) {
	c := p.src[i]
	kind, width := Em, 1
	switch {
	case c == '~' && n == 2:
		kind, width = Strike, 2
	case c == '~' || n > 3:
		return Node{}, 0, false
	case n >= 2:
		kind, width = Strong, 2
	}
	key := c
	if width == 2 {
		key = c | 0x80 // a search for a double marker, apart from the single
	}
	if failed(key, i) || !p.canOpen(i, n, a, b) {
		return Node{}, 0, false
	}
	from := i + width
	end := p.closer(c, width, from, b)
	if end < 0 {
		fail[key] = i
		return Node{}, 0, false
	}
	return Node{Kind: kind, Children: p.parse(from, end, depth+1, inLink)}, end + width, true
}

// canOpen: a run of markers opens when a non-space follows it and no
// letter or digit comes before it, so snake_case and 2*3*4 stay as typed.
func (p *inliner) canOpen(i, n, a, b int) bool {
	if i+n >= b || isSpace(p.src[i+n]) {
		return false
	}
	return i == a || !wordBefore(p.src, i)
}

// closer finds where the content of a marker of width w (1 or 2) of c,
// starting at from, ends: a run of c after a non-space and before no
// letter or digit. A single marker is not closed by a run of two (that is
// a strong inside it); in a run of three, the last marker, or the last
// two, close. It returns -1 when there is none before b.
func (p *inliner) closer(c byte, w, from, b int) int {
	src := p.src
	for j := from; j < b; {
		switch src[j] {
		case '\\':
			j += 2
			continue
		case '`':
			if end, ok := p.code[j]; ok && end <= b {
				j = end
				continue
			}
		case c:
			r := run(src, j, b, c)
			end := j + r - w
			closes := end > from && !isSpace(src[j-1]) && (j+r == b || !wordAfter(src, j+r))
			if closes && (w == 2 && r >= 2 && (c != '~' || r == 2) || w == 1 && r != 2) {
				return end
			}
			j += r
			continue
		}
		j++
	}
	return -1
}

// link reads [text](url) at src[i]: text not empty, url http or https
// with something after the scheme, no space or "[" in it, its
// parentheses balanced. Anything else leaves the bracket as typed. It returns where
// the link ends or, when there is none, the position before which no "["
// makes one: the first "]" after any later "[" before that "]" is the same
// one, so it fails them too (and with no "]" at all, every one fails).
func (p *inliner) link(i, b, depth int) (Node, int, bool) {
	src := p.src
	k := -1
	for j := i + 1; j < b; j++ {
		if src[j] == '\\' {
			j++
			continue
		}
		if end, ok := p.code[j]; ok && end <= b {
			j = end - 1
			continue
		}
		if src[j] == '[' {
			// Its text holds no "[": "[a [b](…)" links b.
			return Node{}, j, false
		}
		if src[j] == ']' {
			k = j
			break
		}
	}
	if k < 0 {
		return Node{}, b, false
	}
	if k == i+1 || k+1 >= b || src[k+1] != '(' {
		return Node{}, k, false
	}
	open, end := 0, -1
	for j := k + 2; j < b && end < 0; j++ {
		switch ch := src[j]; {
		case endsLink(ch) || ch == '[':
			// A "[" ends it too, so no two links' targets are read over
			// the same text: any text costs linear time.
			return Node{}, k, false
		case ch == '(':
			open++
		case ch == ')' && open == 0:
			end = j
		case ch == ')':
			open--
		}
	}
	if end < 0 || !isLinkURL(src[k+2:end]) {
		return Node{}, k, false
	}
	return Node{Kind: Link, Info: src[k+2 : end], Children: p.parse(i+1, k, depth+1, true)}, end + 1, true
}

// isLinkURL reports whether url may be a link's target: http or https
// (any case), and something after the scheme.
func isLinkURL(url string) bool {
	for _, s := range linkSchemes {
		if len(url) > len(s) && strings.EqualFold(url[:len(s)], s) {
			return true
		}
	}
	return false
}

// mentionAt is the length of the mention at src[i] ("@" then a name), 0
// if there is none. As convo.Mentions, the "@" starts src or follows a
// character that is not a letter or digit (else it is an address); the
// name is letters and digits, with single ".", "_", "-" or "'" between
// them ("@mary-ann", "@bob_smith").
func mentionAt(src string, i, b int) int {
	if i > 0 && wordBefore(src, i) {
		return 0
	}
	j := i + 1
	for j < b {
		r, n := utf8.DecodeRuneInString(src[j:b])
		if isWord(r) {
			j += n
			continue
		}
		if j > i+1 && strings.ContainsRune("._-'", r) && j+n < b {
			if r2, _ := utf8.DecodeRuneInString(src[j+n : b]); isWord(r2) {
				j += n
				continue
			}
		}
		break
	}
	if j == i+1 {
		return 0
	}
	return j - i
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// wordBefore reports whether a letter or digit ends src[:i].
func wordBefore(src string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(src[:i])
	return isWord(r)
}

// wordAfter reports whether a letter or digit starts src[i:].
func wordAfter(src string, i int) bool {
	r, _ := utf8.DecodeRuneInString(src[i:])
	return isWord(r)
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' }

// isPunct reports the ASCII punctuation a backslash escapes.
func isPunct(b byte) bool {
	return '!' <= b && b <= '/' || ':' <= b && b <= '@' || '[' <= b && b <= '`' || '{' <= b && b <= '~'
}
