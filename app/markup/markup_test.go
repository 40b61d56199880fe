package markup

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"hello", `p(t"hello")`},
		// Inlines, each alone.
		{"**bold** __also__", `p(b(t"bold") t" " b(t"also"))`},
		{"*em* and _em_", `p(i(t"em") t" and " i(t"em"))`},
		{"~~gone~~", `p(s(t"gone"))`},
		{"`x := 1`", `p(code"x := 1")`},
		{"***both***", `p(b(i(t"both")))`},
		// Word boundaries: markers inside words stay as typed.
		{"snake_case_name and 2*3*4", `p(t"snake_case_name and 2*3*4")`},
		{"x**a**y", `p(t"x**a**y")`},
		{"** not bold**", `p(t"** not bold**")`},
		{"*a * b*", `p(i(t"a * b"))`},
		// Nesting.
		{"**a *b* c**", `p(b(t"a " i(t"b") t" c"))`},
		{"*a **b** c*", `p(i(t"a " b(t"b") t" c"))`},
		{"~~**x**~~", `p(s(b(t"x")))`},
		// Unclosed markers stay as typed.
		{"**open", `p(t"**open")`},
		{"*open _too ~~and `this", `p(t"*open _too ~~and ` + "`" + `this")`},
		{"[text](https://x.org", `p(t"[text](" a[https://x.org]"https://x.org")`},
		// Escapes.
		{`\*not em\* \_no\_ \\ \a`, `p(t"*not em* _no_ \\ \\a")`},
		{"\\`not code\\`", "p(t\"`not code`\")"},
		// Code keeps its text: no markers, links, emoji or mentions.
		{"`**x** :tada: @bob https://x.org`", `p(code"**x** :tada: @bob https://x.org")`},
		{"``a ` b``", "p(code\"a ` b\")"},
		{"`` `x` ``", "p(code\"`x`\")"},
		// Links: bare ones by SplitLinks' rules, [text](url) only to
		// http(s).
		{"see https://x.org/a.", `p(t"see " a[https://x.org/a]"https://x.org/a" t".")`},
		{"[the docs](https://x.org/a_(b))", `p(a[https://x.org/a_(b)](t"the docs"))`},
		{"[**b**](http://x.org)", `p(a[http://x.org](b(t"b")))`},
		{"[x](javascript:alert(1))", `p(t"[x](javascript:alert(1))")`},
		{"[x](data:text/html,hi) [](https://x.org) [y] (https://x.org)", `p(t"[x](data:text/html,hi) [](" a[https://x.org]"https://x.org" t") [y] (" a[https://x.org]"https://x.org" t")")`},
		{"[a [b](https://x.org)", `p(t"[a " a[https://x.org](t"b"))`},
		{"[https://a.org](https://b.org)", `p(a[https://b.org](t"https://a.org"))`},
		{"xhttps://x.org", `p(t"xhttps://x.org")`},
		// Emoji: known shortcodes only, not inside code.
		{":tada: :+1: :not_an_emoji: 12:30:45", `p(emoji[tada]"🎉" t" " emoji[+1]"👍" t" :not_an_emoji: 12:30:45")`},
		// Mentions, inside formatting too; an address is not one.
		{"hi @bob_smith, and **@Alice**! mail a@b.org", `p(t"hi " at"@bob_smith" t", and " b(at"@Alice") t"! mail a@b.org")`},
		{"@ alone, @-dash", `p(t"@ alone, @-dash")`},
		// No HTML: tags are text.
		{"<script>alert(1)</script>", `p(t"<script>alert(1)</script>")`},
		{`<img src=x onerror="alert(1)">`, `p(t"<img src=x onerror=\"alert(1)\">")`},
		// Blocks. Line breaks in a paragraph are kept; a blank line
		// ends it.
		{"a\nb\n\n\nc", `p(t"a\nb") p(t"c")`},
		{"a\r\nb\rc", `p(t"a\nb\nc")`},
		{"```go\nfunc f() {}\n  **x**\n```", `pre[go]"func f() {}\n  **x**"`},
		{"```\n\n```", `pre`},
		{"```\nno end", "p(t\"```\\nno end\")"},
		{"> quoted\n> **more**\nafter", `quote(p(t"quoted\n" b(t"more"))) p(t"after")`},
		{"> > nested", `quote(quote(p(t"nested")))`},
		{"- a\n* b\n+ c", `ul(li(p(t"a")) li(p(t"b")) li(p(t"c")))`},
		{"- a\n  - b\n  more\n- c", `ul(li(p(t"a") ul(li(p(t"b"))) p(t"more")) li(p(t"c")))`},
		{"1. one\n2) two\n10. ten", `ol(li[1](p(t"one")) li[2](p(t"two")) li[10](p(t"ten")))`},
		{"text\n- item", `p(t"text") ul(li(p(t"item")))`},
		{"-5 degrees, *not a list*", `p(t"-5 degrees, " i(t"not a list"))`},
		{"- \n-", `p(t"- \n-")`},
	}
	for _, tt := range tests {
		if got := dump(Parse(tt.in)); got != tt.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"**Lunch** at _noon_ :tada:", "Lunch at noon 🎉"},
		{"see [the menu](https://x.org/m) or https://y.org", "see the menu or https://y.org"},
		{"- a\n- b", "• a\n• b"},
		{"`**x**`", "**x**"},
		{"<b>hi</b>", "<b>hi</b>"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestShortcodes(t *testing.T) {
	for name, want := range map[string]string{
		"smile": "😄", "joy": "😂", "heart": "❤️", "thumbsup": "👍", "+1": "👍", "tada": "🎉",
		"fire": "🔥", "rocket": "🚀", "eyes": "👀", "pray": "🙏", "clap": "👏", "wave": "👋",
		"ok_hand": "👌", "100": "💯", "white_check_mark": "✅", "x": "❌", "warning": "⚠️",
	} {
		if got, ok := EmojiFor(name); !ok || got != want {
			t.Errorf("EmojiFor(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	all := Shortcodes()
	if len(all) < 300 {
		t.Errorf("%d emoji in the table, want a few hundred", len(all))
	}
	seen := map[string]bool{}
	for _, s := range all {
		if len(s.Names) == 0 {
			t.Errorf("%q has no name", s.Emoji)
		}
		for _, n := range s.Names {
			if seen[n] || len(n) > maxShortcode || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789_+-") != "" {
				t.Errorf("name %q: twice, too long or not [a-z0-9_+-]", n)
			}
			seen[n] = true
		}
	}
	got := SearchShortcodes(":sm", 3)
	if len(got) != 3 || got[0].Names[0] != "smiley" || got[1].Names[0] != "smile" {
		t.Errorf("SearchShortcodes(:sm) = %v, want smiley, smile first", got)
	}
	if got := SearchShortcodes("check", 100); len(got) < 3 {
		t.Errorf("SearchShortcodes(check) = %v, want the check marks", got)
	}
	if got := SearchShortcodes("", 10); len(got) != 10 {
		t.Errorf("an empty search gives %d, want the first 10", len(got))
	}
}

// hostile are texts made to be slow or deep: long runs of openers with
// no partner, deep nesting, many unmatched backtick runs.
func hostile() []string {
	var ticks strings.Builder
	for i := 1; ticks.Len() < 4000; i++ {
		ticks.WriteString(strings.Repeat("`", i) + "x")
	}
	return []string{
		strings.Repeat("**a ", 1000),
		strings.Repeat("*a _b ~~c ", 400),
		strings.Repeat("[a](", 1000),
		strings.Repeat("[", 4000),
		strings.Repeat("> ", 2000),
		strings.Repeat("- ", 2000) + "x",
		strings.Repeat("**", 1000) + "x" + strings.Repeat("**", 1000),
		strings.Repeat("*_", 1000) + "x" + strings.Repeat("_*", 1000),
		ticks.String(),
		strings.Repeat(":a", 2000),
		strings.Repeat("https://", 500),
		strings.Repeat("```x\n", 800),
	}
}

func TestHostileTextsStayShallow(t *testing.T) {
	for _, s := range hostile() {
		nodes := Parse(s)
		if d := depth(nodes); d > 2*maxDepth+2 {
			t.Errorf("Parse(%.20q…) is %d deep", s, d)
		}
		if got, want := strip(flatten(nodes)), strip(s); got != want {
			t.Errorf("Parse(%.20q…) loses text", s)
		}
	}
}

func depth(nodes []Node) int {
	d := 0
	for _, n := range nodes {
		d = max(d, 1+depth(n.Children))
	}
	return d
}

// flatten is all the text of nodes, in order, as a reader meets it, plus
// what a rendering shows outside the text: a code block's label, an
// item's number, a link's target, an emoji's shortcode.
func flatten(nodes []Node) string {
	var b strings.Builder
	for _, n := range nodes {
		switch n.Kind {
		case Emoji:
			b.WriteString(n.Info) // the name, what was typed
		case Link:
			if len(n.Children) == 0 {
				b.WriteString(n.Text)
			} else {
				b.WriteString(flatten(n.Children) + n.Info)
			}
		default:
			b.WriteString(n.Info + n.Text + flatten(n.Children))
		}
	}
	return b.String()
}

// strip drops what formatting may take away: spaces, markers, escapes.
func strip(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || strings.ContainsRune("*_~`>-+.)([]\\:", r) {
			return -1
		}
		return r
	}, s)
}

// FuzzParse: no text panics Parse; formatting takes away only markers
// and spaces, never a reader's text; links go only to http(s); the tree
// stays shallow.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"**b** *i* _i_ ~~s~~ `c` [l](https://x.org) https://y.org :tada: @bob",
		"> q\n- a\n  1. b\n```go\nx\n```", "\\*x\\* snake_case 2*3*4", "***a** b*",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		nodes := Parse(s)
		// Texts arrive as JSON strings, so valid UTF-8; invalid bytes only
		// have to parse without panic (strip would mend them unevenly).
		if !utf8.ValidString(s) {
			return
		}
		if got, want := strip(flatten(nodes)), strip(strings.ReplaceAll(s, "\r", "")); got != want {
			t.Fatalf("Parse(%q) = %s: its text %q, want %q", s, dump(nodes), got, want)
		}
		if d := depth(nodes); d > 2*maxDepth+2 {
			t.Fatalf("Parse(%q) is %d deep", s, d)
		}
		walk(nodes, func(n Node) {
			if n.Kind == Link && !isLinkURL(n.Info) {
				t.Fatalf("Parse(%q) links to %q", s, n.Info)
			}
		})
	})
}

func walk(nodes []Node, fn func(Node)) {
	for _, n := range nodes {
		fn(n)
		walk(n.Children, fn)
	}
}

// BenchmarkParse: a typical formatted message, and the worst of the
// hostile texts.
func BenchmarkParse(b *testing.B) {
	typical := "**Deploy** at _3pm_ :rocket:\n> see [the runbook](https://x.org/run) and https://y.org/b\n- check `make test`\n- ping @alice\n```sh\nmake deploy\n```"
	b.Run("typical", func(b *testing.B) {
		b.SetBytes(int64(len(typical)))
		for b.Loop() {
			Parse(typical)
		}
	})
	for _, s := range hostile()[:4] {
		b.Run("hostile-"+strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) {
				return r
			}
			return -1
		}, s[:8])+"-4KiB", func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				Parse(s)
			}
		})
	}
}
