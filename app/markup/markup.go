// Package markup reads the formatting people type in a message: a small,
// safe subset of Markdown, :shortcode: emoji, links and @mentions. Parse
// turns a text into a tree of blocks and inlines; the UI renders the tree
// to DOM nodes, setting every piece of text as text. There is no raw HTML:
// "<script>" is four letters and two brackets like any other.
//
// Blocks: paragraphs (their line breaks kept), fenced code blocks (```,
// an optional label after the fence), quotes ("> "), bullet lists ("- ",
// "* ", "+ ") and numbered lists ("1. ", "1) "), nested by indenting.
// Inlines: **strong**, *em* or _em_, ~~strike~~, `code` (nothing is read
// inside it), [text](https://…) links, bare http(s) links (SplitLinks'
// rules), :shortcode: emoji and @mentions. A backslash before an ASCII
// punctuation character makes it plain. A marker with no partner stays as
// typed, and so does anything the rules do not take.
//
// The work is bounded: each level of nesting reads its text a fixed number
// of times and nesting stops at maxDepth, so any text costs time linear in
// its length.
package markup

import "strings"

// Kind says what a Node is.
type Kind uint8

// The kinds of Node. Blocks hold blocks or inlines; inlines hold inlines
// or text.
const (
	// Paragraph holds inlines; its Text nodes keep the line breaks typed.
	Paragraph Kind = iota + 1
	// CodeBlock is a fenced block: Text is the code as typed, Info the
	// label after the opening fence ("go"), if any.
	CodeBlock
	// Quote holds blocks.
	Quote
	// List holds Items; Ordered when numbered.
	List
	// Item holds blocks; in a numbered list, Info is its number as typed.
	Item
	// Text is plain text.
	Text
	// Strong, Em and Strike hold inlines.
	Strong
	Em
	Strike
	// Code is inline code: Text as typed, nothing read inside it.
	Code
	// Link goes to Info (an http or https URL). It holds inlines (the
	// text of [text](url)); a bare link has none and shows its URL.
	Link
	// Emoji is Text, the emoji, for the shortcode named Info.
	Emoji
	// Mention is Text, "@name" as typed. Whom it names is for the reader
	// to decide: names are compared as the server compares them.
	Mention
)

// Node is one block or inline of a parsed text.
type Node struct {
	Kind     Kind
	Text     string
	Info     string
	Ordered  bool
	Children []Node
}

// maxDepth bounds nesting (quotes in lists in quotes, bold in italics in
// links): deeper than this, markers stay as typed. No one writes more, and
// a hostile text cannot make the tree, or the DOM, deep.
const maxDepth = 12

// Parse reads text into blocks. It never fails: what is not formatting is
// text. Line ends may be \n, \r\n or \r.
func Parse(text string) []Node {
	if strings.IndexByte(text, '\r') >= 0 {
		text = strings.ReplaceAll(text, "\r\n", "\n")
		text = strings.ReplaceAll(text, "\r", "\n")
	}
	return blocks(strings.Split(text, "\n"), 0)
}

// blocks reads lines into blocks at a depth of nesting.
func blocks(lines []string, depth int) []Node {
	var out []Node
	var para []string
	// unclosed[f]: from that line on, no fence of f backticks closes, so
	// a text of many unclosed fences is read once, not once per fence.
	unclosed := map[int]int{}
	flush := func() {
		if len(para) > 0 {
			out = append(out, Node{Kind: Paragraph, Children: inlines(strings.Join(para, "\n"), depth)})
			para = nil
		}
	}
	for i := 0; i < len(lines); {
		line := lines[i]
		if depth < maxDepth {
			if n, b, ok := codeBlock(lines[i:], i, unclosed); ok {
				flush()
				out = append(out, b)
				i += n
				continue
			}
			if _, ok := quoteLine(line); ok {
				flush()
				var inner []string
				for ; i < len(lines); i++ {
					rest, ok := quoteLine(lines[i])
					if !ok {
						break
					}
					inner = append(inner, rest)
				}
				out = append(out, Node{Kind: Quote, Children: blocks(inner, depth+1)})
				continue
			}
			if _, ok := listMarker(line); ok {
				flush()
				n, l := list(lines[i:], depth)
				out = append(out, l)
				i += n
				continue
			}
		}
		if strings.TrimSpace(line) == "" {
			flush()
		} else {
			para = append(para, line)
		}
		i++
	}
	flush()
	return out
}

// indent counts the spaces a line starts with.
func indent(line string) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

// codeBlock reads a fenced code block at the start of lines: a line of
// three or more backticks and an optional label (no backtick in it), the
// code, and a line of at least as many backticks. Without its closing
// fence it is no block: the backticks stay as typed. It returns how many
// lines the block takes. at is where lines start in the text, for the
// memory of fences that found no close (unclosed).
func codeBlock(lines []string, at int, unclosed map[int]int) (int, Node, bool) {
	open := lines[0]
	if indent(open) > 3 {
		return 0, Node{}, false
	}
	open = open[indent(open):]
	fence := 0
	for fence < len(open) && open[fence] == '`' {
		fence++
	}
	label := strings.TrimSpace(open[fence:])
	if fence < 3 || strings.IndexByte(label, '`') >= 0 {
		return 0, Node{}, false
	}
	if from, ok := unclosed[fence]; ok && at >= from {
		return 0, Node{}, false
	}
	for j := 1; j < len(lines); j++ {
		c := strings.TrimSpace(lines[j])
		if len(c) >= fence && strings.Trim(c, "`") == "" {
			return j + 1, Node{Kind: CodeBlock, Info: label, Text: strings.Join(lines[1:j], "\n")}, true
		}
	}
	unclosed[fence] = at
	return 0, Node{}, false
}

// quoteLine reports whether line is a line of a quote, and what it holds:
// "> text" or ">text".
func quoteLine(line string) (string, bool) {
	n := indent(line)
	if n > 3 || n >= len(line) || line[n] != '>' {
		return "", false
	}
	rest := line[n+1:]
	return strings.TrimPrefix(rest, " "), true
}

// marker is the start of a list item.
type marker struct {
	indent  int    // spaces before the marker
	width   int    // the marker and the space after it
	ordered bool   // a number
	number  string // its digits
}

// listMarker reads the marker of a list item: "- ", "* " or "+ ", or up
// to nine digits and "." or ")" and a space, then something other than
// spaces.
func listMarker(line string) (marker, bool) {
	n := indent(line)
	m := marker{indent: n}
	rest := line[n:]
	switch {
	case rest == "":
		return m, false
	case rest[0] == '-' || rest[0] == '*' || rest[0] == '+':
		m.width = 1
	default:
		d := 0
		for d < len(rest) && d < 10 && '0' <= rest[d] && rest[d] <= '9' {
			d++
		}
		if d == 0 || d > 9 || d >= len(rest) || rest[d] != '.' && rest[d] != ')' {
			return m, false
		}
		m.ordered, m.number, m.width = true, rest[:d], d+1
	}
	if m.width >= len(rest) || rest[m.width] != ' ' || strings.TrimSpace(rest[m.width:]) == "" {
		return m, false
	}
	m.width++
	return m, true
}

// list reads a list at the start of lines: items of the first one's kind
// at about its indent; a line indented past the marker belongs to the item
// above (a nested list, or more of its text). A blank line, or a line that
// is neither, ends it. It returns how many lines the list takes.
func list(lines []string, depth int) (int, Node) {
	first, _ := listMarker(lines[0])
	l := Node{Kind: List, Ordered: first.ordered}
	var item []string
	var number string
	flush := func() {
		if item != nil {
			l.Children = append(l.Children, Node{Kind: Item, Info: number, Children: blocks(item, depth+1)})
		}
	}
	i := 0
	for ; i < len(lines); i++ {
		line := lines[i]
		if m, ok := listMarker(line); ok && m.ordered == first.ordered && m.indent <= first.indent+1 {
			flush()
			item, number = []string{line[m.indent+m.width:]}, m.number
			continue
		}
		n := indent(line)
		if i == 0 || strings.TrimSpace(line) == "" || n < first.indent+2 {
			break
		}
		item = append(item, line[min(n, first.indent+first.width):])
	}
	flush()
	return i, l
}
