package ui

import (
	"strconv"

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
			app.Main().Class("conversation").On("dragover", dragOver).On("drop", dropFile).Body(
				c.renderConversation(st),
				&composer{Client: c.client, To: c.composerTo(), Room: c.openRoom(), People: st.Users, Counts: st.Counts, Me: st.Name, Draft: c.draft, ActErr: c.actErr},
			),
			app.Div().ID("drawer").Class(c.drawerClasses()...).On("keydown", c.drawerKey).On("focusout", c.drawerFocusOut).Body(
				c.renderDrawerClose(),
				&conversationList{Entries: entries(c.model), NotifyOn: c.notifyOn, NotifyNote: c.notifyNote},
				&roomsPanel{Client: c.client, Rooms: roomEntries(c.model)},
				&roster{Client: c.client, Users: st.Users, Online: st.Online, Counts: st.Counts, Me: st.Name},
			),
			c.renderBackdrop(),
		),
	)
}

// renderHeader is the status bar, one row even on a phone: the drawer's
// button (on a phone), who you are, the connection (its menu holds the
// transport), Install, the person's devices (devices.go) and Leave.
func (c *Chat) renderHeader(st client.State) app.UI {
	return app.Header().Class("topbar").Body(
		drawerToggle(c.drawerOpen, c.unread()).OnClick(c.toggleDrawer),
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
		&devices{Client: c.client},
		app.Button().ID("leave").Class("btn").Type("button").
			OnClick(func(app.Context, app.Event) { c.leave() }).
			Text("Leave"),
	)
}

// unread is the total of unread messages, 0 before the conversations are
// made.
func (c *Chat) unread() int {
	if c.model == nil {
		return 0
	}
	return c.model.Unread()
}

// drawerToggle is the phone's button for the drawer. It carries the total
// of unread messages, since on a phone the conversations' own badges are
// in the closed drawer.
func drawerToggle(open bool, unread int) app.HTMLButton {
	label := "People and conversations"
	if unread > 0 {
		label += ", " + unreadLabel(unread)
	}
	return app.Button().ID("drawer-toggle").Class("btn", "icon", "drawer-toggle").Type("button").
		Aria("expanded", open).
		Aria("controls", "drawer").
		Body(
			app.Span().Aria("hidden", "true").Text("☰"),
			app.If(unread > 0, func() app.UI {
				return app.Span().Class("badge").Aria("hidden", "true").Text(strconv.Itoa(unread))
			}),
			app.Span().Class("visually-hidden").Text(label),
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
