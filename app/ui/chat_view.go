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
				c.renderConversation(st),
				&composer{Client: c.client, To: c.to, People: st.Users, Counts: st.Counts, Me: st.Name},
			),
			app.Div().ID("drawer").Class(c.drawerClasses()...).On("keydown", c.drawerKey).On("focusout", c.drawerFocusOut).Body(
				c.renderDrawerClose(),
				&conversationList{Entries: entries(c.model), NotifyOn: c.notifyOn, NotifyNote: c.notifyNote},
				&roster{Client: c.client, Users: st.Users, Online: st.Online, Counts: st.Counts, Me: st.Name},
			),
			c.renderBackdrop(),
		),
	)
}

// renderHeader is the status bar, one row even on a phone: the drawer's
// button (on a phone), who you are, the connection (its menu holds the
// transport), Install and Leave.
func (c *Chat) renderHeader(st client.State) app.UI {
	return app.Header().Class("topbar").Body(
		app.Button().ID("drawer-toggle").Class("btn", "icon", "drawer-toggle").Type("button").
			Aria("expanded", c.drawerOpen).
			Aria("controls", "drawer").
			OnClick(c.toggleDrawer).
			Body(
				app.Span().Aria("hidden", "true").Text("☰"),
				app.Span().Class("visually-hidden").Text("People and conversations"),
			),
		app.H1().Class("brand").Text("Hark"),
		app.Span().ID("me").Class("me").Body(
			app.Span().Class("me-prefix").Text("You are "),
			app.Strong().Text(st.Name),
		),
		&connMenu{Client: c.client, Conn: st.Conn, RetryAt: st.RetryAt, Active: st.Active, Chosen: st.Chosen},
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
