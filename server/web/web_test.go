package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wasmBody stands in for app.wasm: the handler serves bytes, whatever they are.
var wasmBody = bytes.Repeat([]byte("\x00asm fake module "), 4096)

// webDir makes a web directory like the built one, with app.wasm and the
// siblings asked for.
func webDir(t *testing.T, siblings ...string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app.wasm", wasmBody)
	write("hark.css", []byte("body{}"))
	write(".gitignore", []byte("app.wasm\n"))
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range siblings {
		switch s {
		case ".gz":
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(wasmBody)
			zw.Close()
			write("app.wasm.gz", b.Bytes())
		case ".br":
			// Not real brotli: the handler never decodes, it only picks the file.
			write("app.wasm.br", []byte("brotli bytes"))
		}
	}
	return dir
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWasmEncodings(t *testing.T) {
	t.Parallel()
	h := Handler(Config{Version: "v1", WebDir: webDir(t, ".gz", ".br")})
	tests := []struct {
		accept   string
		encoding string
		want     string
	}{
		{"gzip, deflate, br, zstd", "br", "brotli bytes"},
		{"br;q=0, gzip", "gzip", ""},
		{"gzip;q=0.5", "gzip", ""},
		{"", "", string(wasmBody)},
		{"identity", "", string(wasmBody)},
		{"br;q=0, gzip;q=0", "", string(wasmBody)},
		{"*", "br", "brotli bytes"},
		{"*;q=0, gzip", "gzip", ""},
	}
	for _, tt := range tests {
		res := get(t, h, "GET", "/web/app.wasm", map[string]string{"Accept-Encoding": tt.accept})
		b := body(t, res)
		if res.StatusCode != 200 {
			t.Fatalf("Accept-Encoding %q: status %d", tt.accept, res.StatusCode)
		}
		if got := res.Header.Get("Content-Encoding"); got != tt.encoding {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.encoding)
		}
		if got := res.Header.Get("Content-Type"); got != "application/wasm" {
			t.Errorf("Accept-Encoding %q: Content-Type %q", tt.accept, got)
		}
		if got := res.Header.Get(WasmLengthHeader); got != "69632" {
			t.Errorf("Accept-Encoding %q: %s %q, want the raw size 69632", tt.accept, WasmLengthHeader, got)
		}
		if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: no Vary", tt.accept)
		}
		if tt.encoding == "gzip" {
			zr, err := gzip.NewReader(strings.NewReader(b))
			if err != nil {
				t.Fatalf("gzip body: %v", err)
			}
			raw, _ := io.ReadAll(zr)
			if !bytes.Equal(raw, wasmBody) {
				t.Errorf("gzip body does not decode to app.wasm")
			}
		} else if b != tt.want {
			t.Errorf("Accept-Encoding %q: body of %d bytes, not the expected file", tt.accept, len(b))
		}
	}
}

func TestWasmWithoutSiblings(t *testing.T) {
	t.Parallel()
	h := Handler(Config{Version: "v1", WebDir: webDir(t)})
	res := get(t, h, "GET", "/web/app.wasm", map[string]string{"Accept-Encoding": "br, gzip"})
	if res.Header.Get("Content-Encoding") != "" || body(t, res) != string(wasmBody) {
		t.Errorf("without .br/.gz the raw file must be served")
	}
}

func TestWasmRevalidation(t *testing.T) {
	t.Parallel()
	h := Handler(Config{Version: "v1", WebDir: webDir(t, ".br")})
	res := get(t, h, "GET", "/web/app.wasm", map[string]string{"Accept-Encoding": "br"})
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, res.Header.Get("Cache-Control"))
	}
	res = get(t, h, "GET", "/web/app.wasm", map[string]string{"Accept-Encoding": "br", "If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("same ETag: status %d, want 304", res.StatusCode)
	}
	// Another encoding is another representation: never a 304 on the br tag.
	res = get(t, h, "GET", "/web/app.wasm", map[string]string{"If-None-Match": etag})
	if res.StatusCode != 200 {
		t.Errorf("identity with the br ETag: status %d, want 200", res.StatusCode)
	}
	res = get(t, h, "HEAD", "/web/app.wasm", map[string]string{"Accept-Encoding": "br"})
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "br" || body(t, res) != "" {
		t.Errorf("HEAD: status %d, encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	if res := get(t, h, "POST", "/web/app.wasm", nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d", res.StatusCode)
	}
}

// Without app.wasm (a fresh clone served with go run ./server) the page
// says what to run instead of loading for ever; once it is built, a
// reload gets the app.
func TestWasmMissing(t *testing.T) {
	t.Parallel()
	dir := webDir(t)
	os.Remove(filepath.Join(dir, "app.wasm"))
	h := Handler(Config{Version: "v1", WebDir: dir})
	if res := get(t, h, "GET", "/web/app.wasm", nil); res.StatusCode != 404 {
		t.Errorf("missing app.wasm: status %d", res.StatusCode)
	}
	if Built(dir) {
		t.Error("Built says yes without app.wasm")
	}
	for _, route := range []string{"/", "/anything"} {
		res := get(t, h, "GET", route, nil)
		b := body(t, res)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(b, "make serve") || !strings.Contains(b, "make wasm") {
			t.Errorf("GET %s without app.wasm: %d %s", route, res.StatusCode, b)
		}
	}
	if res := get(t, h, "GET", "/web/hark.css", nil); res.StatusCode != 200 {
		t.Errorf("the static files are served all the same: %d", res.StatusCode)
	}
	os.WriteFile(filepath.Join(dir, "app.wasm"), wasmBody, 0o644)
	if res := get(t, h, "GET", "/", nil); res.StatusCode != 200 || strings.Contains(body(t, res), "not built") {
		t.Errorf("GET / once built: %d", res.StatusCode)
	}
}

// The handler must not serve files outside the web directory, nor list it,
// nor show its dotfiles, even when nothing cleans the path in front of it.
func TestNoFileLeaks(t *testing.T) {
	t.Parallel()
	dir := webDir(t)
	secret := filepath.Join(filepath.Dir(dir), "go.mod")
	os.WriteFile(secret, []byte("module secret"), 0o644)
	defer os.Remove(secret)
	h := Handler(Config{Version: "v1", WebDir: dir})
	for _, p := range []string{"/web/../go.mod", "/web/..%2fgo.mod", "/web/%2e%2e/go.mod", "/web/", "/web/sub/", "/web/sub", "/web/.gitignore", "/go.mod", "/web/../../../etc/passwd"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path, r.URL.RawPath = "", ""
		r.URL, _ = r.URL.Parse(p)
		r.RequestURI = p
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		b := w.Body.String()
		if w.Code == 200 || strings.Contains(b, "module secret") || strings.Contains(b, "root:") || strings.Contains(b, "app.wasm") {
			t.Errorf("GET %s: status %d, body %.80q", p, w.Code, b)
		}
	}
	if res := get(t, h, "GET", "/web/hark.css", nil); res.StatusCode != 200 || body(t, res) != "body{}" {
		t.Errorf("GET /web/hark.css: status %d", res.StatusCode)
	}
}

func TestPageAndPWA(t *testing.T) {
	t.Parallel()
	h := Handler(Config{Version: "v42", WebDir: webDir(t)})

	res := get(t, h, "GET", "/", nil)
	page := body(t, res)
	if res.StatusCode != 200 {
		t.Fatalf("GET /: status %d", res.StatusCode)
	}
	for _, s := range []string{`href="/web/hark.css"`, `id="name"`, `/web/icon.svg`, `content="#2f5dd6"`, "<title>Hark</title>"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	if strings.Contains(page, "githubusercontent") {
		t.Errorf("page refers to go-app's remote icons")
	}
	if res := get(t, h, "GET", "/nope", nil); res.StatusCode != 404 {
		t.Errorf("GET /nope: status %d", res.StatusCode)
	}

	var manifest struct {
		Name, ShortName string
		Icons           []struct{ Src, Purpose, Sizes string }
	}
	if err := json.Unmarshal([]byte(body(t, get(t, h, "GET", "/manifest.webmanifest", nil))), &manifest); err != nil {
		t.Fatal(err)
	}
	srcs := map[string]bool{}
	for _, ic := range manifest.Icons {
		if !strings.HasPrefix(ic.Src, "/web/") {
			t.Errorf("manifest icon %q is not local", ic.Src)
		}
		srcs[ic.Src+" "+ic.Purpose] = true
	}
	for _, want := range []string{"/web/icon-192.png ", "/web/icon-512.png ", "/web/icon-maskable-512.png maskable"} {
		if !srcs[want] {
			t.Errorf("manifest lacks icon %q: %v", want, manifest.Icons)
		}
	}
	if manifest.Name != "Hark" {
		t.Errorf("manifest name %q", manifest.Name)
	}

	js := body(t, get(t, h, "GET", "/app.js", nil))
	for _, s := range []string{`"GOAPP_VERSION":"v42"`, `"` + WasmLengthHeader + `"`} {
		if !strings.Contains(js, s) {
			t.Errorf("app.js lacks %s", s)
		}
	}
	worker := body(t, get(t, h, "GET", "/app-worker.js", nil))
	for _, s := range []string{`"app-" + "v42"`, `path.startsWith("/api/")`, `"/web/app.wasm"`, `"/web/icon.svg"`} {
		if !strings.Contains(worker, s) {
			t.Errorf("app-worker.js lacks %s", s)
		}
	}
	if strings.Contains(worker, "{{") {
		t.Errorf("app-worker.js has an unfilled template field")
	}
}

func TestVersionFallback(t *testing.T) {
	t.Parallel()
	dir := webDir(t)
	js := body(t, get(t, Handler(Config{WebDir: dir}), "GET", "/app.js", nil))
	js2 := body(t, get(t, Handler(Config{WebDir: dir}), "GET", "/app.js", nil))
	if js != js2 {
		t.Errorf("two handlers of one app.wasm have different versions")
	}
	if !strings.Contains(js, `"GOAPP_VERSION":"`+fileVersion(filepath.Join(dir, "app.wasm"))+`"`) {
		t.Errorf("app.js does not carry the app.wasm hash as version")
	}
	if v := fileVersion(filepath.Join(dir, "none.wasm")); v != "dev" {
		t.Errorf("fileVersion of a missing file = %q", v)
	}
}

func TestAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header, coding string
		want           bool
	}{
		{"gzip, br", "br", true},
		{"GZIP", "gzip", true},
		{"gzip;q=0", "gzip", false},
		{"gzip; q=0.001", "gzip", true},
		{"gzip ; Q=0", "gzip", false},
		{"deflate", "gzip", false},
		{"", "gzip", false},
		{"*", "br", true},
		{"*, br;q=0", "br", false},
		{"*;q=0", "gzip", false},
		{"gzip;q=bogus", "gzip", true},
	}
	for _, tt := range tests {
		if got := accepts(tt.header, tt.coding); got != tt.want {
			t.Errorf("accepts(%q, %q) = %v, want %v", tt.header, tt.coding, got, tt.want)
		}
	}
}
