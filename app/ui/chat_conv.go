package ui

import (
	"context"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/convo"
	"hark/app/protocol"
)

// Conversations: Chat's side of the model in hark/app/convo. The client's
// changes and live events reach the model here, on the UI goroutine; so do
// scrollback pages, the page's visibility, the title, notifications and
// the cache.

const (
	// clientWindow is how many recent items the client keeps in its
	// State: the model merges them on every change, so the window is what
	// a change costs, however long the conversations are.
	clientWindow = 100
	// olderPage is how many messages a scrollback page asks for.
	olderPage = 50
	// cacheEvery is how long changes wait before the cache is written:
	// one write for a burst of messages.
	cacheEvery = 2 * time.Second
)

// convState is Chat's conversation state.
type convState struct {
	model *convo.Model
	store client.Store
	// older is the key of the conversation whose older page is under
	// way, with loading set; stalled holds conversations whose last page
	// failed.
	loading bool
	older   string
	stalled map[string]bool
	// notifyOn: the person turned notifications on (and the browser
	// allows them); notifyNote says why they are not on, when refused.
	notifyOn   bool
	notifyNote string
	title      string
	saveQueued bool
	stopVis    func()
	// hideNotices: joins and leaves are hidden from Everyone's
	// conversation (a toggle, kept in the store for the next visit).
	hideNotices bool
	// marked is the read position last asked of the server, by
	// conversation key (see markSeen).
	marked map[string]uint64
}

// hideNoticesKey is where the joins-and-leaves toggle is kept.
const hideNoticesKey = "hark.hide-notices"

// watchPage follows the page's visibility (unread counts and
// notifications depend on it) and handles the conversation actions.
func (c *Chat) watchPage(ctx app.Context) {
	c.notifyOn = notifyWanted() && notifyPermission() == "granted"
	c.stopVis = onVisibility(func(hidden bool) {
		ctx.Dispatch(func(app.Context) {
			if c.model != nil {
				c.model.SetHidden(hidden)
				c.refreshTitle()
				c.markSeen()
			}
			if hidden {
				c.saveCache()
			}
		})
	})
	ctx.Handle(actionOlder, func(ctx app.Context, a app.Action) {
		with, _ := a.Value.(string)
		c.loadOlder(with)
	})
	ctx.Handle(actionNotify, func(ctx app.Context, a app.Action) { c.toggleNotify() })
}

// toggleNotices shows or hides joins and leaves, and remembers which.
func (c *Chat) toggleNotices(ctx app.Context, e app.Event) {
	c.hideNotices = !c.hideNotices
	if c.store == nil {
		return
	}
	if c.hideNotices {
		c.store.Set(hideNoticesKey, "1")
	} else {
		c.store.Delete(hideNoticesKey)
	}
}

// startModel makes the conversations of the session the client holds,
// from the cache when there is one, with Everyone's open.
func (c *Chat) startModel() {
	name := c.client.State().Name
	c.model = convo.New(name)
	if raw, ok := c.store.Get(client.CacheKey(name)); ok && !c.model.Load([]byte(raw), c.client.Registration()) {
		// Another registration's (the name was released and taken
		// again): what it shows is not this person's to see.
		c.store.Delete(client.CacheKey(name))
	}
	_, c.hideNotices = c.store.Get(hideNoticesKey)
	c.model.SetHidden(pageHidden())
	c.model.Open("")
	c.stalled = make(map[string]bool)
	c.loading, c.older = false, ""
	c.title = ""
	c.marked = nil
	c.model.Sync(c.state)
	c.refreshTitle()
}

// synced merges the client's new state into the model.
func (c *Chat) synced() {
	if c.model != nil && c.model.Sync(c.state) {
		c.queueSave()
		c.refreshTitle() // another device's reading changes the count
		c.markSeen()
	}
}

// arrived takes a live event: it counts unread messages and raises a
// notification for a direct message or a mention while the page is
// hidden.
func (c *Chat) arrived(ev protocol.Event) {
	if c.model == nil || ev.Type != protocol.TypeMessage && ev.Type != protocol.TypeRoomMessage {
		return
	}
	conv := c.model.Arrived(ev)
	c.refreshTitle()
	c.markSeen()
	own := protocol.NameKey(ev.From) == c.model.MeKey()
	if own || !c.notifyOn || !c.model.Hidden() {
		return
	}
	if ev.Direct() || convo.Mentions(ev.Text, c.model.MeKey()) {
		title := ev.From
		if !ev.Direct() {
			title = ev.From + " mentioned you"
		}
		ctx, with := c.ctx, conv.With
		showNotification(title, ev.Text, "hark-"+conv.Key, func() {
			ctx.Dispatch(func(app.Context) { c.open(with) })
		})
	}
}

// open shows the conversation with with ("" for everyone) and writes there.
func (c *Chat) open(with string) {
	if c.model == nil {
		return
	}
	conv := c.model.Open(with)
	c.to = conv.With
	c.refreshTitle()
	c.markSeen()
}

// refreshTitle puts the number of unread messages in the page's title.
func (c *Chat) refreshTitle() {
	t := "Hark"
	if c.model != nil {
		t = convo.Title(c.model.Unread())
	}
	if t != c.title {
		c.title = t
		setTitle(t)
	}
}

// loadOlder asks for the page before the oldest message of the
// conversation with with, one page at a time.
func (c *Chat) loadOlder(with string) {
	if c.model == nil || c.loading {
		return
	}
	conv := c.model.Get(with)
	if conv == nil || !conv.More {
		return
	}
	q := client.HistoryQuery{Before: conv.Oldest(), Limit: olderPage, With: with, Everyone: with == ""}
	if conv.Room != nil {
		q.With, q.Room = "", conv.Room.ID
	}
	c.loading, c.older = true, conv.Key
	delete(c.stalled, conv.Key)
	cl, model := c.client, c.model
	var h protocol.History
	page := func(ctx context.Context) (err error) {
		h, err = cl.History(ctx, q)
		return err
	}
	call(c.ctx, 15*time.Second, page, func(_ app.Context, err error) {
		if c.model != model {
			return // the session ended meanwhile
		}
		c.loading, c.older = false, ""
		if err != nil {
			c.stalled[conv.Key] = true
			return
		}
		model.Older(with, h)
		c.queueSave()
	})
}

// toggleNotify turns notifications off, or asks the browser's permission
// (only now, on the person's request) and turns them on if it is given.
func (c *Chat) toggleNotify() {
	if c.notifyOn {
		c.notifyOn, c.notifyNote = false, ""
		setNotifyWanted(false)
		return
	}
	ctx := c.ctx
	requestNotify(func(p string) {
		ctx.Dispatch(func(app.Context) {
			switch p {
			case "granted":
				c.notifyOn, c.notifyNote = true, ""
				setNotifyWanted(true)
			case "":
				c.notifyNote = "This browser cannot show notifications."
			default:
				c.notifyNote = "The browser blocks notifications for this site."
			}
		})
	})
}

// queueSave writes the cache a moment after a change, once for a burst.
func (c *Chat) queueSave() {
	if c.saveQueued || !app.IsClient {
		return
	}
	c.saveQueued = true
	c.ctx.After(cacheEvery, func(ctx app.Context) {
		ctx.PreventUpdate() // nothing on screen changes
		c.saveQueued = false
		c.saveCache()
	})
}

// saveCache keeps the newest messages of each conversation for a reload
// with the server down.
func (c *Chat) saveCache() {
	if c.model != nil && c.store != nil && c.joined {
		c.store.Set(client.CacheKey(c.model.Me()), string(c.model.Save(c.client.Registration())))
	}
}

// dropCache forgets the cache of the person who leaves: the next holder
// of the name on this browser is someone else.
func (c *Chat) dropCache() {
	if c.model != nil && c.store != nil {
		c.store.Delete(client.CacheKey(c.model.Me()))
	}
	c.model = nil
	c.refreshTitle()
}

// typingLabel says who is typing in the conversation in view.
func typingLabel(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0] + " is typing…"
	case 2:
		return names[0] + " and " + names[1] + " are typing…"
	}
	return "Several people are typing…"
}

// renderConversation is the conversation in view: its name, its messages
// and who is typing in it.
func (c *Chat) renderConversation(st client.State) app.UI {
	if c.model == nil {
		return nil
	}
	conv := c.model.Active()
	title := "Everyone"
	switch {
	case conv.Room != nil:
		title = "#" + roomName(conv.Room)
	case !conv.Everyone():
		title = conv.With + " (direct messages)"
	}
	label := "Hide joins and leaves"
	if c.hideNotices {
		label = "Show joins and leaves"
	}
	return app.Div().ID("conversation-view").Class("conversation-view").Body(
		app.Div().Class("conv-head").Body(
			app.H2().ID("conv-title").Class("conv-title").Text(title),
			app.If(conv.Everyone(), func() app.UI {
				return app.Button().ID("notices-toggle").Type("button").Class("btn", "notices-toggle").
					Aria("pressed", strconv.FormatBool(c.hideNotices)).
					OnClick(c.toggleNotices).
					Text(label)
			}),
			app.If(conv.Room != nil, func() app.UI { return c.renderRoomHead(*conv.Room) }),
		),
		c.renderManage(conv.Room),
		&messageList{
			Conv:        conv,
			Version:     conv.Version,
			Me:          st.Name,
			MeKey:       c.model.MeKey(),
			Loading:     c.loading && c.older == conv.Key,
			Stalled:     c.stalled[conv.Key],
			JumpTo:      c.jumpTo,
			HideNotices: c.hideNotices,
			Moderator:   c.ownsRoom(),
		},
		app.P().ID("typing").Class("typing").Aria("live", "polite").Text(typingLabel(convo.TypingIn(st, conv.With))),
	)
}
