package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/markup"
	"hark/app/protocol"
)

// Actions on messages that msgView posts to Chat.
const (
	// actionReact: add or take back a reaction (a reactReq).
	actionReact = "hark.react"
	// actionReply: answer a message (a draftReq).
	actionReply = "hark.reply"
	// actionEdit: edit one's own message (a draftReq).
	actionEdit = "hark.edit"
	// actionDelete: delete one's own message (its seq).
	actionDelete = "hark.delete"
	// actionDraftDone: the composer sent, or dropped, a reply or edit.
	actionDraftDone = "hark.draft-done"
	// actionActError: say why an action was not taken (a string).
	actionActError = "hark.act-error"
	// actionJump: show the message at a seq (a reply's quote), loading
	// older messages until it is there.
	actionJump = "hark.jump"
)

// actTimeout bounds one action's request.
const actTimeout = 15 * time.Second

// reactReq is a reaction to add (On) or take back.
type reactReq struct {
	Seq   uint64
	Emoji string
	On    bool
}

// draftReq is the message a reply answers, or an edit changes: what the
// composer shows above the text while it is written.
type draftReq struct {
	Seq  uint64
	From string
	Text string
	Edit bool
}

// msgID is the element id of the message at seq, where a quote jumps.
func msgID(seq uint64) string { return "msg-" + strconv.FormatUint(seq, 10) }

// actionable reports whether people may act on the message: one in the
// log (sequenced), everyone's, direct or in a room, not deleted.
func (v *msgView) actionable() bool {
	ev := v.Item.Event
	return isMessage(ev.Type) && ev.Seq != 0 && !ev.Deleted
}

// isMessage reports whether an event of type typ is a message someone
// wrote: everyone's or direct, or in a room.
func isMessage(typ string) bool {
	return typ == protocol.TypeMessage || typ == protocol.TypeRoomMessage
}

// mine reports whether the reader is among names.
func (v *msgView) mine(names []string) bool {
	for _, n := range names {
		if protocol.NameKey(n) == protocol.NameKey(v.Me) {
			return true
		}
	}
	return false
}

// reacted reports whether the reader's reaction emoji is on the message.
func (v *msgView) reacted(emoji string) bool {
	for _, r := range v.Item.Reactions {
		if r.Emoji == emoji && v.mine(r.Names) {
			return true
		}
	}
	return false
}

// anyEmoji is the reaction typed: one emoji, or the :name: (or name) of
// one.
func anyEmoji(typed string) (string, bool) {
	typed = strings.TrimSpace(typed)
	if protocol.ValidEmoji(typed) {
		return typed, true
	}
	return markup.EmojiFor(strings.Trim(typed, ":"))
}

// renderReactions are the message's reactions, each a toggle: its emoji
// and count, who reacted in its title and label, pressed when the reader
// is among them.
func (v *msgView) renderReactions() app.UI {
	rs := v.Item.Reactions
	if len(rs) == 0 {
		return nil
	}
	return app.Div().Class("reactions").Body(app.Range(rs).Slice(func(i int) app.UI {
		r := rs[i]
		mine := v.mine(r.Names)
		who := strings.Join(r.Names, ", ")
		return app.Button().Type("button").Class("reaction").
			Aria("pressed", strconv.FormatBool(mine)).
			Aria("label", r.Emoji+" "+strconv.Itoa(len(r.Names))+": "+who).
			Title(who).
			OnClick(func(ctx app.Context, e app.Event) {
				ctx.NewActionWithValue(actionReact, reactReq{Seq: v.Item.Event.Seq, Emoji: r.Emoji, On: !mine})
			}).
			Body(app.Span().Aria("hidden", "true").Text(r.Emoji + " " + strconv.Itoa(len(r.Names))))
	}))
}

// renderActions are the message's actions, shown when it is hovered or
// holds the focus (Tab, or a tap on a touch screen): react (a row of
// emoji), reply, and on one's own, edit and delete; the owner of a room
// may delete any message in it.
func (v *msgView) renderActions() app.UI {
	ev := v.Item.Event
	return app.Div().Class("actions").Body(
		app.Span().Class("when").Text(fullDate(ev.Time, time.Now())),
		app.Button().Type("button").Class("act", "act-react").
			Aria("label", "React").Aria("expanded", strconv.FormatBool(v.picking)).Title("React").
			OnClick(func(ctx app.Context, e app.Event) { v.picking = !v.picking }).
			Text("☺"),
		app.If(v.picking, func() app.UI {
			return app.Div().Class("picker").Attr("role", "group").Aria("label", "Reactions").Body(
				app.Range(protocol.Reactions).Slice(func(i int) app.UI {
					emoji := protocol.Reactions[i]
					on := !v.reacted(emoji)
					return app.Button().Type("button").Class("pick").Aria("label", "React with "+emoji).
						OnClick(func(ctx app.Context, e app.Event) {
							v.picking = false
							ctx.NewActionWithValue(actionReact, reactReq{Seq: ev.Seq, Emoji: emoji, On: on})
						}).Text(emoji)
				}),
				app.Input().Type("text").Class("pick-any").
					Placeholder(":name: or 🙂").Aria("label", "React with any emoji: type it or its :name:, then Enter").
					AutoComplete(false).Attr("enterkeyhint", "done").
					OnKeyDown(func(ctx app.Context, e app.Event) {
						if e.Get("key").String() != "Enter" {
							ctx.PreventUpdate()
							return
						}
						e.PreventDefault()
						emoji, ok := anyEmoji(ctx.JSSrc().Get("value").String())
						if !ok {
							ctx.NewActionWithValue(actionActError, "A reaction is one emoji, or a :name: such as :tada:.")
							return
						}
						v.picking = false
						ctx.NewActionWithValue(actionReact, reactReq{Seq: ev.Seq, Emoji: emoji, On: !v.reacted(emoji)})
					}),
			)
		}),
		app.Button().Type("button").Class("act", "act-reply").Aria("label", "Reply").Title("Reply").
			OnClick(func(ctx app.Context, e app.Event) {
				ctx.NewActionWithValue(actionReply, draftReq{Seq: ev.Seq, From: ev.From, Text: ev.Text})
			}).Text("↩"),
		app.If(isOwn(v.Item, v.Me), func() app.UI {
			return app.Button().Type("button").Class("act", "act-edit").Aria("label", "Edit").Title("Edit").
				OnClick(func(ctx app.Context, e app.Event) {
					ctx.NewActionWithValue(actionEdit, draftReq{Seq: ev.Seq, From: ev.From, Text: ev.Text, Edit: true})
				}).Text("✎")
		}),
		app.If(isOwn(v.Item, v.Me) || v.Moderator, func() app.UI {
			return app.Button().Type("button").Class("act", "act-delete").Aria("label", "Delete").Title("Delete").
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionDelete, ev.Seq) }).
				Text("🗑")
		}),
	)
}

// holdFor is how long a finger rests on a message before its actions
// show, as a long press opens a menu in phones' own apps.
const holdFor = 450 * time.Millisecond

// longPress makes a long touch on the message show its actions and full
// date (what hovering shows with a mouse), focused so that a tap
// elsewhere hides them again; a touch that moves is a scroll, not a
// press. Touches change nothing on the page until one is held.
func (v *msgView) longPress(li app.HTMLLi) app.HTMLLi {
	if v.held {
		li = li.Class("held")
	}
	release := func(ctx app.Context, e app.Event) {
		ctx.PreventUpdate()
		if v.held && v.heldBy == v.press && e.Get("type").String() == "touchend" {
			// The finger lifts from the press that showed the actions:
			// no click for whatever appeared under it.
			e.PreventDefault()
		}
		v.press++
	}
	return li.
		On("touchstart", func(ctx app.Context, e app.Event) {
			ctx.PreventUpdate()
			v.press++
			n, el := v.press, ctx.JSSrc()
			ctx.After(holdFor, func(ctx app.Context) {
				if v.press == n {
					v.held, v.heldBy = true, n
					el.Call("focus")
				}
			})
		}).
		On("touchend", release).
		On("touchmove", release).
		On("touchcancel", release).
		On("contextmenu", func(ctx app.Context, e app.Event) {
			ctx.PreventUpdate()
			if v.held {
				e.PreventDefault() // the press was ours, not the browser's menu's
			}
		}).
		On("focusout", func(ctx app.Context, e app.Event) {
			if !v.held || ctx.JSSrc().Call("contains", e.Get("relatedTarget")).Bool() {
				ctx.PreventUpdate()
				return
			}
			v.held = false
		})
}

// handleActions installs Chat's handlers of what msgView and the
// composer post.
func (c *Chat) handleActions(ctx app.Context) {
	ctx.Handle(actionReact, func(ctx app.Context, a app.Action) {
		r, _ := a.Value.(reactReq)
		c.act(ctx, protocol.Action{Type: protocol.TypeReact, Target: r.Seq, Emoji: r.Emoji, On: r.On})
	})
	ctx.Handle(actionReply, func(ctx app.Context, a app.Action) {
		d, _ := a.Value.(draftReq)
		c.draft = &d
		ctx.Defer(func(app.Context) { focus("text") })
	})
	ctx.Handle(actionEdit, func(ctx app.Context, a app.Action) {
		d, _ := a.Value.(draftReq)
		c.draft = &d
		ctx.Defer(func(app.Context) {
			if box := textBox(); box.Truthy() {
				box.Set("value", d.Text)
			}
			focus("text")
		})
	})
	ctx.Handle(actionDelete, func(ctx app.Context, a app.Action) {
		seq, _ := a.Value.(uint64)
		if app.IsClient && !app.Window().Call("confirm", "Delete this message for everyone?").Bool() {
			return
		}
		c.act(ctx, protocol.Action{Type: protocol.TypeDelete, Target: seq})
	})
	ctx.Handle(actionDraftDone, func(ctx app.Context, a app.Action) {
		if text, ok := a.Value.(string); ok && c.draft != nil && c.draft.Edit {
			c.act(ctx, protocol.Action{Type: protocol.TypeEdit, Target: c.draft.Seq, Text: text})
		}
		c.draft = nil
	})
	ctx.Handle(actionActError, func(ctx app.Context, a app.Action) {
		c.actErr, _ = a.Value.(string)
	})
	ctx.Handle(actionLoadFile, func(ctx app.Context, a app.Action) {
		r, _ := a.Value.(fileReq)
		c.loadFile(ctx, r)
	})
	ctx.Handle(actionJump, func(ctx app.Context, a app.Action) {
		seq, _ := a.Value.(uint64)
		c.jumpTo = seq
	})
}

// act asks for an action; a refusal is shown under the composer.
func (c *Chat) act(ctx app.Context, a protocol.Action) {
	c.actErr = ""
	cl := c.client
	call(ctx, actTimeout, func(cctx context.Context) error {
		_, err := cl.Act(cctx, a)
		return err
	}, func(ctx app.Context, err error) {
		if err != nil {
			c.actErr = actionError(a, err)
		}
	})
}

// actionError says why an action was not taken.
func actionError(a protocol.Action, err error) string {
	what := map[string]string{protocol.TypeReact: "react", protocol.TypeEdit: "edit", protocol.TypeDelete: "delete"}[a.Type]
	if m, ok := serverSays(err); ok {
		return "Could not " + what + ": " + m + "."
	}
	return "Could not " + what + " (" + err.Error() + "); try again."
}
