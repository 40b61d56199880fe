//go:build !js

package ui

import "hark/app/client"

// newStore is the client's memory store outside the browser, where the
// page is only prerendered or tested and nothing survives a reload.
func newStore() client.Store { return client.NewMemoryStore() }
