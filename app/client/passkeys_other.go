//go:build !(js && wasm)

package client

import (
	"context"
	"encoding/json"
)

// createCredential has no authenticator to ask outside a browser.
func createCredential(context.Context, json.RawMessage) (json.RawMessage, error) {
	return nil, ErrNoPasskeys
}

// getCredential has no authenticator to ask outside a browser.
func getCredential(context.Context, json.RawMessage) (json.RawMessage, error) {
	return nil, ErrNoPasskeys
}
