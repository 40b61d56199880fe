package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/protocol"
)

// stickToBottom is how close to the bottom (in CSS pixels) the list must be
// scrolled for a new message to scroll it down: someone reading older
// messages is not pulled away from them.
const stickToBottom = 80

// messageList shows the conversation: messages, direct messages, joins and
// leaves, each with its time; own messages with their delivery status.
type messageList struct {
	app.Compo

	Items []client.Item
	Me    string
}

func (l *messageList) OnMount(ctx app.Context) {
	ctx.Defer(func(ctx app.Context) { scrollToEnd(ctx.JSSrc()) })
}

// OnUpdate runs before the new items are rendered: it notes whether the
// reader is at the bottom, to follow the conversation after the render.
func (l *messageList) OnUpdate(ctx app.Context) {
	if !app.IsClient {
		return
	}
	el := ctx.JSSrc()
	if el.Get("scrollHeight").Int()-el.Get("scrollTop").Int()-el.Get("clientHeight").Int() < stickToBottom {
		ctx.Defer(func(ctx app.Context) { scrollToEnd(ctx.JSSrc()) })
	}
}

func scrollToEnd(el app.Value) {
	if app.IsClient && el.Truthy() {
		el.Set("scrollTop", el.Get("scrollHeight"))
	}
}

func (l *messageList) Render() app.UI {
	now := time.Now()
	return app.Ol().ID("messages").Class("messages").
		Aria("live", "polite").
		Aria("label", "Messages").
		Body(
			app.If(len(l.Items) == 0, func() app.UI {
				return app.Li().Class("empty").Text("No messages yet. Say hello!")
			}),
			app.Range(l.Items).Slice(func(i int) app.UI {
				return renderItem(l.Items[i], l.Me, now)
			}),
		)
}

// renderItem renders one entry of the list. Every piece of text a person
// wrote is set with app.Text (escaped), never as HTML.
func renderItem(it client.Item, me string, now time.Time) app.UI {
	ev := it.Event
	switch ev.Type {
	case protocol.TypeJoin, protocol.TypeLeave:
		what := " joined"
		if ev.Type == protocol.TypeLeave {
			what = " left"
		}
		return app.Li().Class("msg", "notice", "notice-"+ev.Type).Body(
			app.Span().Class("text").Body(app.Strong().Text(ev.From), app.Text(what)),
			renderTime(ev.Time, now),
		)
	}

	own := it.Own || ev.From == me && me != ""
	li := app.Li().Class("msg")
	if own {
		li = li.Class("own")
	} else {
		li = li.Class("other")
	}
	if ev.Direct() {
		li = li.Class("direct")
	}
	if it.Status != "" {
		li = li.Class(string(it.Status))
	}
	return li.Body(
		app.Div().Class("meta").Body(
			// A direct message received says "from Alice" instead of the
			// sender's name, so the name is not shown twice.
			app.If(own || !ev.Direct(), func() app.UI {
				return app.Span().Class("from").Text(senderLabel(own, ev.From))
			}),
			app.If(ev.Direct(), func() app.UI {
				return app.Span().Class("dm").Text(directLabel(own, ev))
			}),
			renderTime(ev.Time, now),
		),
		messageText(ev.Text),
		app.If(own && (it.Status == client.Pending || it.Status == client.Failed), func() app.UI {
			return renderStatus(it)
		}),
	)
}

func senderLabel(own bool, from string) string {
	if own {
		return "You"
	}
	return from
}

// directLabel marks a direct message: "to Bob" on one's own, "from Alice"
// on one received.
func directLabel(own bool, ev protocol.Event) string {
	if own {
		return "to " + ev.To
	}
	return "from " + ev.From
}

func renderTime(t *protocol.Time, now time.Time) app.UI {
	if t == nil || t.IsZero() {
		return nil
	}
	return app.Time().Class("time").
		DateTime(t.UTC().Format(protocol.TimeFormat)).
		Title(t.In(now.Location()).Format("Mon 2 Jan 2006 15:04:05")).
		Text(Clock(t.Time, now))
}

// renderText makes the text's links clickable; each part is still text.
func renderText(s string) []app.UI {
	parts := SplitLinks(s)
	out := make([]app.UI, len(parts))
	for i, p := range parts {
		if p.Link {
			out[i] = app.A().Href(p.Text).Target("_blank").Rel("noopener noreferrer").Text(p.Text)
		} else {
			out[i] = app.Text(p.Text)
		}
	}
	return out
}

func renderStatus(it client.Item) app.UI {
	label := "sent"
	switch it.Status {
	case client.Pending:
		label = "sending…"
	case client.Failed:
		label = "not sent: " + it.Error
	}
	return app.Span().Class("status").Text(label)
}
