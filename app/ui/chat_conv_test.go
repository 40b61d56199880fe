package ui

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/convo"
)

func TestTypingLabel(t *testing.T) {
	for _, tt := range []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"Bob"}, "Bob is typing…"},
		{[]string{"Bob", "Carol"}, "Bob and Carol are typing…"},
		{[]string{"Bob", "Carol", "Dora"}, "Several people are typing…"},
	} {
		if got := typingLabel(tt.names); got != tt.want {
			t.Errorf("typingLabel(%v) = %q, want %q", tt.names, got, tt.want)
		}
	}
}

// The conversation in view: its title, and who is typing in it only.
func TestRenderConversation(t *testing.T) {
	c := &Chat{}
	c.model = convo.New("Alice")
	c.stalled = map[string]bool{}
	st := client.State{Name: "Alice", Typing: []client.Typist{{Name: "Bob"}, {Name: "Carol", Direct: true}}}
	html := app.HTMLString(c.renderConversation(st))
	for _, s := range []string{`id="conv-title"`, ">Everyone</h2>", "Bob is typing…", `id="messages"`} {
		if !strings.Contains(html, s) {
			t.Errorf("Everyone's view lacks %q:\n%s", s, html)
		}
	}
	if strings.Contains(html, "Carol") {
		t.Errorf("Carol's typing to Alice alone shows in Everyone's view:\n%s", html)
	}
	c.model.Open("carol")
	html = app.HTMLString(c.renderConversation(st))
	if !strings.Contains(html, "Carol is typing…") || !strings.Contains(html, "carol (direct messages)") || strings.Contains(html, "Bob is typing") {
		t.Errorf("the view of the conversation with Carol:\n%s", html)
	}
}
