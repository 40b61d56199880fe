package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/protocol"
)

// Formatting renders to elements; what a person typed is text, whatever
// it holds: tags are escaped, never elements.
func TestMarkupRenders(t *testing.T) {
	text := "**bold** *em* ~~old~~ `x<y` :tada: hi @alice and @bob\n" +
		"```go\nfmt.Println(\"<b>\")\n```\n> quoted\n- one\n- two\n\n3. three\n\n" +
		"[docs](https://x.org/d) https://y.org [bad](javascript:alert(1))\n\n" +
		`<script>window.pwned=1</script><img src=x onerror="window.pwned=2">`
	html := app.HTMLString(renderMarkup(text, "Alice"))
	for _, want := range []string{
		`<div class="text">`,
		"<strong>bold</strong>", "<em>em</em>", "<del>old</del>", "<code>x&lt;y</code>",
		`title=":tada:"`, ">🎉</span>",
		`<span class="mention me">@alice</span>`, `<span class="mention">@bob</span>`,
		`<span class="code-lang">go</span>`, "fmt.Println(&#34;&lt;b&gt;&#34;)",
		"<blockquote>", "<li>one</li>", `start="3"`, "<li>three</li>",
		`href="https://x.org/d"`, ">docs</a>", `href="https://y.org"`, `rel="noopener noreferrer"`, `target="_blank"`,
		"[bad](javascript:alert(1))",
		"&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=&#34;window.pwned=2&#34;&gt;",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("lacks %s:\n%s", want, html)
		}
	}
	for _, bad := range []string{"<script", "<img", `href="javascript`, "<b>"} {
		if strings.Contains(html, bad) {
			t.Errorf("holds %s:\n%s", bad, html)
		}
	}
}

// A message of one paragraph stays one <p class="text">, as before
// formatting; an edited one keeps "(edited)" after it; a reply's quote
// shows its parent's first line without markers.
func TestMessageTextFormatted(t *testing.T) {
	ev := protocol.Event{Seq: 2, Type: protocol.TypeMessage, From: "Bob", ReplyTo: 1, Text: "**yes** <i>", Time: at("2026-03-10T09:01:00Z")}
	it := client.Item{Event: ev, Edited: true, Quote: &client.Quote{From: "Alice", Text: "**Lunch** at _noon_ :tada:"}}
	html := app.HTMLString(renderItem(it, "Alice", time.Now(), false))
	for _, want := range []string{`<p class="text"><strong>yes</strong> &lt;i&gt;</p>`, `class="edited"`, "Alice: Lunch at noon 🎉"} {
		if !strings.Contains(strings.Join(strings.Fields(html), ""), strings.Join(strings.Fields(want), "")) {
			t.Errorf("lacks %s:\n%s", want, html)
		}
	}
}
