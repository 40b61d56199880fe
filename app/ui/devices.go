package ui

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"rsc.io/qr"

	"hark/app/client"
	"hark/app/protocol"
)

// actionLeaveEverywhere: the header's "Sign out everywhere", confirmed;
// Chat signs the person out of every device and shows the join form.
const actionLeaveEverywhere = "hark.leave-everywhere"

// linkParam is the query parameter of a link that signs a device in:
// https://host/?link=CODE, what the QR code of "Add a device" holds.
const linkParam = "link"

// devices is the header's part for the person's devices: "Add a device"
// opens a dialog with a one-time code, its countdown and its QR code;
// "Sign out everywhere" asks first, then ends every device's session.
type devices struct {
	app.Compo

	Client *client.Client

	open    bool // the add-a-device dialog
	code    protocol.DeviceCode
	qr      string // the QR code of the link, a data: URL of a PNG
	left    time.Duration
	err     string
	busy    bool
	confirm bool // "Sign out everywhere" asked, not yet confirmed

	ctx app.Context
	// stopTick ends the dialog's countdown; nil while none runs.
	stopTick context.CancelFunc
}

func (d *devices) OnMount(ctx app.Context) { d.ctx = ctx }

func (d *devices) OnDismount() { d.stopCountdown() }

func (d *devices) Render() app.UI {
	return app.Span().Class("devices").Body(
		app.Button().ID("add-device").Class("btn").Type("button").
			Aria("haspopup", "dialog").
			OnClick(d.show).
			Body(labels("Add a device", "+")...),
		app.Button().ID("leave-everywhere").Class("btn", "wide-only").Type("button").
			Aria("haspopup", "dialog").
			OnClick(d.askEverywhere).
			Text("Sign out everywhere"),
		app.If(d.confirm, d.renderConfirm),
		app.If(d.open, d.renderDialog),
	)
}

// labels are a button's words and, for a phone's one-row header, a short
// sign shown instead; the words stay for screen readers (and are the
// button's name).
func labels(words, sign string) []app.UI {
	return []app.UI{
		app.Span().Class("label-long").Text(words),
		app.Span().Class("label-short").Aria("hidden", "true").Text(sign),
	}
}

// renderConfirm asks before signing out everywhere: it cannot be undone
// from the other devices.
func (d *devices) renderConfirm() app.UI {
	return app.Div().ID("everywhere-dialog").Class("card", "device-dialog").
		Attr("role", "alertdialog").Aria("modal", "true").Aria("labelledby", "everywhere-title").
		Body(
			app.H2().ID("everywhere-title").Text("Sign out on every device?"),
			app.P().Text("Every device signed in as you, this one too, goes back to the sign-in, and your name is freed."),
			app.Div().Class("row").Body(
				app.Button().ID("everywhere-yes").Class("btn", "primary").Type("button").
					OnClick(func(ctx app.Context, e app.Event) {
						d.confirm = false
						ctx.NewAction(actionLeaveEverywhere)
					}).
					Text("Sign out everywhere"),
				app.Button().ID("everywhere-no").Class("btn").Type("button").
					OnClick(func(ctx app.Context, e app.Event) {
						d.confirm = false
						ctx.Defer(func(app.Context) { focus("add-device") })
					}).
					Text("Cancel"),
			),
		)
}

func (d *devices) renderDialog() app.UI {
	var body app.UI
	switch {
	case d.err != "":
		body = app.P().ID("device-error").Class("error").Attr("role", "alert").Text(d.err)
	case d.busy || d.code.Code == "":
		body = app.P().Text("Making a code…")
	case d.left <= 0:
		body = app.P().ID("device-expiry").Text("This code has expired.")
	default:
		body = app.Div().Class("device-code-box").Body(
			app.P().Text("On the other device, open Hark and enter this code, or scan the QR code:"),
			app.P().ID("device-code").Class("device-code").Text(d.code.Code),
			app.P().ID("device-expiry").Class("lead").Aria("live", "polite").
				Text("Valid for "+countdown(d.left)+", once."),
			app.Img().ID("device-qr").Class("device-qr").Src(d.qr).
				Alt("QR code of a link that signs a device in with the code "+spelled(d.code.Code)),
		)
	}
	return app.Div().ID("device-dialog").Class("card", "device-dialog").
		Attr("role", "dialog").Aria("modal", "true").Aria("labelledby", "device-title").
		Body(
			app.H2().ID("device-title").Text("Add a device"),
			body,
			&passkeyKeeper{Client: d.Client},
			app.Div().Class("row").Body(
				app.If(d.left <= 0 || d.err != "", func() app.UI {
					return app.Button().ID("device-again").Class("btn").Type("button").OnClick(d.show).Text("New code")
				}),
				app.Button().ID("device-close").Class("btn").Type("button").OnClick(d.hide).Text("Close"),
			),
			// On a phone the header has no room for it: it is here.
			app.Button().ID("device-everywhere").Class("btn", "link-btn").Type("button").
				OnClick(d.askEverywhere).
				Text("Sign out everywhere…"),
		)
}

// askEverywhere closes the code's dialog and asks to confirm signing out
// everywhere.
func (d *devices) askEverywhere(ctx app.Context, e app.Event) {
	d.open, d.confirm = false, true
	d.stopCountdown()
	ctx.Defer(func(app.Context) { focus("everywhere-no") })
}

// show opens the dialog with a fresh code.
func (d *devices) show(ctx app.Context, e app.Event) {
	if d.busy {
		return
	}
	d.open, d.busy, d.err, d.code = true, true, "", protocol.DeviceCode{}
	d.stopCountdown()
	cl := d.Client
	var dc protocol.DeviceCode
	call(ctx, 10*time.Second, func(rctx context.Context) (err error) {
		dc, err = cl.DeviceCode(rctx)
		return err
	}, func(ctx app.Context, err error) {
		d.busy = false
		if err != nil {
			d.err = refusal(err)
			return
		}
		d.code, d.qr = dc, qrImage(linkURL(ctx.Page().URL(), dc.Code))
		d.startCountdown()
		ctx.Defer(func(app.Context) { focus("device-close") })
	})
}

func (d *devices) hide(ctx app.Context, e app.Event) {
	d.open = false
	d.stopCountdown()
	ctx.Defer(func(app.Context) { focus("add-device") })
}

// startCountdown updates the time left every second until the code
// expires or the dialog closes.
func (d *devices) startCountdown() {
	life, stop := context.WithCancel(context.Background())
	d.stopTick = stop
	exp := d.code.Expires.Time
	d.left = time.Until(exp)
	ctx := d.ctx
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-life.Done():
				return
			case <-t.C:
			}
			left := time.Until(exp)
			ctx.Dispatch(func(app.Context) { d.left = left })
			if left <= 0 {
				return
			}
		}
	}()
}

func (d *devices) stopCountdown() {
	if d.stopTick != nil {
		d.stopTick()
		d.stopTick = nil
	}
}

// countdown words a time left as m:ss.
func countdown(left time.Duration) string {
	s := int(left.Round(time.Second).Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// spelled spaces a code's characters, so a screen reader says each.
func spelled(code string) string { return strings.Join(strings.Split(code, ""), " ") }

// linkURL is the app's address that signs a device in with code.
func linkURL(page *url.URL, code string) string {
	u := url.URL{Scheme: page.Scheme, Host: page.Host, Path: "/", RawQuery: url.Values{linkParam: {code}}.Encode()}
	return u.String()
}

// qrImage is the QR code of text as a data: URL of a PNG, "" if text does
// not fit one.
func qrImage(text string) string {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return ""
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(c.PNG())
}

// leaveEverywhere signs the person out of every device and goes back to
// the join form.
func (c *Chat) leaveEverywhere() {
	c.leaveWith(c.client.LeaveEverywhere, func(err error) string {
		if err != nil {
			return "You left here, but the server could not sign out your other devices (" + err.Error() + "); try again from one of them."
		}
		return "You signed out on every device."
	})
}

// linkForm signs this device in with a code from another of the
// person's devices. A link with ?link=CODE (the QR code's) fills it in;
// the person presses Sign in, as with a name on the join form, so that a
// link someone sends cannot sign a browser in as them unasked.
type linkForm struct {
	app.Compo

	Client *client.Client

	code string
	err  string
	busy bool
}

func (f *linkForm) Render() app.UI {
	b := app.Button().ID("link").Class("btn").Type("submit").Text("Sign in")
	if f.busy {
		b = b.Disabled(true).Aria("busy", "true")
	}
	return app.Form().ID("link-form").Class("card", "link-card").OnSubmit(f.submit).Body(
		app.Label().For("link-code").Text("Have a code from another device?"),
		app.Div().Class("row").Body(
			app.Input().ID("link-code").Type("text").Name("link").
				Placeholder("XXXX-XXXX").
				Attr("autocomplete", "one-time-code").
				Attr("autocapitalize", "characters").
				Attr("spellcheck", "false").
				Aria("invalid", f.err != "").
				Aria("describedby", "link-error").
				Value(f.code).
				OnInput(func(ctx app.Context, e app.Event) {
					f.code = ctx.JSSrc().Get("value").String()
					f.err = ""
				}),
			b,
		),
		app.P().ID("link-error").Class("error").Attr("role", "alert").Text(f.err),
	)
}

// OnMount takes a code from the address (the QR code's link, or the
// prerendered form submitted before the app loaded), clears it from the
// address bar, and puts it in the form with the focus on Sign in.
func (f *linkForm) OnMount(ctx app.Context) {
	u := ctx.Page().URL()
	q := u.Query()
	if !q.Has(linkParam) {
		return
	}
	code := q.Get(linkParam)
	q.Del(linkParam)
	u.RawQuery = q.Encode()
	ctx.Page().ReplaceURL(u)
	if len(code) > 32 {
		return
	}
	f.code = code
	ctx.Defer(func(app.Context) { focus("link") })
}

func (f *linkForm) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	f.send(ctx)
}

func (f *linkForm) send(ctx app.Context) {
	code := strings.TrimSpace(f.code)
	if code == "" {
		f.err = "Type the code shown on your other device."
		return
	}
	cl := f.Client
	signIn(ctx, &f.busy, &f.err, 15*time.Second, func(rctx context.Context) error {
		_, err := cl.Link(rctx, code)
		return err
	})
}
