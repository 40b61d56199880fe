package ui

import (
	"context"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/convo"
	"hark/app/protocol"
)

// What a room's owner (and a member of a private group) may change from
// the room's header: its name and topic, who is in it, and whether it
// exists at all. The server decides; the page offers only what it would
// allow, and shows its refusal when it does not.

// Actions the room's panel posts to Chat.
const (
	// actionRoomChanged: the server answered with the room as it is now
	// (a protocol.Room), before its room event comes.
	actionRoomChanged = "hark.room-changed"
	// actionRoomDeleted: the room (its id) was deleted.
	actionRoomDeleted = "hark.room-deleted"
)

// roomRights is what the reader may do to a room beyond writing in it.
type roomRights struct {
	// Owner: rename it, set its topic, remove members, delete it and
	// delete any message in it.
	Owner bool
	// Add: add someone online (the owner, or any member of a private
	// group).
	Add bool
}

// rightsIn is what the person whose name key is meKey may do to r.
func rightsIn(r protocol.Room, meKey string) roomRights {
	owner := meKey != "" && protocol.NameKey(r.Owner) == meKey
	return roomRights{Owner: owner, Add: owner || r.Private}
}

// offers reports whether there is anything to offer.
func (r roomRights) offers() bool { return r.Owner || r.Add }

// manageLabel is what the header's button that opens the panel says.
func (r roomRights) manageLabel() string {
	if r.Owner {
		return "Room settings"
	}
	return "Add people"
}

// ownsRoom reports whether the reader owns the room in view (nil: none).
func (c *Chat) ownsRoom() bool {
	r := c.openRoom()
	return r != nil && rightsIn(*r, c.model.MeKey()).Owner
}

// handleRoomAdmin handles what the room's panel posts.
func (c *Chat) handleRoomAdmin(ctx app.Context) {
	ctx.Handle(actionRoomChanged, func(ctx app.Context, a app.Action) {
		r, ok := a.Value.(protocol.Room)
		if !ok || c.model == nil || c.model.Get(convo.RoomKey(r.ID)) == nil {
			return // gone meanwhile: nothing to bring back
		}
		c.model.Joined(r)
		c.queueSave()
	})
	ctx.Handle(actionRoomDeleted, func(ctx app.Context, a app.Action) {
		id, _ := a.Value.(string)
		if c.model == nil {
			return
		}
		c.managing = ""
		if c.model.Left(id) {
			c.open("")
			c.queueSave()
		}
	})
}

// toggleManage opens or closes the panel of the room r.
func (c *Chat) toggleManage(r protocol.Room) {
	if c.managing == r.ID {
		c.managing = ""
		return
	}
	c.managing = r.ID
}

// renderManage is the open room's panel, under its header, while open.
func (c *Chat) renderManage(r *protocol.Room) app.UI {
	if r == nil || c.managing != r.ID {
		return nil
	}
	rights := rightsIn(*r, c.model.MeKey())
	if !rights.offers() {
		return nil
	}
	return &roomAdmin{Client: c.client, Room: *r, Rights: rights}
}

// roomAdmin is the panel of a room's changes: name and topic, adding and
// removing people, deleting the room; each part only for who may. Its
// inputs are always there while it is open, in the same places, so what
// is typed survives every render; their text is read on submit.
type roomAdmin struct {
	app.Compo

	Client *client.Client
	Room   protocol.Room
	Rights roomRights

	busy bool
	err  string
	note string

	// ctx is the panel's own context, captured in OnMount: the server's
	// answers report through it.
	ctx app.Context
}

// OnMount fills the name and topic in as they are, and focuses the first
// field.
func (p *roomAdmin) OnMount(ctx app.Context) {
	p.ctx = ctx
	name, topic := p.Room.Name, p.Room.Topic
	ctx.Defer(func(app.Context) {
		if !p.Rights.Owner {
			focus("room-add-name")
			return
		}
		setValue("room-rename", name)
		setValue("room-retopic", topic)
		focus("room-rename")
	})
}

func (p *roomAdmin) Render() app.UI {
	return app.Section().ID("room-admin").Class("room-admin").Aria("label", p.Rights.manageLabel()+" of #"+roomName(&p.Room)).Body(
		app.If(p.Rights.Owner, p.renderSettings),
		app.If(p.Rights.Add, func() app.UI {
			return p.nameForm("room-add", "Add someone online", "Add", p.add)
		}),
		app.If(p.Rights.Owner, func() app.UI {
			return p.nameForm("room-remove", "Remove a member", "Remove", p.remove)
		}),
		app.If(p.Rights.Owner, func() app.UI {
			return app.Button().ID("delete-room").Type("button").Class("btn", "danger").Disabled(p.busy).
				OnClick(func(app.Context, app.Event) { p.deleteRoom() }).
				Text("Delete room")
		}),
		app.P().ID("room-admin-error").Class("error").Attr("role", "alert").Text(p.err),
		app.P().ID("room-admin-note").Class("room-note").Aria("live", "polite").Text(p.note),
	)
}

// renderSettings is the form of the room's name and topic.
func (p *roomAdmin) renderSettings() app.UI {
	return app.Form().ID("room-settings").Class("room-admin-form").
		OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			p.save()
		}).
		Body(
			app.Label().For("room-rename").Text("Name"),
			app.Input().ID("room-rename").Type("text").Required(true).MaxLength(protocol.MaxNameRunes).AutoComplete(false),
			app.Label().For("room-retopic").Text("Topic"),
			app.Input().ID("room-retopic").Type("text").AutoComplete(false),
			app.Button().ID("room-save").Type("submit").Class("btn", "primary").Disabled(p.busy).Text("Save"),
		)
}

// nameForm is a form of one name (id, id+"-name", id+"-submit") whose
// submit hands the name typed to do.
func (p *roomAdmin) nameForm(id, label, button string, do func(name string)) app.UI {
	field := id + "-name"
	return app.Form().ID(id).Class("room-admin-form").
		OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			if name := inputValue(field); name != "" {
				do(name)
			}
		}).
		Body(
			app.Label().For(field).Text(label),
			app.Input().ID(field).Type("text").Required(true).MaxLength(protocol.MaxNameRunes).AutoComplete(false).Placeholder("Name"),
			app.Button().ID(id+"-submit").Type("submit").Class("btn").Disabled(p.busy).Text(button),
		)
}

// request runs fn against the server unless one is under way; a refusal
// is shown as why (the server's message), and done runs on success.
func (p *roomAdmin) request(why string, fn func(context.Context, *client.Client) error, done func(app.Context)) {
	if p.busy {
		return
	}
	p.busy, p.err, p.note = true, "", ""
	cl := p.Client
	call(p.ctx, roomTimeout, func(ctx context.Context) error { return fn(ctx, cl) }, func(ctx app.Context, err error) {
		p.busy = false
		if err != nil {
			p.err = why + ": " + errText(err)
			return
		}
		done(ctx)
	})
}

// save renames the room and sets its topic, whichever changed.
func (p *roomAdmin) save() {
	name, topic := inputValue("room-rename"), inputValue("room-retopic")
	var np, tp *string
	if name != p.Room.Name {
		np = &name
	}
	if topic != p.Room.Topic {
		tp = &topic
	}
	if np == nil && tp == nil {
		p.err, p.note = "", "Nothing changed."
		return
	}
	id := p.Room.ID
	var got protocol.Room
	p.request("Could not change the room", func(ctx context.Context, cl *client.Client) (err error) {
		got, err = cl.UpdateRoom(ctx, id, np, tp)
		return err
	}, func(ctx app.Context) {
		p.note = "Saved."
		ctx.NewActionWithValue(actionRoomChanged, got)
	})
}

// add adds name to the room.
func (p *roomAdmin) add(name string) {
	id := p.Room.ID
	var got protocol.Room
	p.request("Could not add "+name, func(ctx context.Context, cl *client.Client) (err error) {
		got, err = cl.AddMember(ctx, id, name)
		return err
	}, func(ctx app.Context) {
		setValue("room-add-name", "")
		p.note = name + " was added."
		ctx.NewActionWithValue(actionRoomChanged, got)
	})
}

// remove takes name out of the room.
func (p *roomAdmin) remove(name string) {
	id := p.Room.ID
	p.request("Could not remove "+name, func(ctx context.Context, cl *client.Client) error {
		return cl.RemoveMember(ctx, id, name)
	}, func(app.Context) {
		setValue("room-remove-name", "")
		p.note = name + " was removed."
	})
}

// deleteRoom deletes the room, once the owner confirms it.
func (p *roomAdmin) deleteRoom() {
	r := p.Room
	if app.IsClient && !app.Window().Call("confirm", "Delete #"+roomName(&r)+" and all its messages, for everyone?").Bool() {
		return
	}
	p.request("Could not delete the room", func(ctx context.Context, cl *client.Client) error {
		return cl.DeleteRoom(ctx, r.ID)
	}, func(ctx app.Context) {
		ctx.NewActionWithValue(actionRoomDeleted, r.ID)
	})
}

// inputValue is the trimmed text of the input id.
func inputValue(id string) string {
	if !app.IsClient {
		return ""
	}
	el := app.Window().GetElementByID(id)
	if !el.Truthy() {
		return ""
	}
	return strings.TrimSpace(el.Get("value").String())
}

// setValue sets the text of the input id.
func setValue(id, v string) {
	if !app.IsClient {
		return
	}
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Set("value", v)
	}
}
