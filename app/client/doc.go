// Package client is Hark's chat client: one Client over three transports
// (WebSocket, Server-Sent Events, long polling) that owns reconnecting with
// backoff, resuming from the last seq without gaps or duplicates, reloading
// history after a reset, and an outbox that delivers each message exactly
// once however often the connection drops. History pages back through
// scrollback; Typing says its person is typing, and State.Typing says who
// else is.
//
// The same code runs in the browser (GOOS=js GOARCH=wasm, where it uses
// EventSource, the browser's WebSocket and fetch) and on the host (the load
// generator and the integration tests). Platform differences live in files
// with build tags, never in runtime switches on the platform.
//
// A Client is safe for concurrent use. The UI reads it through State, a
// copy, and learns of changes through Options.OnChange.
package client
