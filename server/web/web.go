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
		Styles:                  []string{"/web/hark.css"},
		CacheableResources:      []string{"/web/icon.svg"},
		Version:                 cfg.Version,
		Resources:               files,
		WasmContentLengthHeader: WasmLengthHeader,
		ServiceWorkerTemplate:   serviceWorkerTemplate,
	}

	mux := http.NewServeMux()
	mux.Handle("/web/app.wasm", &wasmHandler{dir: cfg.WebDir, version: cfg.Version})
	mux.Handle("/", page)
	return mux
}

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
