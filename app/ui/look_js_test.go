package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/internal/testkit"
)

func byID(id string) app.Value { return app.Window().GetElementByID(id) }

func textOf(id string) string {
	if el := byID(id); el.Truthy() {
		return el.Get("textContent").String()
	}
	return ""
}

func activeID() string {
	return app.Window().Get("document").Get("activeElement").Get("id").String()
}

// fire dispatches a bubbling event of type typ on el, with the given
// fields when it is a KeyboardEvent.
func fire(el app.Value, typ string, key string) {
	if key == "" {
		el.Call("dispatchEvent", app.Window().Get("Event").New(typ, map[string]any{"bubbles": true}))
		return
	}
	el.Call("dispatchEvent", app.Window().Get("KeyboardEvent").New(typ, map[string]any{"key": key, "bubbles": true, "cancelable": true}))
}

func TestJoinErrorClearsWhenEdited(t *testing.T) {
	f := &joinForm{}
	f.name, f.err = "alice", `the name "alice" is in use`
	mount(t, f)
	if textOf("join-error") == "" {
		t.Fatal("the refusal is not shown")
	}
	name := byID("name")
	name.Set("value", "alice2")
	fire(name, "input", "")
	testkit.Eventually(t, "the error to clear", func() bool {
		return textOf("join-error") == "" && name.Call("getAttribute", "aria-invalid").String() != "true"
	})
	if f.name != "alice2" {
		t.Errorf("the form holds %q, want what was typed", f.name)
	}
}

func TestComposerCounter(t *testing.T) {
	_, cl := mountComposer(t)
	typeText := func(s string) {
		box := textBox()
		box.Set("value", s)
		fire(box, "input", "")
	}
	typeText("hello")
	time.Sleep(50 * time.Millisecond)
	if got := textOf("count"); got != "" {
		t.Errorf("far from the limit the counter says %q", got)
	}
	typeText(strings.Repeat("x", 3500))
	testkit.Eventually(t, "the counter", func() bool { return textOf("count") == "596 characters left" })
	typeText(strings.Repeat("x", 4100))
	testkit.Eventually(t, "the counter over", func() bool {
		return textOf("count") == "4 characters too many" &&
			byID("count").Get("classList").Call("contains", "over").Bool() &&
			textBox().Call("getAttribute", "aria-invalid").String() == "true"
	})
	typeText(strings.Repeat("é", 1600))
	testkit.Eventually(t, "characters and bytes", func() bool { return textOf("count") == "1,600 characters, 3,200 of 4,096 bytes" })
	// Sending clears it with the text.
	press(strings.Repeat("y", 3200), "Enter", false, false)
	testkit.Eventually(t, "the counter cleared by sending", func() bool { return textOf("count") == "" })
	if n := len(cl.State().Messages); n != 1 {
		t.Errorf("%d messages sent, want 1", n)
	}
}

func TestConnMenuOpensAndEscapeCloses(t *testing.T) {
	cl := client.New(client.Options{BaseURL: "http://127.0.0.1:9", Store: client.NewMemoryStore()})
	mount(t, &connMenu{Client: cl, Conn: client.Connected, Active: client.SSE, Chosen: client.Auto})
	menu, button := byID("conn-menu"), byID("status")
	if !menu.Get("hidden").Bool() || button.Call("getAttribute", "aria-expanded").String() != "false" {
		t.Fatal("the menu starts open")
	}
	button.Call("click")
	testkit.Eventually(t, "the menu open, the focus on the picker", func() bool {
		return !menu.Get("hidden").Bool() && button.Call("getAttribute", "aria-expanded").String() == "true" && activeID() == "transport"
	})
	if got := textOf("active"); got != "via Server-Sent Events" {
		t.Errorf("the menu says %q, want the transport in use", got)
	}
	fire(byID("transport"), "keydown", "Escape")
	testkit.Eventually(t, "the menu closed, the focus on its button", func() bool {
		return menu.Get("hidden").Bool() && activeID() == "status"
	})
}

// The countdown moves by itself, once a second, from the delay chosen.
func TestConnMenuCountsDown(t *testing.T) {
	cl := client.New(client.Options{BaseURL: "http://127.0.0.1:9", Store: client.NewMemoryStore()})
	mount(t, &connMenu{Client: cl, Conn: client.Offline, RetryAt: time.Now().Add(2600 * time.Millisecond)})
	if got := textOf("conn"); got != "Offline" {
		t.Errorf("the label is %q, want Offline", got)
	}
	if got := textOf("retry"); got != "retry in 3s" {
		t.Fatalf("the countdown starts at %q, want the delay chosen (retry in 3s)", got)
	}
	testkit.Eventually(t, "the countdown at 2s", func() bool { return textOf("retry") == "retry in 2s" })
	if textOf("active") != "" || strings.Contains(app.Window().Get("document").Get("body").Get("textContent").String(), "via none") {
		t.Error("offline, the menu names a transport")
	}
}
