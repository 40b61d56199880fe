//go:build !js

package client

import (
	"net/http"

	"github.com/coder/websocket"
)

// browser is false on the host, where refusals come with their status.
const browser = false

// defaultBase is empty on the host: there is no page to be same-origin with.
func defaultBase() string { return "" }

// wsDialOptions makes the WebSocket handshake use the client's HTTP client,
// so its transport (proxies, TLS roots) applies to all three transports.
func wsDialOptions(hc *http.Client) *websocket.DialOptions {
	return &websocket.DialOptions{HTTPClient: hc, CompressionMode: websocket.CompressionDisabled}
}

// fetchFailed is for the browser's fetch; on the host, failures to reach
// the server are *net.OpError.
func fetchFailed(error) bool { return false }
