// Package web serves the Hark progressive web app: the go-app page, its
// manifest and service worker, the static files of the web directory, and the
// WebAssembly binary, precompressed.
//
// The server mounts Handler at "/" of an http.ServeMux, beside "/api/".
// Nothing here is compiled into the WebAssembly: only the server imports it.
package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/ui"
)

// WasmLengthHeader carries the uncompressed size of app.wasm. go-app's loader
// shows progress as bytes decoded over this total; Content-Length would be
// the compressed size and the bar would pass 100%.
const WasmLengthHeader = "X-Wasm-Content-Length"

// Colours shared by the manifest, the page's meta tags and hark.css.
const (
	themeColor      = "#2f5dd6"
	backgroundColor = "#f5f6fa"
)

// Config says where the web files are and which release is served.
type Config struct {
	// Version names the release. Clients compare it to decide that an update
	// is available, so it must change exactly when the app changes: set it at
	// build time (-ldflags "-X main.version=..."). If empty, the version is a
	// hash of WebDir/app.wasm, or "dev" when there is no app.wasm.
	Version string
	// WebDir is the directory served as /web/: icons, hark.css and app.wasm
	// with its .br and .gz siblings. Default "web".
	WebDir string
}

// Handler returns the handler for every path that is not the API: the page
// at "/", go-app's resources (/app.js, /app-worker.js, /manifest.webmanifest,
// /wasm_exec.js, /app.css) and the files under /web/.
func Handler(cfg Config) http.Handler {
	if cfg.WebDir == "" {
		cfg.WebDir = "web"
	}
	if cfg.Version == "" {
		cfg.Version = fileVersion(filepath.Join(cfg.WebDir, "app.wasm"))
	}
	ui.Routes()

	files := newStaticFiles(cfg.WebDir)
	page := &app.Handler{
		Name:            "Hark",
		ShortName:       "Hark",
		Title:           "Hark",
		Description:     "A real-time chat you can install as an app.",
		Lang:            "en",
		ThemeColor:      themeColor,
		BackgroundColor: backgroundColor,
		LoadingLabel:    "Loading Hark… {progress}%",
		Icon: app.Icon{
			Default:  "/web/icon-192.png",
			Large:    "/web/icon-512.png",
			Maskable: "/web/icon-maskable-512.png",
			SVG:      "/web/icon.svg",
		},
		Styles:                  []string{"/web/hark.css", "/web/devices.css"},
		CacheableResources:      []string{"/web/icon.svg"},
		Version:                 cfg.Version,
		Resources:               files,
		WasmContentLengthHeader: WasmLengthHeader,
		ServiceWorkerTemplate:   serviceWorkerTemplate,
	}

	mux := http.NewServeMux()
	mux.Handle("/web/app.wasm", &wasmHandler{dir: cfg.WebDir, version: cfg.Version})
	mux.Handle("/", notBuilt{dir: cfg.WebDir, page: page})
	return mux
}

// Built reports whether dir holds the web app's WebAssembly: without it
// the page cannot start (make wasm builds it; make serve does too).
func Built(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "app.wasm"))
	return err == nil && fi.Mode().IsRegular()
}

// notBuilt answers the page's routes, while the web directory holds no
// app.wasm, with a page that says so and what to run, rather than
// go-app's loader, which would sit at 100% for ever (a fresh clone served
// with go run ./server). It looks at every page request, so building the
// app and reloading is enough.
type notBuilt struct {
	dir  string
	page http.Handler
}

func (h notBuilt) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && path.Ext(r.URL.Path) == "" && !Built(h.dir) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, notBuiltPage)
		return
	}
	h.page.ServeHTTP(w, r)
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hark is not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36em; margin: 3em auto; padding: 0 1em">
<h1>Hark's web app is not built</h1>
<p>The server runs, but its web directory has no <code>app.wasm</code>, the app this page would load.</p>
<p>In the repository, run <code>make serve</code> (it builds the app and starts the server),
or <code>make wasm</code> and start the server again with <code>-web</code> pointing at <code>web/</code>. Then reload this page.</p>
</body></html>
`

// fileVersion names a release by the content of its WebAssembly, so an
// unset version still changes exactly when the app does.
func fileVersion(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "dev"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "dev"
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
