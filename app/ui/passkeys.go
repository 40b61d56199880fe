package ui

import (
	"context"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
)

// passkeyTimeout bounds a passkey ceremony: the person touches their
// authenticator or unlocks it meanwhile.
const passkeyTimeout = 2 * time.Minute

// passkeyKeeper is the part of "Add a device" that keeps the name with a
// passkey: "Keep my name with a passkey" makes one; once the name has
// one it says so, with Remove.
type passkeyKeeper struct {
	app.Compo

	Client *client.Client

	count int
	known bool // count was read from the server
	err   string
	busy  bool
}

// OnMount asks whether the name already has a passkey.
func (p *passkeyKeeper) OnMount(ctx app.Context) {
	cl := p.Client
	var n int
	call(ctx, 15*time.Second, func(c context.Context) (err error) {
		n, err = cl.Passkeys(c)
		return err
	}, func(ctx app.Context, err error) {
		p.count, p.known = n, err == nil
	})
}

func (p *passkeyKeeper) Render() app.UI {
	var body app.UI
	switch {
	case !p.known && p.err == "":
		body = app.P().Text("")
	case p.count > 0:
		body = app.Div().Class("passkey-kept").Body(
			app.P().ID("passkey-kept").Text("Your name is kept with a passkey."),
			app.Button().ID("passkey-remove").Class("btn").Type("button").OnClick(p.remove).Text("Remove"),
		)
	default:
		body = app.Button().ID("passkey-add").Class("btn").Type("button").OnClick(p.add).
			Text("Keep my name with a passkey")
	}
	return app.Div().ID("passkeys").Class("passkeys").Body(
		body,
		app.If(p.err != "", func() app.UI {
			return app.P().ID("passkey-error").Class("error").Attr("role", "alert").Text(p.err)
		}),
	)
}

// add makes a passkey and keeps it on the server.
func (p *passkeyKeeper) add(ctx app.Context, e app.Event) { p.run(ctx, p.Client.AddPasskey, 1) }

// remove forgets the name's passkeys.
func (p *passkeyKeeper) remove(ctx app.Context, e app.Event) {
	p.run(ctx, p.Client.RemovePasskeys, 0)
}

// run calls fn off the UI goroutine; once it succeeds the name has
// count passkeys.
func (p *passkeyKeeper) run(ctx app.Context, fn func(context.Context) error, count int) {
	if p.busy {
		return
	}
	p.busy, p.err = true, ""
	call(ctx, passkeyTimeout, fn, func(ctx app.Context, err error) {
		p.busy, p.known = false, true
		if err != nil {
			p.err = refusal(err)
			return
		}
		p.count = count
	})
}

// renderPasskeyButton is the join form's "Sign in with a passkey", under
// the name and Join (beside them it does not fit a phone): it signs in
// to the name typed.
func (f *joinForm) renderPasskeyButton() app.UI {
	return app.Button().ID("join-passkey").Class("btn", "passkey-signin").Type("button").
		OnClick(f.signInWithPasskey).Text("Sign in with a passkey")
}

func (f *joinForm) signInWithPasskey(ctx app.Context, e app.Event) {
	name := strings.TrimSpace(f.name)
	if name == "" {
		f.err = "Type the name your passkey keeps first."
		return
	}
	cl := f.Client
	signIn(ctx, &f.busy, &f.err, passkeyTimeout, func(c context.Context) error {
		_, err := cl.SignInWithPasskey(c, name)
		return err
	})
}
