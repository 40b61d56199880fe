package web

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// wasmHandler serves web/app.wasm precompressed: app.wasm.br or app.wasm.gz
// when the request accepts that encoding and the file exists, else the raw
// file. The binary is several megabytes and compresses about four to one, and
// go-app's Handler does not compress.
type wasmHandler struct {
	dir     string
	version string
}

// encodings in order of preference: the file suffix and Content-Encoding.
var encodings = []struct{ suffix, name string }{
	{".br", "br"},
	{".gz", "gzip"},
}

func (h *wasmHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	raw := filepath.Join(h.dir, "app.wasm")
	info, err := os.Stat(raw)
	if err != nil {
		// Built by "make wasm"; a server started without it has no app to give.
		http.Error(w, "app.wasm is not built", http.StatusNotFound)
		return
	}

	path, encoding := raw, ""
	for _, e := range encodings {
		if !accepts(r.Header.Get("Accept-Encoding"), e.name) {
			continue
		}
		if _, err := os.Stat(raw + e.suffix); err == nil {
			path, encoding = raw+e.suffix, e.name
			break
		}
	}
	f, err := os.Open(path)
	if err != nil {
		http.Error(w, "app.wasm cannot be read", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, "app.wasm cannot be read", http.StatusInternalServerError)
		return
	}

	hdr := w.Header()
	hdr.Set("Content-Type", "application/wasm")
	hdr.Set(WasmLengthHeader, strconv.FormatInt(info.Size(), 10))
	hdr.Add("Vary", "Accept-Encoding")
	// Revalidate every time, as go-app does for its other resources; the
	// ETag makes that a 304 until the release changes. Each encoding is its
	// own representation, so each has its own tag.
	hdr.Set("Cache-Control", "no-cache")
	tag := h.version
	if encoding != "" {
		hdr.Set("Content-Encoding", encoding)
		tag += "-" + encoding
	}
	hdr.Set("ETag", strconv.Quote(tag))
	http.ServeContent(w, r, "app.wasm", fi.ModTime(), f)
}

// accepts reports whether an Accept-Encoding header value allows coding:
// listed (or matched by "*") with a q-value above zero.
func accepts(header, coding string) bool {
	star := false
	for _, item := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(item), ";")
		name = strings.TrimSpace(name)
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch {
		case strings.EqualFold(name, coding):
			return q > 0
		case name == "*":
			star = q > 0
		}
	}
	return star
}
