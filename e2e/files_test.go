package e2e

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// pngOf is a w×h PNG, a gradient so it is not trivially small.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fileOn is the JS expression of the message showing a file called name.
func fileOn(name string) string {
	return `[...document.querySelectorAll("#messages .msg")].find(m => m.querySelector(".file-name")?.textContent === ` + js(name) + ` || m.querySelector(".file-image img")?.alt === ` + js(name) + `)`
}

// attach picks path with the composer's file input and waits until it is
// uploaded and waits to be sent.
func (p *person) attach(path string) {
	p.t.Helper()
	p.do(chromedp.SetUploadFiles(chromedp.ID("file-input"), []string{path}))
	p.waitFor("the upload of "+filepath.Base(path), `document.querySelector("#attachment:not(.uploading) .file-name")?.textContent === `+js(filepath.Base(path)))
}

// TestSharingFiles: a picture picked, pasted or dropped reaches the other
// person as an image in a box of its shape, opens full size; an HTML page
// and an SVG with scripts are files to download that never run, even
// when their addresses are opened; a deleted message takes its file
// along.
func TestSharingFiles(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	// A picture picked with Attach, sent with words.
	alice.attach(write("photo.png", pngOf(t, 640, 480)))
	alice.say("the view")
	bob.waitFor("the image loaded", `(`+fileOn("photo.png")+`)?.querySelector(".file-image img")?.naturalWidth === 320`)
	box := eval[[]float64](bob, `(() => { const r = (`+fileOn("photo.png")+`).querySelector(".file-image .image").getBoundingClientRect(); return [r.width, r.height]; })()`)
	if len(box) != 2 || box[0] < 300 || box[0] > 330 || box[1] < 220 || box[1] > 250 {
		t.Errorf("the image's box is %v, want about 320×240 (its shape, fitted)", box)
	}
	// Opened full size, closed with Escape.
	eval[chromedp.Void](bob, `(`+fileOn("photo.png")+`).querySelector(".file-image .image").click()`)
	bob.waitFor("the full image", `document.querySelector(".viewer img")?.naturalWidth === 640`)
	bob.do(chromedp.KeyEvent(kb.Escape))
	bob.waitFor("the viewer closed", `!document.querySelector(".viewer")`)

	// Pasted, then dropped: a picture made in the page.
	shot := base64.StdEncoding.EncodeToString(pngOf(t, 40, 30))
	file := func(name string) string {
		return `(() => { const dt = new DataTransfer(); dt.items.add(new File([Uint8Array.from(atob(` + js(shot) + `), c => c.charCodeAt(0))], ` + js(name) + `, {type: "image/png"})); return dt; })()`
	}
	eval[chromedp.Void](alice, `document.querySelector("#text").dispatchEvent(new ClipboardEvent("paste", {clipboardData: `+file("pasted.png")+`, bubbles: true, cancelable: true}))`)
	alice.waitFor("the pasted file uploaded", `document.querySelector("#attachment:not(.uploading) .file-name")?.textContent === "pasted.png"`)
	alice.do(chromedp.Focus(chromedp.ID("text")), chromedp.KeyEvent(kb.Enter))
	bob.waitFor("the pasted image", `(`+fileOn("pasted.png")+`)?.querySelector(".file-image img")?.naturalWidth === 40`)
	eval[chromedp.Void](alice, `document.querySelector("main.conversation").dispatchEvent(new DragEvent("drop", {dataTransfer: `+file("dropped.png")+`, bubbles: true, cancelable: true}))`)
	alice.waitFor("the dropped file uploaded", `document.querySelector("#attachment:not(.uploading) .file-name")?.textContent === "dropped.png"`)
	alice.say("dropped")
	bob.waitFor("the dropped image", `(`+fileOn("dropped.png")+`)?.querySelector(".file-image img")?.naturalWidth === 40`)

	// Pages with scripts: files to download, never images, never run.
	const script = `<script>window.pwned = 1; try { parent.pwned = 1; opener.pwned = 1 } catch (e) {}</script>`
	alice.attach(write("page.html", []byte(`<!doctype html><html><body><h1>hi</h1>`+script+`</body></html>`)))
	alice.say("a page")
	alice.attach(write("logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">`+script+`<rect width="10" height="10"/></svg>`)))
	alice.say("a logo")
	for _, name := range []string{"page.html", "logo.svg"} {
		bob.waitFor(name+" as a file", `!!(`+fileOn(name)+`)?.querySelector("button.file")`)
		if eval[bool](bob, `!!(`+fileOn(name)+`).querySelector("img, iframe, object, embed")`) {
			t.Errorf("%s is shown inline", name)
		}
		eval[chromedp.Void](bob, `(`+fileOn(name)+`).querySelector("button.file").click()`)
	}
	// Their addresses opened in a tab of Bob's, with his token.
	tok := eval[string](bob, `sessionStorage.getItem("hark.token")`)
	ids := eval[[]string](bob, `(async () => { const r = await fetch("/api/history?limit=50", {headers: {Authorization: "Bearer " + sessionStorage.getItem("hark.token")}}); const h = await r.json(); return h.events.filter(e => e.file && /\.(html|svg)$/.test(e.file.name)).map(e => e.file.id); })()`, chromedp.EvalAwaitPromise)
	if len(ids) != 2 {
		t.Fatalf("the history has %d of the two pages' files", len(ids))
	}
	for _, id := range ids {
		u := srv.URL + "/api/files/" + id + "?token=" + tok
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if cd, csp := resp.Header.Get("Content-Disposition"), resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(csp, "sandbox") {
			t.Errorf("%s is served with Content-Disposition %q, Content-Security-Policy %q", id, cd, csp)
		}
		tab := b.person(t, "Bob's other tab")
		_, _ = chromedp.Run(tab.ctx, chromedp.Navigate(u)) // a download aborts the navigation
		if eval[bool](tab, `typeof window.pwned !== "undefined"`) {
			t.Errorf("opening %s ran its script", u)
		}
	}
	if eval[bool](bob, `typeof window.pwned !== "undefined"`) || eval[bool](alice, `typeof window.pwned !== "undefined"`) {
		t.Error("a shared page's script ran in the app")
	}

	// A deleted message takes its file along, for Bob too.
	eval[chromedp.Void](alice, `window.confirm = () => true`)
	eval[chromedp.Void](alice, `(`+fileOn("photo.png")+`).querySelector(".act-delete").click()`)
	bob.waitFor("the photo gone", `!(`+fileOn("photo.png")+`) && document.querySelectorAll("#messages .msg.deleted").length === 1`)
	bob.shot("files")
}
