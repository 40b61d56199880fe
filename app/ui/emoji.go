package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/markup"
)

// emojiColumns is how many emoji a row of the picker holds: the arrow
// keys move by one, or by a row. The stylesheet lays the grid out in as
// many columns.
const emojiColumns = 8

// emojiPicker is the composer's Emoji button and the panel it opens: a
// search box (by shortcode) and a grid of emoji buttons, each named by
// its shortcode. A pick, by mouse or by Enter, goes into the message at
// the caret and the focus goes back to the text; Escape closes the panel
// and gives the focus back to the button; the arrow keys move in the
// grid.
type emojiPicker struct {
	app.Compo

	open  bool
	query string
}

func (p *emojiPicker) Render() app.UI {
	return app.Div().Class("emoji-picker").Body(
		app.Button().ID("emoji-toggle").Class("btn", "emoji-toggle").Type("button").
			Aria("label", "Emoji").Title("Emoji").
			Aria("expanded", strconv.FormatBool(p.open)).
			Aria("controls", "emoji-panel").
			OnClick(p.toggle).
			Body(app.Span().Aria("hidden", "true").Text("☺")),
		app.If(p.open, p.renderPanel),
	)
}

func (p *emojiPicker) renderPanel() app.UI {
	found := markup.SearchShortcodes(p.query, len(markup.Shortcodes()))
	return app.Div().ID("emoji-panel").Class("emoji-panel").
		Attr("role", "dialog").Aria("label", "Emoji").
		OnKeyDown(p.key).
		Body(
			app.Input().ID("emoji-search").Type("search").
				Placeholder("Search emoji").Aria("label", "Search emoji").
				AutoComplete(false).
				Value(p.query).
				OnInput(func(ctx app.Context, e app.Event) { p.query = ctx.JSSrc().Get("value").String() }),
			app.If(len(found) == 0, func() app.UI {
				return app.P().Class("emoji-none").Text("No emoji named so.")
			}),
			app.Div().ID("emoji-grid").Class("emoji-grid").
				Attr("role", "group").Aria("label", "Emoji").
				Body(app.Range(found).Slice(func(i int) app.UI {
					s := found[i]
					name := s.Names[0]
					return app.Button().Type("button").
						Aria("label", name).Title(":"+name+":").
						OnClick(func(ctx app.Context, e app.Event) { p.pick(ctx, s.Emoji) }, app.EventScope(s.Emoji)).
						Text(s.Emoji)
				})),
		)
}

// toggle opens the panel, the focus in its search box, or closes it.
func (p *emojiPicker) toggle(ctx app.Context, e app.Event) {
	p.open = !p.open
	p.query = ""
	if p.open {
		ctx.Defer(func(app.Context) { focus("emoji-search") })
	}
}

// pick puts emoji into the message at the caret, replacing what is
// selected, and closes the panel with the focus back in the text.
func (p *emojiPicker) pick(ctx app.Context, emoji string) {
	p.open = false
	box := textBox()
	if !box.Truthy() {
		return
	}
	// setRangeText counts in UTF-16 as the selection does, and puts the
	// caret after what it inserts.
	box.Call("setRangeText", emoji, box.Get("selectionStart"), box.Get("selectionEnd"), "end")
	// The composer learns of it as of typing: the length counter.
	box.Call("dispatchEvent", app.Window().Get("Event").New("input", map[string]any{"bubbles": true}))
	box.Call("focus")
}

// key handles the panel's keys: Escape closes it, the arrows move among
// the emoji (Down from the search box goes to the first).
func (p *emojiPicker) key(ctx app.Context, e app.Event) {
	key := e.Get("key").String()
	if key == "Escape" {
		// The focus moves now, not deferred: a deferred function of an
		// element that the update removes (the panel) never runs.
		e.PreventDefault()
		p.open = false
		focus("emoji-toggle")
		return
	}
	step := map[string]int{"ArrowLeft": -1, "ArrowRight": 1, "ArrowUp": -emojiColumns, "ArrowDown": emojiColumns}[key]
	if step == 0 {
		ctx.PreventUpdate()
		return
	}
	ctx.PreventUpdate()
	grid := app.Window().GetElementByID("emoji-grid")
	buttons := grid.Call("querySelectorAll", "button")
	n := buttons.Length()
	if n == 0 {
		return
	}
	at := -1
	active := app.Window().Get("document").Get("activeElement")
	for i := range n {
		if buttons.Index(i).Equal(active) {
			at = i
			break
		}
	}
	next := 0
	switch {
	case at < 0 && key != "ArrowDown":
		return // in the search box, the other arrows move its caret
	case at >= 0:
		next = at + step
		if next < 0 || next >= n {
			return
		}
	}
	e.PreventDefault()
	buttons.Index(next).Call("focus")
}
