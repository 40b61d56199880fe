package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The drawer holds the side panels (the people online, the conversations).
// On a wide screen it is a column beside the conversation and always
// shown; on a phone it is hidden until its header button opens it over the
// conversation, so the messages get the whole screen. The stylesheet
// decides which, by the screen's width: the state here is only "open".

func (c *Chat) drawerClasses() []string {
	if c.drawerOpen {
		return []string{"drawer", "open"}
	}
	return []string{"drawer"}
}

// toggleDrawer opens the drawer, focusing its first control, or closes it.
func (c *Chat) toggleDrawer(ctx app.Context, e app.Event) {
	if c.drawerOpen {
		c.closeDrawer(ctx, false)
		return
	}
	c.drawerOpen = true
	ctx.Defer(func(app.Context) { focusFirstIn("drawer") })
}

// closeDrawer closes the drawer; refocus gives the focus back to its
// button, as after Escape (not after a choice that moves it elsewhere).
func (c *Chat) closeDrawer(ctx app.Context, refocus bool) {
	c.drawerOpen = false
	if refocus {
		ctx.Defer(func(app.Context) { focus("drawer-toggle") })
	}
}

// drawerKey closes an open drawer on Escape.
func (c *Chat) drawerKey(ctx app.Context, e app.Event) {
	if !c.drawerOpen || e.Get("key").String() != "Escape" {
		ctx.PreventUpdate()
		return
	}
	e.PreventDefault()
	c.closeDrawer(ctx, true)
}

// drawerFocusOut closes an open drawer when the focus leaves it for the
// page behind (Tab past its end, Shift+Tab before its start): what has the
// focus is then on screen, not under the drawer. Its own button toggles it.
func (c *Chat) drawerFocusOut(ctx app.Context, e app.Event) {
	next := e.Get("relatedTarget")
	if !c.drawerOpen || !next.Truthy() || ctx.JSSrc().Call("contains", next).Bool() || next.Get("id").String() == "drawer-toggle" {
		ctx.PreventUpdate()
		return
	}
	c.drawerOpen = false
}

// renderDrawerClose is the drawer's own Close button, shown on a phone
// only: the drawer covers the header's button.
func (c *Chat) renderDrawerClose() app.UI {
	return app.Button().ID("drawer-close").Class("btn", "drawer-close").Type("button").
		OnClick(func(ctx app.Context, e app.Event) { c.closeDrawer(ctx, true) }).
		Text("Close")
}

// renderBackdrop dims the conversation behind an open drawer; a click on
// it closes the drawer. It is not a control of its own (Escape and the
// header button do the same by keyboard), so it is hidden from assistive
// technology.
func (c *Chat) renderBackdrop() app.UI {
	if !c.drawerOpen {
		return nil
	}
	return app.Div().Class("backdrop").Aria("hidden", "true").
		OnClick(func(ctx app.Context, e app.Event) { c.closeDrawer(ctx, true) })
}

// focusFirstIn focuses the first control inside the element with the
// given id.
func focusFirstIn(id string) {
	if !app.IsClient {
		return
	}
	el := app.Window().GetElementByID(id)
	if !el.Truthy() {
		return
	}
	if first := el.Call("querySelector", "button, input, select, textarea, a[href]"); first.Truthy() {
		first.Call("focus")
	}
}
