package markup

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitLinks(t *testing.T) {
	L := func(s string) Part { return Part{Text: s, Link: true} }
	T := func(s string) Part { return Part{Text: s} }
	tests := []struct {
		in   string
		want []Part
	}{
		{"", nil},
		{"hello", []Part{T("hello")}},
		{"https://example.org", []Part{L("https://example.org")}},
		{"see https://example.org/a?b=c#d now", []Part{T("see "), L("https://example.org/a?b=c#d"), T(" now")}},
		{"HTTP://EXAMPLE.ORG", []Part{L("HTTP://EXAMPLE.ORG")}},
		{"end of sentence https://x.org.", []Part{T("end of sentence "), L("https://x.org"), T(".")}},
		{"(see https://x.org/a)", []Part{T("(see "), L("https://x.org/a"), T(")")}},
		{"https://en.wikipedia.org/wiki/Go_(language)", []Part{L("https://en.wikipedia.org/wiki/Go_(language)")}},
		{"two: http://a.b, https://c.d!", []Part{T("two: "), L("http://a.b"), T(", "), L("https://c.d"), T("!")}},
		{"<https://x.org>", []Part{T("<"), L("https://x.org"), T(">")}},
		{`"https://x.org"`, []Part{T(`"`), L("https://x.org"), T(`"`)}},
		{"line\nhttps://x.org\tnext", []Part{T("line\n"), L("https://x.org"), T("\tnext")}},
		// Not links: other schemes, a bare scheme, a scheme glued to a word.
		{"javascript:alert(1)", []Part{T("javascript:alert(1)")}},
		{"data:text/html,<b>x</b>", []Part{T("data:text/html,<b>x</b>")}},
		{"ftp://x.org", []Part{T("ftp://x.org")}},
		{"https:// x", []Part{T("https:// x")}},
		{"https://.", []Part{T("https://.")}},
		{"xhttps://x.org", []Part{T("xhttps://x.org")}},
		{"éhttps://x.org", []Part{T("éhttps://x.org")}},
		// Markup stays text: the UI sets every part as text, never HTML.
		{`<img src=x onerror=alert(1)> https://x.org/"><script>`, []Part{T(`<img src=x onerror=alert(1)> `), L("https://x.org/"), T(`"><script>`)}},
		{"https://x.org/ü/日本", []Part{L("https://x.org/ü/日本")}},
	}
	for _, tt := range tests {
		got := SplitLinks(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitLinks(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		var b strings.Builder
		for _, p := range got {
			b.WriteString(p.Text)
		}
		if b.String() != tt.in {
			t.Errorf("SplitLinks(%q) parts join to %q", tt.in, b.String())
		}
	}
}

func FuzzSplitLinks(f *testing.F) {
	for _, s := range []string{"", "a https://x.org/(b)). c", "http://", "ééhttp://a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		for _, p := range SplitLinks(s) {
			if p.Text == "" {
				t.Fatalf("empty part in %q", s)
			}
			if p.Link && !strings.HasPrefix(strings.ToLower(p.Text), "http") {
				t.Fatalf("link %q in %q", p.Text, s)
			}
			b.WriteString(p.Text)
		}
		if b.String() != s {
			t.Fatalf("parts of %q join to %q", s, b.String())
		}
	})
}
