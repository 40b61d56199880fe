package ui

import (
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
)

// These tests need a DOM: run them in a browser with
//
//	GOOS=js GOARCH=wasm go test -exec wasmbrowsertest ./app/ui

// mountComposer mounts a composer, as in the app, with a client that has
// no server.
func mountComposer(t *testing.T) (*composer, *client.Client) {
	t.Helper()
	cl := client.New(client.Options{BaseURL: "http://127.0.0.1:9", Store: client.NewMemoryStore()})
	c := &composer{Client: cl, Me: "Alice"}
	mount(t, c)
	return c, cl
}

// mount mounts a component into the document with a running engine, as in
// the app, so event handlers run before the browser's default action.
func mount(t *testing.T, c app.Composer) {
	t.Helper()
	if !app.Window().Get("document").Truthy() {
		// Node has no DOM; go test -exec wasmbrowsertest runs these.
		t.Skip("needs a browser: GOOS=js GOARCH=wasm go test -exec wasmbrowsertest ./app/ui")
	}
	// The engine mounts in place of the body's first element: give it a
	// placeholder, so the test runner's own page is left alone.
	doc := app.Window().Get("document")
	body := doc.Get("body")
	body.Call("insertBefore", doc.Call("createElement", "div"), body.Get("firstElementChild"))
	e := app.NewTestEngine()
	if err := e.Load(c); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	t.Cleanup(func() { body.Call("removeChild", c.JSValue()) })
	go e.(interface{ Start(int) }).Start(60)
}

// press types text into the textarea and presses a key on it, and reports
// whether a handler cancelled the keydown.
func press(text, key string, shift, composing bool) bool {
	box := textBox()
	box.Set("value", text)
	box.Call("dispatchEvent", app.Window().Get("Event").New("input", map[string]any{"bubbles": true}))
	ev := app.Window().Get("KeyboardEvent").New("keydown", map[string]any{
		"key": key, "shiftKey": shift, "isComposing": composing, "bubbles": true, "cancelable": true,
	})
	box.Call("dispatchEvent", ev)
	return ev.Get("defaultPrevented").Bool()
}

func TestComposerEnterSends(t *testing.T) {
	_, cl := mountComposer(t)
	if !press("hello\nworld", "Enter", false, false) {
		t.Error("Enter was not cancelled: the browser would type a line break")
	}
	msgs := cl.State().Messages
	if len(msgs) != 1 || msgs[0].Event.Text != "hello\nworld" || msgs[0].Status != client.Pending {
		t.Fatalf("after Enter the client holds %+v, want one pending \"hello\\nworld\"", msgs)
	}
	if v := textBox().Get("value").String(); v != "" {
		t.Errorf("textarea holds %q after sending", v)
	}
}

func TestComposerKeysThatDoNotSend(t *testing.T) {
	_, cl := mountComposer(t)
	tests := []struct {
		name             string
		text, key        string
		shift, composing bool
		// cancel: Enter on blank text is still the send key, so it types
		// no line break, but there is nothing to send.
		cancel bool
	}{
		{"shift+enter", "line", "Enter", true, false, false},
		{"enter while composing", "かな", "Enter", false, true, false},
		{"enter on blank text", "  \n ", "Enter", false, false, true},
		{"a letter", "abc", "d", false, false, false},
	}
	for _, tt := range tests {
		if got := press(tt.text, tt.key, tt.shift, tt.composing); got != tt.cancel {
			t.Errorf("%s: keydown cancelled = %v, want %v", tt.name, got, tt.cancel)
		}
		if n := len(cl.State().Messages); n != 0 {
			t.Fatalf("%s: sent (%d messages)", tt.name, n)
		}
		if v := textBox().Get("value").String(); v != tt.text {
			t.Errorf("%s: textarea holds %q, want %q kept", tt.name, v, tt.text)
		}
	}
}

func TestComposerRefusesTooLong(t *testing.T) {
	c, cl := mountComposer(t)
	long := make([]byte, 4097)
	for i := range long {
		long[i] = 'x'
	}
	press(string(long), "Enter", false, false)
	if n := len(cl.State().Messages); n != 0 {
		t.Fatalf("a 4097-byte text was sent")
	}
	if c.err != "Too long to send: 1 character too many." || textBox().Get("value").String() != string(long) {
		t.Errorf("error %q; the text must stay for editing", c.err)
	}
}
