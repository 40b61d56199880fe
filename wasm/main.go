// Command wasm is Hark's browser app: built with GOOS=js GOARCH=wasm into
// web/app.wasm, which go-app's loader starts in the page.
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/ui"
)

// version is set at build time (-ldflags "-X main.version=..."); the server
// pins the same value, which is how the service worker tells releases apart.
var version = "dev"

func main() {
	ui.Routes()
	app.Log("Hark " + version)
	app.RunWhenOnBrowser()
}
