package ui

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
)

// connMenu is the connection indicator in the header and the small menu it
// opens: what the connection is doing (with a countdown while waiting to
// retry), the transport in use and the transport picker. The header stays
// one row on a phone because the transport lives here, not there.
//
// The menu is a disclosure: the button says whether it is open
// (aria-expanded), Escape closes it and gives the focus back to the
// button, and so does moving the focus elsewhere or clicking outside.
type connMenu struct {
	app.Compo

	Client *client.Client
	// The parts of the client's state shown here, and only those: a
	// component re-renders when an exported field changes.
	Conn    client.ConnState
	RetryAt time.Time
	Active  client.Transport
	Chosen  client.Transport

	open bool
	// from is when the current RetryAt was first seen: the countdown
	// starts from the delay the client chose then.
	from    time.Time
	retryAt time.Time
	// armed is the RetryAt a tick is pending for, so that one wait
	// gets one chain of ticks however often the component updates.
	armed time.Time
}

// state is the part of the client's state the labels read.
func (m *connMenu) state() client.State {
	return client.State{Conn: m.Conn, RetryAt: m.RetryAt, Active: m.Active, Chosen: m.Chosen}
}

func (m *connMenu) OnMount(ctx app.Context)  { m.follow(ctx) }
func (m *connMenu) OnUpdate(ctx app.Context) { m.follow(ctx) }

// follow notes a new wait and keeps its countdown ticking: one update when
// the number shown changes, none in between, none while connected.
func (m *connMenu) follow(ctx app.Context) {
	m.note()
	st := m.state()
	if !app.IsClient || !Waiting(st) || m.armed.Equal(st.RetryAt) {
		return
	}
	m.arm(ctx, st.RetryAt)
}

// note starts the countdown from now when RetryAt is new. Render calls it
// too: the first render comes before OnMount.
func (m *connMenu) note() {
	if !m.RetryAt.Equal(m.retryAt) {
		m.retryAt, m.from = m.RetryAt, time.Now()
	}
}

// arm schedules the next redraw of the countdown for the wait ending at
// at; a tick for a wait that has since ended stops there.
func (m *connMenu) arm(ctx app.Context, at time.Time) {
	_, holds := Countdown(m.from, at, time.Now())
	if holds <= 0 {
		return
	}
	m.armed = at
	// A timer, not ctx.After: After is tracked work that go-app waits
	// for (as a test engine's ConsumeAll does), and a countdown is not
	// work to finish.
	time.AfterFunc(holds+10*time.Millisecond, func() {
		ctx.Dispatch(func(ctx app.Context) {
			if !m.RetryAt.Equal(at) || !Waiting(m.state()) {
				ctx.PreventUpdate()
				return
			}
			m.arm(ctx, at)
		})
	})
}

func (m *connMenu) Render() app.UI {
	m.note()
	st := m.state()
	retry := RetryLabel(st, m.from, time.Now())
	return app.Div().ID("connection").Class("connection", "conn-"+string(st.Conn)).
		On("keydown", m.onKey).
		On("focusout", m.onFocusOut).
		Body(
			// The label is a live region of its own, outside the button
			// (a button's content is not announced as it changes) and
			// without the countdown, which would be read every second.
			app.Span().ID("conn-live").Class("visually-hidden").Attr("role", "status").
				Text("Connection: "+ConnLabel(st)),
			app.Button().ID("status").Class("status").Type("button").
				Aria("expanded", m.open).
				Aria("controls", "conn-menu").
				Title("Connection and transport").
				OnClick(m.toggle).
				Body(
					app.Span().Class("dot").Aria("hidden", "true"),
					app.Span().Class("visually-hidden").Text("Connection: "),
					app.Span().ID("conn").Class("conn").Text(ConnLabel(st)),
					app.If(retry != "", func() app.UI { return renderRetry(retry) }),
					app.Span().Class("caret").Aria("hidden", "true").Text("▾"),
				),
			m.renderMenu(),
		)
}

// renderMenu is the menu's body. It stays in the page while closed
// (hidden), so its ids are always there to read.
func (m *connMenu) renderMenu() app.UI {
	st := m.state()
	menu := app.Div().ID("conn-menu").Class("conn-menu").
		Attr("role", "group").
		Aria("label", "Connection").
		TabIndex(-1).
		Body(
			app.P().Class("conn-detail").Body(
				app.Span().Text(ConnLabel(st)),
				// "via …" only when there is a transport in use: never
				// "via none".
				app.If(st.Active != "", func() app.UI {
					return app.Span().ID("active").Class("active").Text("via " + TransportLabel(st.Active))
				}),
			),
			app.If(st.Conn == client.Offline, func() app.UI {
				return app.P().Class("conn-note").Text("The server cannot be reached. Messages you write wait here and go out when it is back.")
			}),
			app.Label().For("transport").Text("Transport"),
			app.Select().ID("transport").
				OnChange(func(ctx app.Context, e app.Event) {
					m.Client.SetTransport(client.Transport(ctx.JSSrc().Get("value").String()))
				}).
				Body(app.Range(transports).Slice(func(i int) app.UI {
					t := transports[i]
					return app.Option().Value(string(t)).Selected(t == st.Chosen).Text(TransportLabel(t))
				})),
		)
	if !m.open {
		menu = menu.Hidden(true)
	}
	return menu
}

// toggle opens the menu, focusing the picker, or closes it.
func (m *connMenu) toggle(ctx app.Context, e app.Event) {
	m.open = !m.open
	if m.open {
		ctx.Defer(func(app.Context) { focus("transport") })
	}
}

// onKey closes the menu on Escape and gives the focus back to the button.
func (m *connMenu) onKey(ctx app.Context, e app.Event) {
	if !m.open || e.Get("key").String() != "Escape" {
		ctx.PreventUpdate()
		return
	}
	e.PreventDefault()
	m.open = false
	ctx.Defer(func(app.Context) { focus("status") })
}

// onFocusOut closes the menu when the focus leaves it and its button: a
// Tab past its end, or a click elsewhere on the page.
func (m *connMenu) onFocusOut(ctx app.Context, e app.Event) {
	next := e.Get("relatedTarget")
	if !m.open || next.Truthy() && ctx.JSSrc().Call("contains", next).Bool() {
		ctx.PreventUpdate()
		return
	}
	m.open = false
}

// renderRetry shows RetryLabel's text; on a phone its words are left to
// screen readers ("Offline 7s" fits the header's one row, "Offline retry
// in 7s" may not).
func renderRetry(label string) app.UI {
	span := app.Span().ID("retry").Class("retry")
	if secs, ok := strings.CutPrefix(label, retryIn); ok {
		return span.Body(app.Span().Class("retry-words").Text(retryIn), app.Text(secs))
	}
	return span.Text(label)
}
