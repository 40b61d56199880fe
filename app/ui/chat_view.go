package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
)

// Render shows the join form, or the chat once a name is taken. The page
// has class "ready" once the WebAssembly has mounted it (the server's
// prerendered copy has not), so tests and scripts know when it responds.
func (c *Chat) Render() app.UI {
	ready := ""
	if c.mounted {
		ready = "ready"
	}
	if !c.joined {
		return app.Div().Class("page", "page-join", ready).Body(
			c.renderBanner(),
			&joinForm{Client: c.client, Notice: c.notice},
		)
	}
	st := c.state
	return app.Div().Class("page", "page-chat", ready).Body(
		c.renderHeader(st),
		c.renderBanner(),
		app.Div().Class("chat").Body(
			app.Main().Class("conversation").Body(
				&messageList{Items: st.Messages, Me: st.Name},
				&composer{Client: c.client, To: c.to, People: st.Users, Me: st.Name},
			),
			&roster{Client: c.client, Users: st.Users, Online: st.Online, Counts: st.Counts, Me: st.Name},
		),
	)
}

// renderHeader is the status bar: who you are, the connection and the
// transport picker, Install and Leave.
func (c *Chat) renderHeader(st client.State) app.UI {
	return app.Header().Class("topbar").Body(
		app.H1().Class("brand").Text("Hark"),
		app.Span().ID("me").Class("me").Body(
			app.Text("You are "),
			app.Strong().Text(st.Name),
		),
		app.Div().ID("status").Class("status", "conn-"+string(st.Conn)).
			Attr("role", "status").
			Body(
				app.Span().Class("dot").Aria("hidden", "true"),
				app.Span().ID("conn").Class("conn").Text(ConnLabel(st, c.now)),
				app.Span().ID("active").Class("active").Text("via "+TransportLabel(st.Active)),
			),
		app.Div().Class("picker").Body(
			app.Label().For("transport").Text("Transport"),
			app.Select().ID("transport").
				OnChange(func(ctx app.Context, e app.Event) {
					c.client.SetTransport(client.Transport(ctx.JSSrc().Get("value").String()))
				}).
				Body(app.Range(transports).Slice(func(i int) app.UI {
					t := transports[i]
					return app.Option().Value(string(t)).Selected(t == st.Chosen).Text(TransportLabel(t))
				})),
		),
		app.If(c.installable, func() app.UI {
			return app.Button().ID("install").Class("btn").Type("button").
				OnClick(func(ctx app.Context, e app.Event) { ctx.ShowAppInstallPrompt() }).
				Text("Install")
		}),
		app.Button().ID("leave").Class("btn").Type("button").
			OnClick(func(app.Context, app.Event) { c.leave() }).
			Text("Leave"),
	)
}

// renderBanner offers to reload when a new release has been downloaded.
func (c *Chat) renderBanner() app.UI {
	if !c.updateAvailable {
		return nil
	}
	return app.Div().ID("update").Class("banner").Attr("role", "alert").Body(
		app.Span().Text("A new version of Hark is available."),
		app.Button().ID("reload").Class("btn").Type("button").
			OnClick(func(ctx app.Context, e app.Event) { ctx.Reload() }).
			Text("Reload"),
	)
}
