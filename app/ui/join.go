package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/protocol"
)

// joinForm takes a nickname. A refused name (taken, invalid) is shown
// inline with the server's own message, and the field keeps what was typed
// so it can be corrected.
type joinForm struct {
	app.Compo

	Client *client.Client
	// Notice explains why the form is back (e.g. the session ended).
	Notice string

	name string
	err  string
	busy bool
}

func (f *joinForm) Render() app.UI {
	return app.Main().Class("join-page").Body(
		app.Form().ID("join-form").Class("card").
			OnSubmit(f.submit).
			Body(
				app.H1().Class("brand").Text("Hark"),
				app.P().Class("lead").Text("Pick a name to join the chat."),
				app.If(f.Notice != "", func() app.UI {
					return app.P().ID("join-notice").Class("form-notice").Text(f.Notice)
				}),
				app.Label().For("name").Text("Nickname"),
				app.Div().Class("row").Body(
					app.Input().ID("name").Type("text").Name("name").
						Attr("autocomplete", "nickname").
						AutoFocus(true).
						Required(true).
						Attr("autocapitalize", "off").
						Attr("spellcheck", "false").
						Aria("invalid", f.err != "").
						Aria("describedby", "join-error").
						Value(f.name).
						OnInput(f.edit),
					f.renderButton(),
				),
				app.P().ID("join-error").Class("error").Attr("role", "alert").Text(f.err),
				f.renderPasskeyButton(),
			),
		&linkForm{Client: f.Client},
	)
}

// OnMount fills in a name typed before the app had loaded. Until the
// WebAssembly mounts, the page is go-app's prerendered HTML, whose form
// submits the plain way, a GET of /?name=..., which reloads the page and
// would lose the name. It comes back here for the person to press Join
// once more; it is not sent for them, so a link cannot make anyone join
// under a name it chose. The query goes from the address bar either way.
func (f *joinForm) OnMount(ctx app.Context) {
	u := ctx.Page().URL()
	q := u.Query()
	if !q.Has("name") {
		return
	}
	typed := q.Get("name")
	q.Del("name")
	u.RawQuery = q.Encode()
	ctx.Page().ReplaceURL(u)
	if f.name == "" && len(typed) <= protocol.MaxNameInputBytes {
		f.name = typed
	}
}

// renderButton sets disabled only while busy: go-app's prerender writes
// disabled="false" for Disabled(false), which HTML reads as disabled.
func (f *joinForm) renderButton() app.UI {
	b := app.Button().ID("join").Class("btn", "primary").Type("submit").Text("Join")
	if f.busy {
		b = b.Disabled(true).Aria("busy", "true")
	}
	return b
}

// edit keeps what is typed. A refusal is about the name as it was: once
// the name changes, the error (and the field's invalid mark) goes.
func (f *joinForm) edit(ctx app.Context, e app.Event) {
	f.name = ctx.JSSrc().Get("value").String()
	if f.err == "" {
		// Nothing else on screen depends on the text.
		ctx.PreventUpdate()
		return
	}
	f.err = ""
}

// submit registers the name. Enter in the field submits the form.
func (f *joinForm) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	name := strings.TrimSpace(f.name)
	if name == "" {
		f.err = "Type a name first."
		return
	}
	cl := f.Client
	signIn(ctx, &f.busy, &f.err, 15*time.Second, func(rctx context.Context) error {
		_, err := cl.Register(rctx, name)
		return err
	})
}

// signIn runs fn, a sign-in, off the UI goroutine under a form's busy
// and error marks: a refusal is shown in the form, a success takes the
// app to the chat.
func signIn(ctx app.Context, busy *bool, msg *string, timeout time.Duration, fn func(context.Context) error) {
	if *busy {
		return
	}
	*busy, *msg = true, ""
	call(ctx, timeout, fn, func(ctx app.Context, err error) {
		*busy = false
		if err != nil {
			*msg = refusal(err)
			return
		}
		ctx.NewAction(actionJoined)
	})
}

// refusal words an error for people: the server's own message for a
// refusal, a plain one when the server could not be reached.
func refusal(err error) string {
	if m, ok := serverSays(err); ok {
		return m
	}
	return "Cannot reach Hark (" + err.Error() + "). Check your connection and try again."
}

// serverSays is the server's own words for a refusal, if err is one.
func serverSays(err error) (string, bool) {
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.Message != "" {
		return perr.Message, true
	}
	return "", false
}
