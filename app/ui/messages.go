package ui

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/convo"
	"hark/app/markup"
	"hark/app/protocol"
)

// stickToBottom is how close to the bottom (in CSS pixels) the list must be
// scrolled for a new message to scroll it down: someone reading older
// messages is not pulled away from them.
const stickToBottom = 80

// loadOlderAt is how close to the top (in CSS pixels) scrolling must come
// for the page of messages before the oldest shown to be asked for.
const loadOlderAt = 120

// messageList shows one conversation: messages, joins and leaves, each with
// its time; own messages with their delivery status. Scrolling to the top
// asks for older messages (actionOlder); while the reader is scrolled up,
// new messages leave the view where it is and a button offers to jump to
// them.
//
// It re-renders only when the conversation's Version changes, and then
// only what changed: each chunk of the conversation is a msgChunk whose
// Items are the model's chunk itself, which the model never changes in
// place, so go-app finds every chunk but the changed one equal and skips
// it. Appending a message costs the same at 50 messages as at 5,000.
type messageList struct {
	app.Compo

	Conv    *convo.Conversation
	Version uint64
	Me      string
	MeKey   string
	// Loading is set while a page of older messages is under way; Stalled
	// when the last one failed (scrolling to the top tries again).
	Loading bool
	Stalled bool
	// JumpTo is the seq of a message to show (a reply's quote was
	// pressed), 0 for none: older pages are loaded until it is there.
	JumpTo uint64
	// HideNotices hides joins and leaves: a class on the list, so no
	// chunk renders again when it changes.
	HideNotices bool
	// Moderator: the reader owns the room in view, and may delete any
	// message in it.
	Moderator bool

	// conv, oldest, newest and count describe what was last rendered, to
	// tell a switch of conversation, older messages above and new ones
	// below apart.
	conv           *convo.Conversation
	oldest, newest uint64
	count          int
	// fromBottom is the distance from the bottom before older messages
	// are put above, restored after, so the reader stays where they were.
	fromBottom int
	// atBottom: the reader follows the conversation. newFrom is the seq of
	// the first message that came while they were scrolled up (the "new
	// messages" marker); unseen counts those they have not scrolled to.
	atBottom bool
	newFrom  uint64
	unseen   int
}

func (l *messageList) OnMount(ctx app.Context) {
	l.opened()
	l.rendered()
	ctx.Defer(func(ctx app.Context) {
		l.showOpened()
		l.fill(ctx)
	})
}

// opened starts the view of a conversation just put on screen: at its
// newest message, or at the New line when some were unread.
func (l *messageList) opened() {
	l.atBottom, l.newFrom, l.unseen = true, l.Conv.NewFrom, 0
}

// showOpened scrolls a conversation just put on screen to its New line,
// if it has one, else to its newest message.
func (l *messageList) showOpened() {
	if !app.IsClient {
		return
	}
	if l.newFrom != 0 {
		if mark := app.Window().Get("document").Call("querySelector", "#messages .first-new"); mark.Truthy() {
			mark.Call("scrollIntoView", map[string]any{"block": "center"})
			el := messagesBox()
			l.atBottom = el.Get("scrollHeight").Int()-el.Get("scrollTop").Int()-el.Get("clientHeight").Int() < stickToBottom
			return
		}
	}
	scrollToEnd(messagesBox())
}

// OnUpdate runs before the new version is rendered: it decides how the view
// moves once it is.
func (l *messageList) OnUpdate(ctx app.Context) {
	if !app.IsClient {
		return
	}
	el := messagesBox()
	switch {
	case l.Conv != l.conv:
		// Another conversation: start at its newest message, or where
		// its unread messages start.
		l.opened()
		ctx.Defer(func(app.Context) { l.showOpened() })
	case l.Conv.Oldest() < l.oldest || l.oldest == 0 && l.Conv.Oldest() != 0 && !l.atBottom:
		// Older messages go above: keep the reader's place.
		l.fromBottom = el.Get("scrollHeight").Int() - el.Get("scrollTop").Int()
		ctx.Defer(func(app.Context) {
			el := messagesBox()
			el.Set("scrollTop", el.Get("scrollHeight").Int()-l.fromBottom)
		})
	default:
		l.atBottom = el.Get("scrollHeight").Int()-el.Get("scrollTop").Int()-el.Get("clientHeight").Int() < stickToBottom
		if l.atBottom {
			ctx.Defer(func(app.Context) { scrollToEnd(messagesBox()) })
		} else if added := l.Conv.Len() - l.count; added > 0 && l.newestNow() > l.newest {
			if l.unseen == 0 {
				l.newFrom = l.firstAfter(l.newest)
			}
			l.unseen += added
		}
	}
	l.rendered()
	ctx.Defer(l.fill)
	if l.JumpTo != 0 {
		ctx.Defer(l.jumpTo)
	}
}

// jumpTo shows the message JumpTo asks for, highlighted for a moment, or
// asks for the page before the oldest until it is held; a message no
// longer kept ends the search.
func (l *messageList) jumpTo(ctx app.Context) {
	el := app.Window().GetElementByID(msgID(l.JumpTo))
	switch {
	case el.Truthy():
		el.Call("scrollIntoView", map[string]any{"block": "center"})
		el.Get("classList").Call("add", "jumped")
		el.Call("focus", map[string]any{"preventScroll": true})
		ctx.NewActionWithValue(actionJump, uint64(0))
	case l.Conv.More && !l.Loading && !l.Stalled:
		ctx.NewActionWithValue(actionOlder, l.Conv.With)
	case !l.Conv.More:
		ctx.NewActionWithValue(actionJump, uint64(0))
	}
}

// rendered notes what is about to be on screen.
func (l *messageList) rendered() {
	l.conv = l.Conv
	l.oldest, l.newest, l.count = l.Conv.Oldest(), l.newestNow(), l.Conv.Len()
}

func (l *messageList) newestNow() uint64 {
	ch := l.Conv.Chunks()
	if len(ch) == 0 {
		return 0
	}
	last := ch[len(ch)-1]
	return last[len(last)-1].Event.Seq
}

// firstAfter is the seq of the first message after seq (new messages come
// at the end, so the search starts there).
func (l *messageList) firstAfter(seq uint64) uint64 {
	chunks := l.Conv.Chunks()
	first := uint64(0)
	for i := len(chunks) - 1; i >= 0; i-- {
		ch := chunks[i]
		for j := len(ch) - 1; j >= 0; j-- {
			if ch[j].Event.Seq <= seq {
				return first
			}
			first = ch[j].Event.Seq
		}
	}
	return first
}

// fill asks for older messages while the list does not fill its box, so a
// short conversation can still be scrolled back: there is no scrolling to
// the top of a list that does not scroll.
func (l *messageList) fill(ctx app.Context) {
	el := messagesBox()
	if !app.IsClient || !el.Truthy() || l.Loading || l.Stalled || !l.Conv.More {
		return
	}
	if el.Get("scrollHeight").Int() <= el.Get("clientHeight").Int()+loadOlderAt {
		ctx.NewActionWithValue(actionOlder, l.Conv.With)
	}
}

// scrolled follows the reader: near the top it asks for older messages, at
// the bottom it clears the count of new ones. Other scrolls change nothing
// on screen.
func (l *messageList) scrolled(ctx app.Context, e app.Event) {
	el := ctx.JSSrc()
	top := el.Get("scrollTop").Int()
	bottom := el.Get("scrollHeight").Int() - top - el.Get("clientHeight").Int()
	atBottom := bottom < stickToBottom
	if top < loadOlderAt && l.Conv.More && !l.Loading {
		ctx.NewActionWithValue(actionOlder, l.Conv.With)
	}
	if atBottom == l.atBottom && !(atBottom && l.unseen > 0) {
		ctx.PreventUpdate()
		return
	}
	l.atBottom = atBottom
	if atBottom {
		l.unseen = 0
	}
}

// jump scrolls to the newest message.
func (l *messageList) jump(ctx app.Context, e app.Event) {
	l.atBottom, l.unseen = true, 0
	scrollToEnd(messagesBox())
}

// messagesBox is the scrolling list (the component's root is the view
// around it, which holds the jump button too).
func messagesBox() app.Value { return app.Window().GetElementByID("messages") }

func scrollToEnd(el app.Value) {
	if app.IsClient && el.Truthy() {
		el.Set("scrollTop", el.Get("scrollHeight"))
	}
}

func (l *messageList) Render() app.UI {
	c := l.Conv
	chunks := c.Chunks()
	label := "Messages with everyone"
	switch {
	case c.Room != nil:
		label = "Messages in " + roomName(c.Room)
	case !c.Everyone():
		label = "Messages with " + c.With
	}
	list := app.Ol().ID("messages").Class("messages")
	if l.HideNotices {
		list = list.Class("hide-notices")
	}
	return app.Div().Class("message-view").Body(
		list.
			Aria("live", "polite").
			Aria("label", label).
			TabIndex(0). // it scrolls: the keyboard must be able to reach it
			OnScroll(l.scrolled).
			Body(
				// Always the first child, so its changes never shift the
				// chunks' places (go-app matches children by place).
				l.renderEdge(),
				app.Range(chunks).Slice(func(i int) app.UI {
					return l.chunk(chunks[i], lastOf(chunks[:i]))
				}),
				l.chunk(c.Unsent(), lastOf(chunks)),
				app.If(c.Len() == 0 && !c.More, func() app.UI {
					return app.Li().Class("empty").Text("No messages yet. Say hello!")
				}),
			),
		app.If(l.unseen > 0 && !l.atBottom, func() app.UI {
			return app.Button().ID("jump-latest").Class("btn", "jump-latest").Type("button").
				OnClick(l.jump).
				Text(newLabel(l.unseen) + " ↓")
		}),
	)
}

// chunk is the component of one chunk, after prev (nil: none); the "new
// messages" marker goes only to the chunk that holds it, so the others
// stay equal.
func (l *messageList) chunk(items []client.Item, prev *protocol.Event) app.UI {
	mark := uint64(0)
	if l.newFrom != 0 && len(items) > 0 && items[0].Event.Seq <= l.newFrom && l.newFrom <= items[len(items)-1].Event.Seq {
		mark = l.newFrom
	}
	return &msgChunk{Items: items, Prev: prev, Me: l.Me, MeKey: l.MeKey, NewFrom: mark, Moderator: l.Moderator}
}

// lastOf is the last event of the last of chunks, nil if there is none.
// Chunks are never empty.
func lastOf(chunks [][]client.Item) *protocol.Event {
	if len(chunks) == 0 {
		return nil
	}
	last := chunks[len(chunks)-1]
	return &last[len(last)-1].Event
}

// renderEdge is the top of the list: where older messages are loading, or
// the start of what the server keeps.
func (l *messageList) renderEdge() app.UI {
	edge := app.Li().ID("history-edge").Class("history-edge")
	switch {
	case l.Loading:
		return edge.Class("loading").Text("Loading earlier messages…")
	case l.Stalled && l.Conv.More:
		return edge.Class("stalled").Text("Could not load earlier messages; scroll up to try again.")
	case !l.Conv.More && l.Conv.Len() > 0:
		return edge.Class("start").Text("This is the start of the conversation.")
	}
	return edge.Class("more")
}

func newLabel(n int) string {
	if n == 1 {
		return "1 new message"
	}
	return strconv.Itoa(n) + " new messages"
}

// msgChunk is a run of messages. Its Items are a chunk of the model, never
// changed in place, so an unchanged chunk compares equal in no time. Prev
// is the event before its first (the previous chunk's last; nil: none),
// which decides whether the first goes in a group and starts a day: what
// comes after a message never changes how it is shown, so appending
// re-renders nothing before.
type msgChunk struct {
	app.Compo

	Items   []client.Item
	Prev    *protocol.Event
	Me      string
	MeKey   string
	NewFrom uint64
	// Moderator: as messageList's.
	Moderator bool
}

func (c *msgChunk) Render() app.UI {
	now := time.Now()
	body := make([]app.UI, 0, len(c.Items)+1)
	prev := c.Prev
	for i := range c.Items {
		it := &c.Items[i]
		first := c.NewFrom != 0 && it.Event.Seq == c.NewFrom
		if NewDay(prev, &it.Event, now.Location()) {
			body = append(body, dayLine(it.Event.Time, now))
		}
		body = append(body, &msgView{
			Item:      *it,
			Me:        c.Me,
			Mention:   it.Event.Type == protocol.TypeMessage && !it.Own && convo.Mentions(it.Event.Text, c.MeKey),
			FirstNew:  first,
			Moderator: c.Moderator,
			// The New line starts a group of its own: whose messages
			// follow it must be said.
			Cont: !first && Continues(prev, &it.Event, now.Location()),
		})
		prev = &it.Event
	}
	return app.Li().Class("chunk").Body(app.Ol().Class("chunk-items").Body(body...))
}

// dayLine starts a day in the list.
func dayLine(t *protocol.Time, now time.Time) app.UI {
	return app.Li().Class("day").Body(
		app.Time().DateTime(t.UTC().Format("2006-01-02")).Text(DayLabel(t.Time, now)),
	)
}

// msgView is one message, join or leave: a component whose fields change
// only when the message does (it is sent, or refused), so go-app skips it
// otherwise.
type msgView struct {
	app.Compo

	Item     client.Item
	Me       string
	Mention  bool
	FirstNew bool
	// Moderator: the reader owns the room the message is in, and may
	// delete it whoever wrote it.
	Moderator bool
	// Cont: it follows a message of its sender's, in the same group, and
	// shows neither name nor time (its full date is its title).
	Cont bool

	// picking: the row of reactions to choose from is open.
	picking bool
	// held: a long press (a phone's hover) shows the actions and the full
	// date until the message loses the focus; press counts touches, so a
	// timer knows whether its touch is still the one held down.
	held  bool
	press int
	// heldBy is the touch (its press count) that showed the actions.
	heldBy int
}

func (v *msgView) Render() app.UI {
	var extra []app.UI
	if v.actionable() {
		extra = []app.UI{v.renderReactions(), v.renderActions()}
	}
	li := renderItem(v.Item, v.Me, time.Now(), v.Cont, extra...)
	if v.Item.Event.Seq != 0 && isMessage(v.Item.Event.Type) {
		li = li.ID(msgID(v.Item.Event.Seq)).TabIndex(-1) // a quote's jump focuses it
	}
	if v.actionable() {
		li = v.longPress(li)
	}
	if v.Mention {
		li = li.Class("mention")
	}
	if v.FirstNew {
		li = li.Class("first-new")
	}
	return li
}

// renderItem renders one entry of the list; cont, one that continues its
// sender's group; extra goes after its text (reactions, actions). Every
// piece of text a person wrote is set with app.Text (escaped), never as
// HTML.
func renderItem(it client.Item, me string, now time.Time, cont bool, extra ...app.UI) app.HTMLLi {
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

	own := isOwn(it, me)
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
	if ev.Deleted {
		li = li.Class("deleted")
	}
	var head app.UI
	if cont && it.Status != client.Pending && it.Status != client.Failed {
		// Who wrote it and when are not shown again, but are said to
		// screen readers, which read each message on its own.
		li = li.Class("cont").Title(fullDate(ev.Time, now))
		head = app.Span().Class("visually-hidden").Text(senderLabel(own, ev.From) + ", " + Clock(ev.Time.Time, now) + ": ")
	} else {
		head = app.Div().Class("meta").Body(
			// A direct message received says "from Alice" instead of the
			// sender's name, so the name is not shown twice.
			app.If(own || !ev.Direct(), func() app.UI {
				return app.Span().Class("from").Text(senderLabel(own, ev.From))
			}),
			app.If(ev.Direct(), func() app.UI {
				return app.Span().Class("dm").Text(directLabel(own, ev))
			}),
			renderTime(ev.Time, now),
		)
	}
	body := []app.UI{head, renderQuote(it), renderBody(it, me)}
	if ev.File != nil && !ev.Deleted {
		body = append(body, &fileView{File: *ev.File})
	}
	body = append(body, extra...)
	if own && (it.Status == client.Pending || it.Status == client.Failed) {
		body = append(body, renderStatus(it))
	}
	return li.Body(body...)
}

// renderBody is a message's text, formatted for the reader (me),
// "(edited)" after an edited one, or what is left of a deleted one.
func renderBody(it client.Item, me string) app.UI {
	if it.Event.Deleted {
		return app.P().Class("text", "tombstone").Text("This message was deleted.")
	}
	if it.Event.Text == "" && it.Event.File != nil {
		return nil // a file sent without words
	}
	if !it.Edited {
		return messageText(it.Event.Text, me)
	}
	return app.Div().Class("edited-text").Body(
		messageText(it.Event.Text, me),
		app.Span().Class("edited").Text("(edited)"),
	)
}

// renderQuote is what a reply shows of the message it answers: its
// sender and first line, a button that jumps to it (loading older
// messages as needed); a deleted one says so.
func renderQuote(it client.Item) app.UI {
	parent := it.Event.ReplyTo
	if parent == 0 {
		return nil
	}
	q := it.Quote
	label := "Reply to an earlier message"
	switch {
	case q != nil && q.Deleted:
		label = "Reply to a deleted message"
	case q != nil:
		// Its first line as a reader says it: no markers, emoji for
		// shortcodes.
		label = q.From + ": " + markup.PlainText(q.Text)
	}
	return app.Button().Type("button").Class("quote").
		Aria("label", "Replying to "+label+"; show it").
		OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionJump, parent) }).
		Body(app.Span().Aria("hidden", "true").Text("↩ "), app.Text(label))
}

// isOwn reports whether the item is the reader's (me) own message.
func isOwn(it client.Item, me string) bool {
	return it.Own || it.Event.From == me && me != ""
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
		Title(fullDate(t, now)).
		Text(Clock(t.Time, now))
}

// fullDate is a message's date and time to the second, in now's location.
func fullDate(t *protocol.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(now.Location()).Format("Mon 2 Jan 2006 15:04:05")
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
