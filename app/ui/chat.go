package ui

import (
	"context"
	"errors"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/protocol"
)

// updateCheckEvery is how often the app asks for a new release; the answer
// comes back through OnAppUpdate.
const updateCheckEvery = 15 * time.Minute

// Chat is the page: the join form until a name is taken, then the chat. It
// owns the client and the connection, and hands snapshots of the client's
// state to its children.
type Chat struct {
	app.Compo

	// mounted is set in the browser, never in the prerender.
	mounted bool
	client  *client.Client
	state   client.State
	joined  bool
	// to is the recipient of the composer, the conversation in view: ""
	// for everyone.
	to string
	// convState holds the conversations (see chat_conv.go).
	convState
	// notice is shown on the join form, e.g. why the session ended.
	notice string
	// drawerOpen: the drawer (people, conversations) is open on a phone.
	drawerOpen bool

	installable     bool
	updateAvailable bool
	// leaving is set from a click on Leave until the join form is back, so
	// a second click does not leave twice.
	leaving bool
	// draft is the message the composer's text answers or edits, if any;
	// actErr why the last action on a message was refused; jumpTo the
	// seq of a message a quote asked to be shown, until it is.
	draft  *draftReq
	actErr string
	jumpTo uint64
	// managing is the id of the room whose panel of changes is open.
	managing string
	// fetching holds the files being fetched (by fileState), so one is
	// fetched once however many messages show it.
	fetching map[string]bool

	// ctx is Chat's own context, captured in OnMount: goroutines update
	// the page only through its Dispatch (an element's context stops
	// working once that element is re-rendered away).
	ctx app.Context
	// stop ends Run and the ticker; set while the page is mounted.
	stop context.CancelFunc
	// stopRun ends the current Run only (leave, session refused).
	stopRun context.CancelFunc
}

// OnMount runs in the browser only: it restores a session saved by a
// previous load of this tab and starts the connection. Nothing here runs
// during the server's prerender, whose ctx.Async work it waits for.
func (c *Chat) OnMount(ctx app.Context) {
	life, stop := context.WithCancel(context.Background())
	c.ctx = ctx
	c.mounted = true
	c.stop = stop
	c.installable = ctx.IsAppInstallable()
	c.updateAvailable = ctx.AppUpdateAvailable()

	ctx.Handle(actionJoined, func(app.Context, app.Action) { c.start() })
	ctx.Handle(actionLeaveEverywhere, func(app.Context, app.Action) { c.leaveEverywhere() })
	c.handleActions(ctx)
	c.handleRooms(ctx)
	c.handleRoomAdmin(ctx)
	ctx.Handle(actionTo, func(ctx app.Context, a app.Action) {
		to, _ := a.Value.(string)
		c.open(to)
		c.draft, c.jumpTo = nil, 0 // a reply or edit belongs to the conversation it began in
		// A name picked in the drawer starts writing to them: the
		// drawer has done its job.
		c.drawerOpen = false
		ctx.Defer(func(app.Context) { focus("text") })
	})

	c.watchPage(ctx)
	c.newClient()
	if c.client.Restore() {
		c.start()
	}
	go c.tick(life)
}

// OnDismount stops the connection: go-app never cancels ctx itself.
func (c *Chat) OnDismount() {
	if c.stopRun != nil {
		c.stopRun()
	}
	if c.stop != nil {
		c.stop()
	}
	if c.stopVis != nil {
		c.stopVis()
	}
}

// OnAppUpdate shows the "update available" banner.
func (c *Chat) OnAppUpdate(ctx app.Context) { c.updateAvailable = true }

// OnAppInstallChange shows or hides the Install button.
func (c *Chat) OnAppInstallChange(ctx app.Context) { c.installable = ctx.IsAppInstallable() }

// newClient makes the client for the next session. Its OnChange hands a
// fresh snapshot to the UI goroutine, which merges it into the
// conversations, and its OnEvent hands over live events (for unread counts
// and notifications); a client that has since been replaced (after Leave)
// is ignored.
func (c *Chat) newClient() {
	ctx := c.ctx
	var cl *client.Client
	c.store = newStore()
	cl = client.New(client.Options{
		Store:        c.store,
		KeepMessages: clientWindow,
		OnEvent: func(ev protocol.Event) {
			ctx.Dispatch(func(app.Context) {
				if c.client == cl {
					c.arrived(ev)
				}
			})
		},
		OnChange: func() {
			ctx.Dispatch(func(app.Context) {
				if c.client == cl {
					c.state = cl.State()
					c.synced()
				}
			})
		},
	})
	c.client = cl
	c.state = cl.State()
	c.to = ""
}

// start opens the chat for the session the client holds and keeps its
// stream running until Leave, a refused session, or dismount.
func (c *Chat) start() {
	ctx := c.ctx
	cl := c.client
	run, stop := context.WithCancel(context.Background())
	c.stopRun = stop
	c.joined = true
	c.notice = ""
	c.state = cl.State()
	c.startModel()
	c.loadRooms()
	ctx.Async(func() {
		err := cl.Run(run)
		ctx.Dispatch(func(app.Context) {
			if c.client != cl {
				return
			}
			var perr *protocol.Error
			if errors.As(err, &perr) {
				// The server forgot the session and the client could not
				// take the name again (someone else has it now): back to
				// the join form, saying why.
				c.endSession("Your session ended: " + perr.Message + ". Join again.")
				return
			}
			c.state = cl.State()
		})
	})
}

// leave frees the name and goes back to the join form.
func (c *Chat) leave() {
	c.leaveWith(c.client.Leave, func(err error) string {
		if err != nil {
			return "You left, but the server was not told (" + err.Error() + "); your name is freed within a minute."
		}
		return ""
	})
}

// leaveWith ends the session with leave, once however often asked, and
// goes back to the join form with the notice that says how it went.
func (c *Chat) leaveWith(leave func(context.Context) error, notice func(error) string) {
	if c.leaving {
		return
	}
	c.leaving = true
	call(c.ctx, 10*time.Second, leave, func(_ app.Context, err error) { c.endSession(notice(err)) })
}

func (c *Chat) endSession(notice string) {
	c.leaving = false
	if c.stopRun != nil {
		c.stopRun()
	}
	c.joined = false
	c.drawerOpen = false
	c.dropCache()
	c.newClient()
	c.notice = notice
	c.ctx.Defer(func(app.Context) { focus("name") })
}

// tick asks for updates now and then. It stops with the page. (The
// reconnect countdown keeps its own time, in connMenu.)
func (c *Chat) tick(life context.Context) {
	ctx := c.ctx
	update := time.NewTicker(updateCheckEvery)
	defer update.Stop()
	for {
		select {
		case <-life.Done():
			return
		case <-update.C:
			ctx.Dispatch(func(ctx app.Context) {
				app.TryUpdate()
				ctx.PreventUpdate()
			})
		}
	}
}

// focus moves the keyboard focus to the element with the given id, after
// the current render.
func focus(id string) {
	if !app.IsClient {
		return
	}
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
}
