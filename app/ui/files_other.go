//go:build !(js && wasm)

package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Outside the browser (the server's prerender, host tests) there are no
// files to show: these are never reached with data.

func blobURL([]byte, string) string { return "" }

func saveBlob(string, string) {}

func readFile(app.Value, func([]byte)) {}

func focusSelector(string) {}
