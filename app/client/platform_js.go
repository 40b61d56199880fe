//go:build js && wasm

package client

import (
	"net/http"
	"strings"
	"syscall/js"

	"github.com/coder/websocket"
)

// browser is true in the browser, where a refused WebSocket or
// EventSource does not say why, so the client asks the server (probe).
const browser = true

// defaultBase is the page's origin: net/http over fetch needs absolute URLs.
func defaultBase() string { return js.Global().Get("location").Get("origin").String() }

// wsDialOptions: the browser's WebSocket takes no client and no headers.
func wsDialOptions(*http.Client) *websocket.DialOptions { return nil }

// fetchFailed reports a request that fetch could not make at all: the
// browser says only that, in words of its own (Chrome, Firefox, Safari).
func fetchFailed(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "Failed to fetch") || strings.Contains(s, "NetworkError") || strings.Contains(s, "Load failed")
}
