package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/convo"
	"hark/app/protocol"
)

// composer writes a message: Enter sends, Shift+Enter starts a new line. The
// recipient is everyone or one person online.
type composer struct {
	app.Compo

	Client *client.Client
	// To is the recipient, "" for everyone; Chat owns it, since the roster
	// sets it too.
	To string
	// People are the names online (nil above the presence threshold,
	// when Counts is set: then @-completion asks the server).
	People []string
	Counts bool
	Me     string
	// Draft is the message the text answers or edits, if any; ActErr why
	// the last action on a message was refused. Chat owns both.
	Draft  *draftReq
	ActErr string

	// Room is the room in view, when it is one (To is then its key):
	// messages go to it (see rooms.go).
	Room *protocol.Room

	// mention is the @-completion open under the text, if any.
	mention mentionState

	// attached is the file uploaded for the next message, to the
	// conversation attachedTo; uploading names the file on its way.
	attached   *protocol.File
	attachedTo string
	uploading  string

	// ctx is the composer's own context, captured in OnMount: an upload
	// reports through it.
	ctx app.Context

	err string
	// count is the length counter's text ("" far from the limit) and over
	// whether the text is past it; kept so typing re-renders only when
	// they change.
	count string
	over  bool
	// enterSent is set from the Enter that sent until its key is released.
	// A cancelled keydown keeps real keyboards from typing the line break,
	// but a key sent as separate keydown and char events (DevTools input,
	// some virtual keyboards) still types it; beforeinput drops it.
	enterSent bool
}

func (c *composer) Render() app.UI {
	to := recipients(c.People, c.Me, c.To)
	if c.Room != nil {
		to = []string{c.To} // the room in view: the picker says it
	}
	placeholder := "Message everyone"
	switch {
	case c.Room != nil:
		placeholder = "Message #" + roomName(c.Room)
	case c.To != "":
		placeholder = "Message " + c.To + " (only they see it)"
	}
	return app.Form().ID("composer").Class("composer").
		OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			c.send(ctx)
			focus("text")
		}).
		Body(
			c.renderAbove(),
			app.Div().Class("to").Body(
				app.Label().For("to").Text("To"),
				app.Select().ID("to").Disabled(c.Room != nil).
					OnChange(func(ctx app.Context, e app.Event) {
						// The first option is Everyone. Its value cannot be
						// read back: go-app drops an empty value attribute,
						// so the browser reports the label instead.
						to := ""
						if sel := ctx.JSSrc(); sel.Get("selectedIndex").Int() > 0 {
							to = sel.Get("value").String()
						}
						ctx.NewActionWithValue(actionTo, to)
					}).
					Body(app.Range(to).Slice(func(i int) app.UI {
						name := to[i]
						label := name
						switch {
						case c.Room != nil:
							label = "#" + roomName(c.Room)
						case name == "":
							label = "Everyone"
						}
						return app.Option().Value(name).Selected(name == c.To).Text(label)
					})),
			),
			app.Label().For("text").Class("visually-hidden").Text("Message"),
			c.withMentionAria(app.Textarea().ID("text").
				Rows(2).
				Placeholder(placeholder).
				Aria("describedby", "send-error count").
				Aria("invalid", c.err != "" || c.over).
				Attr("enterkeyhint", "send").
				OnInput(c.input).
				OnKeyDown(func(ctx app.Context, e app.Event) {
					if c.mentionKey(ctx, e) {
						return
					}
					if e.Get("key").String() == "Escape" && c.Draft != nil {
						c.dropDraft(ctx)
						return
					}
					if !isSendKey(e) {
						ctx.PreventUpdate()
						return
					}
					e.PreventDefault()
					c.enterSent = true
					c.send(ctx)
				}).
				On("beforeinput", func(ctx app.Context, e app.Event) {
					ctx.PreventUpdate()
					t := e.Get("inputType").String()
					if c.enterSent && (t == "insertLineBreak" || t == "insertParagraph") {
						e.PreventDefault()
					}
				}).
				OnKeyUp(func(ctx app.Context, e app.Event) {
					ctx.PreventUpdate()
					c.enterSent = false
				}).
				On("paste", c.paste)),
			c.renderMentions(),
			&emojiPicker{},
			c.renderAttach(),
			app.Button().ID("send").Class("btn", "primary").Type("submit").Text("Send"),
			app.P().ID("send-error").Class("error").Attr("role", "alert").Text(strings.TrimSpace(c.err+" "+c.ActErr)),
			c.renderCount(),
		)
}

// typed updates the length counter and clears a length error once the text
// fits. Most keystrokes change neither, and then nothing is re-rendered.
func (c *composer) typed(ctx app.Context, e app.Event) {
	text := ctx.JSSrc().Get("value").String()
	count, over := Counter(text)
	fits := c.err != "" && len(text) <= protocol.MaxTextBytes
	if count == c.count && over == c.over && !fits {
		ctx.PreventUpdate()
		return
	}
	c.count, c.over = count, over
	if fits {
		c.err = ""
	}
}

// renderCount is the length counter, shown near the limit.
func (c *composer) renderCount() app.UI {
	p := app.P().ID("count").Class("count").Text(c.count)
	if c.over {
		p = p.Class("over")
	}
	return p
}

// isSendKey reports Enter without Shift, and not while an input method is
// composing (Enter then confirms the composition).
func isSendKey(e app.Event) bool {
	return e.Get("key").String() == "Enter" &&
		!e.Get("shiftKey").Bool() &&
		!e.Get("isComposing").Bool()
}

// send queues the text; the client delivers it and the list shows its
// progress. Only the text is cleared: the recipient stays for the next one.
//
// The textarea is not bound to a field: its text lives in the DOM, read here
// and cleared here. Mirroring it in a field would re-render the page on
// every keystroke, and go-app only writes a value it believes changed.
func (c *composer) send(ctx app.Context) {
	box := textBox()
	text := box.Get("value").String()
	file := c.attachment()
	if strings.TrimSpace(text) == "" && (file == nil || c.Draft != nil && c.Draft.Edit) {
		return
	}
	if count, over := Counter(text); over {
		c.err, c.count, c.over = "Too long to send: "+count+".", count, over
		return
	}
	switch {
	case c.Draft != nil && c.Draft.Edit:
		ctx.NewActionWithValue(actionDraftDone, text) // Chat sends the edit
	case file != nil:
		var reply uint64
		if c.Draft != nil {
			reply = c.Draft.Seq
			ctx.NewAction(actionDraftDone)
		}
		if c.Room != nil {
			c.Client.SendRoomFile(c.Room.ID, strings.TrimSpace(text), *file, reply)
		} else {
			c.Client.SendFile(c.To, strings.TrimSpace(text), *file, reply)
		}
		c.attached = nil
	case c.Draft != nil:
		c.sendText(text, c.Draft.Seq)
		ctx.NewAction(actionDraftDone)
	default:
		c.sendText(text, 0)
	}
	box.Set("value", "")
	c.mention = mentionState{}
	c.err, c.count, c.over = "", "", false
}

// textBox is the composer's textarea.
func textBox() app.Value { return app.Window().GetElementByID("text") }

// recipients are the choices of the To picker: everyone, then the people
// online but oneself, and the current recipient even if not listed (above
// the presence threshold the roster is not kept; the server says whether
// they are online).
func recipients(people []string, me, to string) []string {
	out := make([]string, 0, len(people)+2)
	out = append(out, "")
	seen := false
	for _, p := range people {
		if p == me {
			continue
		}
		seen = seen || p == to
		out = append(out, p)
	}
	if to != "" && !seen {
		out = append(out, to)
	}
	return out
}

// renderAbove is the row above the text: the reply or edit in progress,
// the file to send. It is there, empty, when there is neither, so the
// elements after it are never replaced (the text typed and the focus
// stay).
func (c *composer) renderAbove() app.UI {
	return app.Div().Class("above").Body(c.renderDraft(), c.renderAttachment())
}

// renderDraft says what the text answers or edits, with a button (and
// Escape) to drop that.
func (c *composer) renderDraft() app.UI {
	d := c.Draft
	if d == nil {
		return nil
	}
	label := "Replying to " + d.From + ": " + convo.FirstLine(d.Text)
	if d.Edit {
		label = "Editing your message"
	}
	return app.Div().ID("draft").Class("draft").Body(
		app.Span().Class("draft-label").Text(label),
		app.Button().Type("button").Class("btn", "draft-cancel").Aria("label", "Cancel").
			OnClick(func(ctx app.Context, e app.Event) { c.dropDraft(ctx) }).
			Text("×"),
	)
}

// dropDraft ends a reply or edit without sending; an edit's text goes.
func (c *composer) dropDraft(ctx app.Context) {
	if c.Draft != nil && c.Draft.Edit {
		textBox().Set("value", "")
	}
	ctx.NewAction(actionDraftDone)
	focus("text")
}
