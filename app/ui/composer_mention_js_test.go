package ui

import (
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/internal/testkit"
)

// key presses key on the text and reports whether a handler cancelled it.
func key(k string) bool {
	ev := app.Window().Get("KeyboardEvent").New("keydown", map[string]any{"key": k, "bubbles": true, "cancelable": true})
	textBox().Call("dispatchEvent", ev)
	return ev.Get("defaultPrevented").Bool()
}

// @-completion by keyboard: the names offered, arrows to choose, Enter to
// take one (which sends nothing), Escape to close.
func TestMentionKeyboard(t *testing.T) {
	c, cl := mountComposer(t)
	c.People = []string{"Alice", "Albert", "Alma", "Bob"}
	box := textBox()
	typeIn := func(s string) {
		box.Set("value", s)
		fire(box, "input", "")
	}
	typeIn("hi @al")
	testkit.Eventually(t, "Albert and Alma offered, not oneself", func() bool { return textOf("mention-list") == "@Albert@Alma" })
	testkit.Eventually(t, "the first picked", func() bool {
		return box.Call("getAttribute", "aria-activedescendant").String() == "mention-0"
	})
	if !key("ArrowDown") {
		t.Error("ArrowDown was not taken by the list")
	}
	testkit.Eventually(t, "the second picked", func() bool {
		return byID("mention-1").Call("getAttribute", "aria-selected").String() == "true" &&
			box.Call("getAttribute", "aria-activedescendant").String() == "mention-1"
	})
	if !key("Enter") {
		t.Error("Enter on the list was not cancelled")
	}
	testkit.Eventually(t, "Alma completed", func() bool { return box.Get("value").String() == "hi @Alma " && !byID("mention-list").Truthy() })
	if n := len(cl.State().Messages); n != 0 {
		t.Errorf("Enter on the list sent %d messages", n)
	}
	if box.Call("hasAttribute", "aria-controls").Bool() {
		t.Error("the text points at a list that is closed")
	}

	typeIn("@b")
	testkit.Eventually(t, "Bob offered", func() bool { return textOf("mention-list") == "@Bob" })
	key("Escape")
	testkit.Eventually(t, "the list closed by Escape", func() bool { return !byID("mention-list").Truthy() })
	if v := box.Get("value").String(); v != "@b" {
		t.Errorf("Escape changed the text to %q", v)
	}
}
