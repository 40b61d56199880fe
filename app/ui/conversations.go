package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/convo"
)

// convEntry is one line of the conversation list.
type convEntry struct {
	With   string // "" for everyone
	Unread int
	Active bool
}

// entries lists the model's conversations for the list: Everyone, then
// the direct ones, the most recent first.
func entries(m *convo.Model) []convEntry {
	if m == nil {
		return nil
	}
	active := m.Active()
	list := m.List()
	out := make([]convEntry, 0, len(list))
	for _, c := range list {
		if c.Room != nil {
			continue // in the Rooms section (rooms.go)
		}
		out = append(out, convEntry{With: c.With, Unread: c.Unread, Active: c == active})
	}
	return out
}

// conversationList shows the conversations, each with its unread count,
// and the notifications toggle. A click opens one (actionTo).
type conversationList struct {
	app.Compo

	Entries []convEntry
	// NotifyOn: notifications are on; NotifyNote says why they are not,
	// after the browser refused.
	NotifyOn   bool
	NotifyNote string
}

func (l *conversationList) Render() app.UI {
	return app.Nav().ID("conversations").Class("conversations").Aria("label", "Conversations").Body(
		app.H2().Class("conversations-title").Text("Conversations"),
		app.Ul().Body(
			app.Range(l.Entries).Slice(func(i int) app.UI {
				return renderEntry(l.Entries[i])
			}),
		),
		app.Button().ID("notify-toggle").Class("btn", "notify-toggle").Type("button").
			Aria("pressed", l.NotifyOn).
			OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionNotify) }).
			Text(notifyLabel(l.NotifyOn)),
		app.If(l.NotifyNote != "", func() app.UI {
			return app.P().ID("notify-note").Class("notify-note").Attr("role", "status").Text(l.NotifyNote)
		}),
	)
}

func notifyLabel(on bool) string {
	if on {
		return "Notifications on"
	}
	return "Turn on notifications"
}

func renderEntry(e convEntry) app.UI {
	name := e.With
	if name == "" {
		name = "Everyone"
	}
	label := name
	if e.Unread > 0 {
		label += ", " + unreadLabel(e.Unread)
	}
	b := app.Button().Class("conv").Type("button").
		DataSet("with", e.With).
		Aria("label", label).
		OnClick(func(ctx app.Context, ev app.Event) {
			ctx.NewActionWithValue(actionTo, e.With)
		}, app.EventScope(e.With)).
		Body(
			app.Span().Class("conv-name").Text(name),
			app.If(e.Unread > 0, func() app.UI {
				return app.Span().Class("badge").Aria("hidden", "true").Text(strconv.Itoa(e.Unread))
			}),
		)
	if e.With == "" {
		// go-app leaves an empty data-with out: Everyone has an id instead.
		b = b.ID("conv-everyone")
	}
	if e.Active {
		b = b.Class("active").Aria("current", "true")
	}
	return app.Li().Body(b)
}

func unreadLabel(n int) string {
	if n == 1 {
		return "1 unread message"
	}
	return strconv.Itoa(n) + " unread messages"
}
