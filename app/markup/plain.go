package markup

import "strings"

// PlainText is text as a reader would say it, formatting taken away:
// markers dropped, shortcodes made emoji, a link's text kept (a bare
// link's URL), blocks on lines of their own, list items after "• " or
// their number. It is for where formatting is not shown: a reply's quote,
// a notification.
func PlainText(text string) string {
	var b strings.Builder
	writePlain(&b, Parse(text))
	return b.String()
}

func writePlain(b *strings.Builder, nodes []Node) {
	for i, n := range nodes {
		if i > 0 && isBlock(n.Kind) {
			b.WriteByte('\n')
		}
		switch n.Kind {
		case Text, Code, CodeBlock, Emoji, Mention:
			b.WriteString(n.Text)
		case Link:
			if len(n.Children) == 0 {
				b.WriteString(n.Text)
			}
		case Item:
			if n.Info != "" {
				b.WriteString(n.Info + ". ")
			} else {
				b.WriteString("• ")
			}
		}
		writePlain(b, n.Children)
	}
}

// isBlock reports whether a node of kind k is a block.
func isBlock(k Kind) bool { return k <= Item }
