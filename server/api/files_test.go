package api_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hark/app/protocol"
)

// upload posts data as a file called name to the conversation with to,
// claiming ctype, and returns the answer.
func (ts *testServer) upload(t *testing.T, token, name, to, ctype string, data []byte) response {
	t.Helper()
	q := url.Values{"name": {name}}
	if to != "" {
		q.Set("to", to)
	}
	h := map[string]string{}
	if ctype != "" {
		h["Content-Type"] = ctype
	}
	return ts.do(t, request{method: "POST", path: "/api/files?" + q.Encode(), token: token, body: data, header: h})
}

// uploaded uploads and fails the test on a refusal.
func (ts *testServer) uploaded(t *testing.T, token, name, to, ctype string, data []byte) protocol.File {
	t.Helper()
	r := ts.upload(t, token, name, to, ctype, data)
	if r.status != http.StatusOK {
		t.Fatalf("uploading %q: %d %s", name, r.status, r.body)
	}
	var f protocol.File
	r.decode(t, &f)
	if f.ID == "" || f.Size != int64(len(data)) {
		t.Fatalf("upload of %q (%d bytes) answered %+v", name, len(data), f)
	}
	return f
}

// testPNG is a PNG of w by h pixels, a gradient so it does not compress
// to nothing.
func testPNG(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testJPEG is a JPEG photo of w by h pixels.
func testJPEG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 3), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Every refusal of an upload is the contract's error with a message that
// says what is wrong, and nothing is stored.
func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	ts := newServer(t, func(c *config) {
		c.MaxFileBytes = 64 << 10
		c.AllowOrigins = nil
		c.Chat.FileRate, c.Chat.FileBurst = 1.0/60, 5
	})
	alice := ts.register(t, "Alice")
	big := bytes.Repeat([]byte("x"), 64<<10+1)
	for _, c := range []struct {
		name          string
		rq            request
		status        int
		code, message string
	}{
		{"no token", request{method: "POST", path: "/api/files?name=a.txt", body: "hello"}, 401, protocol.CodeUnauthorized, "token"},
		{"a foreign origin", request{method: "POST", path: "/api/files?name=a.txt", token: alice.Token, body: "hello", header: map[string]string{"Origin": "https://evil.example"}}, 403, protocol.CodeForbiddenOrigin, "not allowed"},
		{"a declared length over the limit", request{method: "POST", path: "/api/files?name=a.bin", token: alice.Token, body: big}, 413, protocol.CodeTooLarge, "at most 65536 bytes"},
		{"an undeclared length over the limit", request{method: "POST", path: "/api/files?name=a.bin", token: alice.Token, body: bytesReader{bytes.NewReader(big)}}, 413, protocol.CodeTooLarge, "at most 65536 bytes"},
		{"HTML dressed as a PNG", request{method: "POST", path: "/api/files?name=cat.png", token: alice.Token, body: "<!DOCTYPE html><html><script>alert(document.cookie)</script>", header: map[string]string{"Content-Type": "image/png"}}, 400, protocol.CodeBadRequest, "the file is text/html, not image/png as it says"},
		{"a recipient not online", request{method: "POST", path: "/api/files?name=a.txt&to=Nobody", token: alice.Token, body: "hello"}, 404, protocol.CodeNoSuchUser, "not online"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts.do(t, c.rq).wantError(t, c.status, c.code, c.message)
		})
	}
	if n := ts.files.Len(); n != 0 {
		t.Fatalf("refused uploads stored %d files", n)
	}
	// The budget: five at once, of which two went on the refusals whose
	// bodies were read (too large undeclared, the disguise), then
	// refused with Retry-After.
	for i := range 3 {
		ts.uploaded(t, alice.Token, fmt.Sprint(i, ".txt"), "", "text/plain", []byte("ok"))
	}
	r := ts.upload(t, alice.Token, "3.txt", "", "text/plain", []byte("one too many"))
	r.wantError(t, 429, protocol.CodeRateLimited, "too many uploads")
	if r.header.Get("Retry-After") == "" {
		t.Error("a refused upload says no Retry-After")
	}
	if n := ts.files.Len(); n != 3 {
		t.Fatalf("%d files stored, want the 3 allowed", n)
	}
	m := string(ts.do(t, request{method: "GET", path: "/metrics"}).body)
	for _, want := range []string{`hark_files_uploaded_total{outcome="ok"} 3`, `hark_files_uploaded_total{outcome="rate_limited"} 1`, `hark_file_bytes_total 6`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(m, "file"))
		}
	}
}

// bytesReader hides its length, so the request goes chunked, with no
// Content-Length to refuse it by.
type bytesReader struct{ *bytes.Reader }

// Files are served so they never run in the app's origin: HTML and SVG
// as attachments of no type, a PNG inline, every one sandboxed and not
// sniffed; a PNG and a JPEG have sizes and thumbnails.
func TestFilesServedSafely(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
	html := ts.uploaded(t, alice.Token, "page.html", "", "text/html", []byte("<!DOCTYPE html><script>alert(1)</script>"))
	svg := ts.uploaded(t, alice.Token, "../evil.svg", "", "image/svg+xml; charset=utf-8", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`))
	pic := ts.uploaded(t, alice.Token, "été.png", "", "image/png", testPNG(t, 640, 400))
	photo := ts.uploaded(t, alice.Token, "photo.jpg", "", "image/jpeg", testJPEG(t, 300, 900))
	if html.Type != "text/html" || svg.Type != "text/plain" || svg.Name != "evil.svg" || svg.Image() || svg.Thumb {
		t.Fatalf("HTML %+v, SVG %+v: want their sniffed types, the SVG no image, its name without a path", html, svg)
	}
	if pic.Type != "image/png" || pic.Width != 640 || pic.Height != 400 || !pic.Thumb {
		t.Fatalf("PNG %+v, want image/png 640x400 with a thumbnail", pic)
	}
	if photo.Type != "image/jpeg" || photo.Width != 300 || photo.Height != 900 || !photo.Thumb {
		t.Fatalf("JPEG %+v, want image/jpeg 300x900 with a thumbnail", photo)
	}
	get := func(path string, token string) response {
		return ts.do(t, request{method: "GET", path: path, token: token})
	}
	for _, c := range []struct {
		f           protocol.File
		path        string
		ctype, disp string
	}{
		{html, "", "application/octet-stream", `attachment; filename=page.html`},
		{svg, "", "application/octet-stream", `attachment; filename=evil.svg`},
		{pic, "", "image/png", `inline; filename*=utf-8''%C3%A9t%C3%A9.png`},
		{pic, "/thumb", "image/png", `inline; filename*=utf-8''%C3%A9t%C3%A9.png`},
		{photo, "/thumb", "image/jpeg", `inline; filename=photo.jpg`},
	} {
		// Bob reads with the header, and with the token in the query as
		// a tab does.
		for _, r := range []response{get("/api/files/"+c.f.ID+c.path, bob.Token), get("/api/files/"+c.f.ID+c.path+"?token="+url.QueryEscape(bob.Token), "")} {
			if r.status != 200 {
				t.Fatalf("GET %s%s: %d %s", c.f.Name, c.path, r.status, r.body)
			}
			h := r.header
			for k, v := range map[string]string{
				"Content-Type": c.ctype, "Content-Disposition": c.disp,
				"Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff",
				"Cross-Origin-Resource-Policy": "same-origin",
			} {
				if h.Get(k) != v {
					t.Errorf("%s%s: %s %q, want %q", c.f.Name, c.path, k, h.Get(k), v)
				}
			}
			if !strings.HasPrefix(h.Get("Cache-Control"), "private, max-age=") {
				t.Errorf("%s: Cache-Control %q", c.f.Name, h.Get("Cache-Control"))
			}
		}
	}
	thumb := get("/api/files/"+pic.ID+"/thumb", bob.Token)
	img, err := png.Decode(bytes.NewReader(thumb.body))
	if err != nil || img.Bounds().Dx() != protocol.ThumbPixels || img.Bounds().Dy() != 200 {
		t.Fatalf("the PNG's thumbnail: %v, %v; want a PNG of %dx200", img.Bounds(), err, protocol.ThumbPixels)
	}
	jt := get("/api/files/"+photo.ID+"/thumb", bob.Token)
	if img, err := jpeg.Decode(bytes.NewReader(jt.body)); err != nil || img.Bounds().Dy() != protocol.ThumbPixels {
		t.Fatalf("the JPEG's thumbnail: %v, %v", img, err)
	}
	if r := get("/api/files/"+html.ID, bob.Token); string(r.body) != "<!DOCTYPE html><script>alert(1)</script>" {
		t.Fatalf("the HTML file's bytes: %q", r.body)
	}
	// An ETag answers a revalidation with no body.
	r := ts.do(t, request{method: "GET", path: "/api/files/" + pic.ID, token: bob.Token, header: map[string]string{"If-None-Match": `"` + pic.ID + `"`}})
	if r.status != http.StatusNotModified || len(r.body) != 0 {
		t.Errorf("a revalidation: %d with %d bytes, want 304 with none", r.status, len(r.body))
	}
	// No thumbnail for what has none; no file for an unknown id, or
	// without a token.
	get("/api/files/"+html.ID+"/thumb", bob.Token).wantError(t, 404, protocol.CodeNotFound, "no file")
	get("/api/files/AAAAAAAAAAAAAAAAAAAAAA", bob.Token).wantError(t, 404, protocol.CodeNotFound, "no file")
	get("/api/files/not-an-id", bob.Token).wantError(t, 404, protocol.CodeNotFound, "no file")
	get("/api/files/"+pic.ID, "").wantError(t, 401, protocol.CodeUnauthorized, "token")
}

// A file uploaded to a direct conversation is read by its two people,
// nobody else: a 404 like an unknown id.
func TestDirectFileInvisibleToAThirdPerson(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	alice, bob, carol := ts.register(t, "Alice"), ts.register(t, "Bob"), ts.register(t, "Carol")
	f := ts.uploaded(t, alice.Token, "secret.txt", "Bob", "text/plain", []byte("for Bob only"))
	for _, tok := range []string{alice.Token, bob.Token} {
		if r := ts.do(t, request{method: "GET", path: "/api/files/" + f.ID, token: tok}); r.status != 200 || string(r.body) != "for Bob only" {
			t.Fatalf("a party to the DM reads %d %q", r.status, r.body)
		}
	}
	ts.do(t, request{method: "GET", path: "/api/files/" + f.ID, token: carol.Token}).wantError(t, 404, protocol.CodeNotFound, "no file")
	// Nor may it go out to everyone: it was uploaded to Bob.
	r := ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "leak", File: f.ID}})
	r.wantError(t, 404, protocol.CodeNotFound, "no file")
}

// On every transport, a message carrying a file reaches the other person
// with the whole File, filled in by the server; sent with no text, over
// HTTP and over the WebSocket; deleting it deletes the file, and its
// tombstone does not name it.
func TestFileMessagesOnEveryTransport(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			ts := newServer(t, nil)
			alice, bob := ts.register(t, "Alice"), ts.register(t, "Bob")
			live := ts.open(t, tr, bob.Token, at(bob.Seq+1), bob.Epoch)
			pic := ts.uploaded(t, alice.Token, "cat.png", "", "image/png", testPNG(t, 400, 400))
			r := ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "f1", File: pic.ID}})
			if r.status != 200 {
				t.Fatalf("sending a file: %d %s", r.status, r.body)
			}
			var res protocol.SendResult
			r.decode(t, &res)
			ev := live.expect(t, "the message with the file", func(e protocol.Event) bool { return e.Type == protocol.TypeMessage && e.ID == "f1" })
			if ev.File == nil || *ev.File != pic {
				t.Fatalf("the event carries %+v, want %+v", ev.File, pic)
			}
			// One file, one message: not again, though a retry is
			// answered with the first seq.
			ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "f2", File: pic.ID}}).wantError(t, 404, protocol.CodeNotFound, "not sent yet")
			if seq := ts.do(t, request{method: "POST", path: "/api/messages", token: alice.Token, body: protocol.Send{ID: "f1", File: pic.ID}}); !strings.Contains(string(seq.body), fmt.Sprint(res.Seq)) {
				t.Fatalf("a retry: %s, want seq %d", seq.body, res.Seq)
			}
			// Over a WebSocket send frame, a file of Bob's own.
			doc := ts.uploaded(t, bob.Token, "notes.txt", "", "text/plain", []byte("notes"))
			ws := ts.openWS(t, streamQuery(bob.Token, nil, ""))
			ws.hello(t)
			ws.writeWS(t, protocol.Send{Type: protocol.TypeSend, ID: "w1", File: doc.ID, Text: "my notes"})
			ack := ws.expect(t, "ack", func(e protocol.Event) bool { return e.Type == protocol.TypeAck || e.Type == protocol.TypeError })
			if ack.Type != protocol.TypeAck {
				t.Fatalf("the WebSocket send of a file: %+v", ack)
			}
			ev = live.expect(t, "the WebSocket message", func(e protocol.Event) bool { return e.ID == "w1" })
			if ev.File == nil || *ev.File != doc || ev.Text != "my notes" {
				t.Fatalf("the WebSocket message carries %+v %q", ev.File, ev.Text)
			}
			// Deleted: the file is gone, the tombstone does not name it.
			last := ts.act(t, alice.Token, protocol.Action{Type: protocol.TypeDelete, ID: "d", Target: res.Seq})
			live.until(t, last)
			ts.do(t, request{method: "GET", path: "/api/files/" + pic.ID, token: bob.Token}).wantError(t, 404, protocol.CodeNotFound, "no file")
			ts.do(t, request{method: "GET", path: "/api/files/" + pic.ID + "/thumb", token: alice.Token}).wantError(t, 404, protocol.CodeNotFound, "no file")
			h := ts.do(t, request{method: "GET", path: "/api/history", token: bob.Token})
			if strings.Contains(string(h.body), "cat.png") || !strings.Contains(string(h.body), "notes.txt") {
				t.Fatalf("history after the delete: %s", h.body)
			}
		})
	}
}
