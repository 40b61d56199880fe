package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/convo"
	"hark/app/protocol"
)

// Rooms in the page: the drawer's list of the rooms one is in, the
// public rooms to browse and join, the form for a new room (or group),
// and the open room's header with Leave.

// actionRoomJoined: a room was joined or made (its protocol.Room is the
// value); Chat makes its conversation and opens it.
const actionRoomJoined = "hark.room-joined"

// roomTimeout bounds a request of the rooms API.
const roomTimeout = 10 * time.Second

// roomEntry is one line of the drawer's list of rooms.
type roomEntry struct {
	ID     string
	Name   string
	Unread int
	Active bool
}

// roomEntries lists the rooms one is in, by name.
func roomEntries(m *convo.Model) []roomEntry {
	if m == nil {
		return nil
	}
	active := m.Active()
	var out []roomEntry
	for _, c := range m.Rooms() {
		out = append(out, roomEntry{ID: c.Room.ID, Name: roomName(c.Room), Unread: c.Unread, Active: c == active})
	}
	return out
}

// roomName is how a room is shown: its name, or its id before the name
// is known.
func roomName(r *protocol.Room) string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}

// handleRooms handles what the rooms panel asks of Chat, and reads the
// rooms one is in once the session starts.
func (c *Chat) handleRooms(ctx app.Context) {
	ctx.Handle(actionRoomJoined, func(ctx app.Context, a app.Action) {
		r, ok := a.Value.(protocol.Room)
		if !ok || c.model == nil {
			return
		}
		c.model.Joined(r)
		c.open(convo.RoomKey(r.ID))
		c.draft, c.jumpTo = nil, 0
		c.drawerOpen = false
		c.queueSave()
	})
}

// loadRooms reads the rooms one is in (a session just started): the
// server's list is the truth, after a cache that may be older.
func (c *Chat) loadRooms() {
	cl, model := c.client, c.model
	var rs protocol.Rooms
	call(c.ctx, roomTimeout, func(ctx context.Context) (err error) {
		rs, err = cl.Rooms(ctx)
		return err
	}, func(_ app.Context, err error) {
		if err != nil || c.model != model || model == nil {
			return // offline: the cache's rooms stay until the next start
		}
		if model.SetRooms(rs.Mine) {
			c.queueSave()
		}
	})
}

// openRoom is the room in view, nil when the conversation is not one.
func (c *Chat) openRoom() *protocol.Room {
	if c.model == nil {
		return nil
	}
	return c.model.Active().Room
}

// leaveRoom leaves the room in view and goes back to Everyone's.
func (c *Chat) leaveRoom(r protocol.Room) {
	cl, model := c.client, c.model
	call(c.ctx, roomTimeout, func(ctx context.Context) error {
		return cl.LeaveRoom(ctx, r.ID)
	}, func(_ app.Context, err error) {
		if c.model != model || model == nil {
			return
		}
		if err != nil {
			c.actErr = "Could not leave " + roomName(&r) + ": " + errText(err)
			return
		}
		c.actErr = ""
		model.Left(r.ID)
		c.open("")
		c.queueSave()
	})
}

// renderRoomHead is the open room's part of the conversation's header:
// its topic, how many are in it, the button of its panel of changes (for
// who may change something), and Leave.
func (c *Chat) renderRoomHead(r protocol.Room) app.UI {
	rights := rightsIn(r, c.model.MeKey())
	return app.Div().ID("room-head").Class("room-head").Body(
		app.Span().ID("room-topic").Class("room-topic").Text(r.Topic),
		app.Span().ID("room-members").Class("room-members").Text(membersLabel(r.Members)),
		app.If(rights.offers(), func() app.UI {
			return app.Button().ID("manage-room").Type("button").Class("btn", "manage-room").
				Aria("expanded", strconv.FormatBool(c.managing == r.ID)).Aria("controls", "room-admin").
				OnClick(func(app.Context, app.Event) { c.toggleManage(r) }).
				Text(rights.manageLabel())
		}),
		app.Button().ID("leave-room").Type("button").Class("btn", "leave-room").
			OnClick(func(app.Context, app.Event) { c.leaveRoom(r) }).
			Text("Leave room"),
	)
}

// membersLabel says how many are in a room.
func membersLabel(n int) string {
	if n == 1 {
		return "1 member"
	}
	return strconv.Itoa(n) + " members"
}

// roomsPanel is the drawer's Rooms section: the rooms one is in (a click
// opens one, actionTo with its key), "Browse rooms" with the public ones
// and Join, and "New room".
type roomsPanel struct {
	app.Compo

	Client *client.Client
	Rooms  []roomEntry

	browsing bool
	public   []protocol.Room
	loading  bool
	creating bool
	private  bool
	busy     bool
	err      string

	// ctx is the panel's own context, captured in OnMount: answers of the
	// server report through it.
	ctx app.Context
}

func (p *roomsPanel) OnMount(ctx app.Context) { p.ctx = ctx }

func (p *roomsPanel) Render() app.UI {
	return app.Section().ID("rooms").Class("conversations", "rooms").Aria("labelledby", "rooms-title").Body(
		app.H2().ID("rooms-title").Class("conversations-title").Text("Rooms"),
		app.Ul().ID("my-rooms").Body(
			app.Range(p.Rooms).Slice(func(i int) app.UI { return renderRoomEntry(p.Rooms[i]) }),
		),
		app.Div().Class("room-buttons").Body(
			app.Button().ID("browse-rooms").Type("button").Class("btn").
				Aria("expanded", p.browsing).
				OnClick(p.toggleBrowse).Text("Browse rooms"),
			app.Button().ID("new-room").Type("button").Class("btn").
				Aria("expanded", p.creating).
				OnClick(p.toggleCreate).Text("New room"),
		),
		app.P().ID("rooms-error").Class("error").Attr("role", "alert").Text(p.err),
		app.If(p.browsing, p.renderBrowse),
		app.If(p.creating, p.renderCreate),
	)
}

// renderRoomEntry is one room one is in, with its unread count.
func renderRoomEntry(e roomEntry) app.UI {
	label := e.Name
	if e.Unread > 0 {
		label += ", " + unreadLabel(e.Unread)
	}
	key := convo.RoomKey(e.ID)
	b := app.Button().Class("conv", "room").Type("button").
		DataSet("room", e.ID).
		Aria("label", label).
		OnClick(func(ctx app.Context, ev app.Event) {
			ctx.NewActionWithValue(actionTo, key)
		}, app.EventScope(key)).
		Body(
			app.Span().Class("conv-name").Body(
				app.Span().Class("room-hash").Aria("hidden", "true").Text("#"),
				app.Text(e.Name),
			),
			app.If(e.Unread > 0, func() app.UI {
				return app.Span().Class("badge").Aria("hidden", "true").Text(strconv.Itoa(e.Unread))
			}),
		)
	if e.Active {
		b = b.Class("active").Aria("current", "true")
	}
	return app.Li().Body(b)
}

// toggleBrowse opens the list of public rooms (read afresh) or closes it.
func (p *roomsPanel) toggleBrowse(ctx app.Context, e app.Event) {
	p.browsing, p.err = !p.browsing, ""
	if !p.browsing || p.loading {
		return
	}
	p.loading = true
	cl := p.Client
	var rs protocol.Rooms
	call(p.ctx, roomTimeout, func(ctx context.Context) (err error) {
		rs, err = cl.Rooms(ctx)
		return err
	}, func(_ app.Context, err error) {
		p.loading = false
		if err != nil {
			p.err = "Could not list the rooms: " + errText(err)
			return
		}
		p.public = rs.Rooms
	})
}

// renderBrowse lists the public rooms, each with Join (or that one is in
// it already).
func (p *roomsPanel) renderBrowse() app.UI {
	in := make(map[string]bool, len(p.Rooms))
	for _, r := range p.Rooms {
		in[r.ID] = true
	}
	var note string
	switch {
	case p.loading:
		note = "Loading…"
	case len(p.public) == 0:
		note = "No public rooms yet."
	}
	return app.Div().ID("room-browser").Class("room-browser").Body(
		app.P().Class("room-note").Text(note),
		app.Ul().Body(app.Range(p.public).Slice(func(i int) app.UI {
			r := p.public[i]
			return app.Li().Class("room-row").DataSet("room", r.ID).Body(
				app.Div().Class("room-about").Body(
					app.Span().Class("room-row-name").Text("#"+r.Name),
					app.Span().Class("room-row-topic").Text(r.Topic),
					app.Span().Class("room-row-members").Text(membersLabel(r.Members)),
				),
				app.If(in[r.ID], func() app.UI {
					return app.Span().Class("room-in").Text("Joined")
				}).Else(func() app.UI {
					return app.Button().Type("button").Class("btn", "join-room").
						Aria("label", "Join "+r.Name).
						Disabled(p.busy).
						OnClick(func(ctx app.Context, e app.Event) { p.join(r) }, app.EventScope(r.ID)).
						Text("Join")
				}),
			)
		})),
	)
}

// join joins a public room; Chat then opens it.
func (p *roomsPanel) join(r protocol.Room) {
	if p.busy {
		return
	}
	p.busy, p.err = true, ""
	cl := p.Client
	var got protocol.Room
	call(p.ctx, roomTimeout, func(ctx context.Context) (err error) {
		got, err = cl.JoinRoom(ctx, r.ID)
		return err
	}, func(ctx app.Context, err error) {
		p.busy = false
		if err != nil {
			p.err = "Could not join " + r.Name + ": " + errText(err)
			return
		}
		p.browsing = false
		ctx.NewActionWithValue(actionRoomJoined, got)
	})
}

// toggleCreate opens or closes the form for a new room.
func (p *roomsPanel) toggleCreate(ctx app.Context, e app.Event) {
	p.creating, p.err = !p.creating, ""
	if p.creating {
		ctx.Defer(func(app.Context) { focus("new-room-name") })
	}
}

// renderCreate is the form for a new room: a name, a topic, and whether
// it is private; a private one is a group made with the people named.
// Its inputs keep their places whatever changes, so nothing typed is
// lost; their text is read on submit.
func (p *roomsPanel) renderCreate() app.UI {
	return app.Form().ID("room-form").Class("room-form").
		OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			p.create()
		}).
		Body(
			app.Label().For("new-room-name").Text("Name"),
			app.Input().ID("new-room-name").Type("text").Required(true).MaxLength(protocol.MaxNameRunes).AutoComplete(false),
			app.Label().For("new-room-topic").Text("Topic"),
			app.Input().ID("new-room-topic").Type("text").AutoComplete(false),
			app.Label().Class("room-private").Body(
				app.Input().ID("room-private").Type("checkbox").Checked(p.private).
					OnChange(func(ctx app.Context, e app.Event) { p.private = ctx.JSSrc().Get("checked").Bool() }),
				app.Text(" Private (a group of "+strconv.Itoa(protocol.MinGroup)+" to "+strconv.Itoa(protocol.MaxGroup)+" people)"),
			),
			app.Div().ID("room-members-field").Class("room-members-field").Hidden(!p.private).Body(
				app.Label().For("room-people").Text("People (names, comma-separated)"),
				app.Input().ID("room-people").Type("text").AutoComplete(false),
			),
			app.Button().ID("create-room").Type("submit").Class("btn", "primary").Disabled(p.busy).Text("Create"),
		)
}

// create asks the server for the room the form describes; Chat then
// opens it.
func (p *roomsPanel) create() {
	if p.busy {
		return
	}
	value := func(id string) string {
		return strings.TrimSpace(app.Window().GetElementByID(id).Get("value").String())
	}
	name, topic := value("new-room-name"), value("new-room-topic")
	var members []string
	if p.private {
		members = splitNames(value("room-people"))
	}
	p.busy, p.err = true, ""
	cl, private := p.Client, p.private
	var got protocol.Room
	call(p.ctx, roomTimeout, func(ctx context.Context) (err error) {
		got, err = cl.CreateRoom(ctx, name, topic, private, members)
		return err
	}, func(ctx app.Context, err error) {
		p.busy = false
		if err != nil {
			p.err = "Could not make the room: " + errText(err)
			return
		}
		p.creating, p.private = false, false
		ctx.NewActionWithValue(actionRoomJoined, got)
	})
}

// splitNames reads the comma-separated names of a group, without blanks.
func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// sendText queues text, answering the message at seq reply (0: none), to
// the conversation in view: the room when it is one.
func (c *composer) sendText(text string, reply uint64) {
	if c.Room != nil {
		c.Client.SendRoom(c.Room.ID, text, reply)
		return
	}
	c.Client.SendReply(c.To, text, reply)
}

// composerTo is the composer's recipient: the conversation in view, or
// Everyone when the room it was is gone (left on another device, or the
// room deleted).
func (c *Chat) composerTo() string {
	if convo.IsRoomKey(c.to) && c.openRoom() == nil {
		return ""
	}
	return c.to
}
