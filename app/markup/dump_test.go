package markup

import (
	"fmt"
	"strings"
)

// dump writes nodes in a compact form for tests: kind(children) or
// kind"text".
func dump(nodes []Node) string {
	var b strings.Builder
	for i, n := range nodes {
		if i > 0 {
			b.WriteByte(' ')
		}
		if n.Ordered {
			b.WriteString("ol")
		} else {
			b.WriteString(kindNames[n.Kind])
		}
		if n.Info != "" {
			fmt.Fprintf(&b, "[%s]", n.Info)
		}
		if n.Text != "" {
			fmt.Fprintf(&b, "%q", n.Text)
		}
		if len(n.Children) > 0 {
			b.WriteString("(" + dump(n.Children) + ")")
		}
	}
	return b.String()
}

var kindNames = map[Kind]string{
	Paragraph: "p", CodeBlock: "pre", Quote: "quote", List: "ul", Item: "li",
	Text: "t", Strong: "b", Em: "i", Strike: "s", Code: "code", Link: "a", Emoji: "emoji", Mention: "at",
}
