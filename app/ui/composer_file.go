package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/protocol"
)

// The composer's file: picked with the Attach button, pasted into the
// text, or dropped on the conversation (actionAttach). It is uploaded at
// once, shown above the text while it waits, and sent with the next
// message, with or without words.

func (c *composer) OnMount(ctx app.Context) {
	c.ctx = ctx
	ctx.Handle(actionAttach, func(ctx app.Context, a app.Action) {
		if file, ok := a.Value.(app.Value); ok {
			c.attach(ctx, file)
		}
	})
}

// attachment is the file to send with the text, if it was uploaded to
// the conversation in view (one uploaded to another is not sent there:
// the server would refuse it, and it would surprise its sender).
func (c *composer) attachment() *protocol.File {
	if c.attached == nil || c.attachedTo != c.To {
		return nil
	}
	return c.attached
}

// attach uploads a browser File for the conversation in view (a room
// too: the file is then its members').
func (c *composer) attach(ctx app.Context, file app.Value) {
	name, typ, size := file.Get("name").String(), file.Get("type").String(), int64(file.Get("size").Float())
	if size > maxClientFile {
		c.err = name + " is too large to send (" + sizeLabel(size) + ")."
		return
	}
	if c.uploading != "" {
		c.err = "Wait for " + c.uploading + " to finish uploading."
		return
	}
	c.err, c.uploading, c.attached = "", name, nil
	// The upload ends after the element that started it may have been
	// re-rendered away: it reports through the composer's own context.
	to, cl, own := c.To, c.Client, c.ctx
	var room string
	if c.Room != nil {
		room = c.Room.ID
	}
	readFile(file, func(data []byte) {
		own.Dispatch(func(ctx app.Context) {
			upload(ctx, cl, to, room, name, typ, data, func(ctx app.Context, f protocol.File, err error) {
				c.uploading = ""
				if err != nil {
					c.err = "Could not upload " + name + ": " + errText(err)
					return
				}
				c.attached, c.attachedTo = &f, to
				focus("text")
			})
		})
	})
}

// paste attaches a file pasted into the text (a screenshot, a copied
// file); pasted text is left to the textarea.
func (c *composer) paste(ctx app.Context, e app.Event) {
	files := e.Get("clipboardData").Get("files")
	if !files.Truthy() || files.Length() == 0 {
		ctx.PreventUpdate()
		return
	}
	e.PreventDefault()
	c.attach(ctx, files.Index(0))
}

// renderAttachment is the file waiting to be sent, or being uploaded.
func (c *composer) renderAttachment() app.UI {
	if c.uploading != "" {
		return app.Div().ID("attachment").Class("attachment", "uploading").Attr("role", "status").
			Text("Uploading " + c.uploading + "…")
	}
	f := c.attachment()
	if f == nil {
		return nil
	}
	return app.Div().ID("attachment").Class("attachment").Body(
		app.Span().Class("file-name").Text(f.Name),
		app.Span().Class("file-size").Text(sizeLabel(f.Size)),
		app.Button().Type("button").Class("btn", "attachment-drop").Aria("label", "Remove "+f.Name).
			OnClick(func(ctx app.Context, e app.Event) {
				c.attached = nil
				focus("text")
			}).Text("×"),
	)
}

// renderAttach is the Attach button and its hidden file input.
func (c *composer) renderAttach() app.UI {
	return app.Div().Class("attach").Body(
		app.Input().Type("file").ID("file-input").Class("visually-hidden").TabIndex(-1).Aria("hidden", "true").
			OnChange(func(ctx app.Context, e app.Event) {
				in := ctx.JSSrc()
				if files := in.Get("files"); files.Truthy() && files.Length() > 0 {
					c.attach(ctx, files.Index(0))
				}
				in.Set("value", "") // the same file may be picked again
			}),
		app.Button().Type("button").ID("attach").Class("btn", "attach-btn").Aria("label", "Attach a file").Title("Attach a file").
			OnClick(func(ctx app.Context, e app.Event) {
				ctx.PreventUpdate()
				app.Window().GetElementByID("file-input").Call("click")
			}).
			Text("📎"),
	)
}

// dropFile attaches a file dropped on the conversation.
func dropFile(ctx app.Context, e app.Event) {
	e.PreventDefault()
	files := e.Get("dataTransfer").Get("files")
	if files.Truthy() && files.Length() > 0 {
		ctx.NewActionWithValue(actionAttach, files.Index(0))
	}
}

// dragOver lets the conversation take a drop; it changes nothing on the
// page, so nothing is rendered for the many events of one drag.
func dragOver(ctx app.Context, e app.Event) {
	ctx.PreventUpdate()
	e.PreventDefault()
}
