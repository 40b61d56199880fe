// Package ui is Hark's user interface: go-app components for the join page
// and the chat (messages, composer, roster, status bar). It runs in the
// browser as WebAssembly and, for the first paint, in the server's
// prerender; it talks to the server only through hark/app/client.
package ui

import (
	"context"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Routes registers Hark's pages with go-app. Both sides call it: the
// WebAssembly to mount the page, the server to prerender it (go-app answers
// 404 for paths with no route). Registering again replaces the same route.
func Routes() {
	app.Route("/", func() app.Composer { return &Chat{} })
}

// Actions that child components post to Chat.
const (
	// actionJoined: the join form registered a name; Chat opens the chat.
	actionJoined = "hark.joined"
	// actionTo: open the conversation with a name ("" for everyone), as
	// the conversation list, the roster and the To picker do; the
	// composer then writes there.
	actionTo = "hark.to"
	// actionOlder: the message list wants the page of messages before its
	// oldest; the value is the conversation's name ("" for everyone).
	actionOlder = "hark.older"
	// actionNotify: the notifications toggle was pressed.
	actionNotify = "hark.notify"
)

// call runs fn off the UI goroutine with a deadline of timeout, as every
// request a person starts does (join, leave, search), and hands its error
// to done back on the UI goroutine, where components may change.
func call(ctx app.Context, timeout time.Duration, fn func(context.Context) error, done func(app.Context, error)) {
	ctx.Async(func() {
		cctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		err := fn(cctx)
		ctx.Dispatch(func(ctx app.Context) { done(ctx, err) })
	})
}
