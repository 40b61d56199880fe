//go:build js && wasm

package ui

import "syscall/js"

// The browser's side of attention: the page's visibility and title, and
// the Notification API. Permission is asked only from requestNotify, which
// runs when the person turns notifications on, never on load.

// notifyKey keeps the person's choice in localStorage, so it outlives the
// tab, like the browser's own permission does.
const notifyKey = "hark.notify"

// notifyPermission is the browser's answer so far: "granted", "denied",
// "default" (not asked yet), or "" where there is no Notification API.
func notifyPermission() string {
	n := js.Global().Get("Notification")
	if !n.Truthy() {
		return ""
	}
	return n.Get("permission").String()
}

// requestNotify asks the browser for permission and hands the answer to
// done (from a browser callback: done must dispatch to the UI).
func requestNotify(done func(permission string)) {
	n := js.Global().Get("Notification")
	if !n.Truthy() {
		done("")
		return
	}
	var f js.Func
	f = js.FuncOf(func(this js.Value, args []js.Value) any {
		f.Release()
		p := "denied"
		if len(args) > 0 && args[0].Type() == js.TypeString {
			p = args[0].String()
		}
		done(p)
		return nil
	})
	n.Call("requestPermission").Call("then", f)
}

// showNotification raises a notification when permission is granted; a
// click focuses the window and calls onClick (from a browser callback).
// Notifications with one tag replace each other, so a busy conversation
// shows one, not a pile.
func showNotification(title, body, tag string, onClick func()) {
	n := js.Global().Get("Notification")
	if !n.Truthy() || n.Get("permission").String() != "granted" {
		return
	}
	// Some browsers (Chrome on Android) refuse the constructor and want a
	// service worker's showNotification; a throw is a panic here.
	defer func() { recover() }()
	note := n.New(title, map[string]any{"body": body, "tag": tag})
	var click, closed js.Func
	release := func() { click.Release(); closed.Release() }
	click = js.FuncOf(func(this js.Value, args []js.Value) any {
		js.Global().Call("focus")
		note.Call("close")
		onClick()
		return nil
	})
	closed = js.FuncOf(func(this js.Value, args []js.Value) any {
		release()
		return nil
	})
	note.Set("onclick", click)
	note.Set("onclose", closed)
}

// notifyWanted reports whether the person turned notifications on.
func notifyWanted() bool {
	l := js.Global().Get("localStorage")
	if !l.Truthy() {
		return false
	}
	v := l.Call("getItem", notifyKey)
	return v.Type() == js.TypeString && v.String() == "on"
}

// setNotifyWanted keeps the person's choice.
func setNotifyWanted(on bool) {
	defer func() { recover() }() // a full or refused storage: the choice lasts the page
	l := js.Global().Get("localStorage")
	if on {
		l.Call("setItem", notifyKey, "on")
	} else {
		l.Call("removeItem", notifyKey)
	}
}

// pageHidden reports whether the page is hidden (another tab, minimised).
func pageHidden() bool { return js.Global().Get("document").Get("hidden").Bool() }

// onVisibility calls f (from a browser callback) whenever the page is
// hidden or shown, until the returned stop is called.
func onVisibility(f func(hidden bool)) (stop func()) {
	doc := js.Global().Get("document")
	fn := js.FuncOf(func(this js.Value, args []js.Value) any {
		f(doc.Get("hidden").Bool())
		return nil
	})
	doc.Call("addEventListener", "visibilitychange", fn)
	return func() {
		doc.Call("removeEventListener", "visibilitychange", fn)
		fn.Release()
	}
}

// setTitle sets the page's title.
func setTitle(s string) { js.Global().Get("document").Set("title", s) }
