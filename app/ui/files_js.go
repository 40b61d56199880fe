//go:build js && wasm

package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// blobURL makes data, of media type typ, an object URL of this page.
func blobURL(data []byte, typ string) string {
	win := app.Window()
	u8 := win.Get("Uint8Array").New(len(data))
	app.CopyBytesToJS(u8, data)
	blob := win.Get("Blob").New([]any{u8}, map[string]any{"type": typ})
	return win.Get("URL").Call("createObjectURL", blob).String()
}

// saveBlob downloads the object URL url as a file called name.
func saveBlob(url, name string) {
	doc := app.Window().Get("document")
	a := doc.Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	doc.Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
}

// readFile reads a browser File's bytes and hands them to done, on a
// goroutine of its own (done may block: the promise's callback must not).
func readFile(file app.Value, done func([]byte)) {
	file.Call("arrayBuffer").Then(func(buf app.Value) {
		u8 := app.Window().Get("Uint8Array").New(buf)
		b := make([]byte, u8.Length())
		app.CopyBytesToGo(b, u8)
		go done(b)
	})
}

// focusSelector focuses the first element matching sel, if any.
func focusSelector(sel string) {
	if el := app.Window().Get("document").Call("querySelector", sel); el.Truthy() {
		el.Call("focus")
	}
}
