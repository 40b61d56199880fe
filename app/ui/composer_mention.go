package ui

import (
	"context"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/convo"
	"hark/app/protocol"
)

// mentionLimit is how many names @-completion offers.
const mentionLimit = 8

// mentionState is the @-completion under the composer: the names offered
// for the "@…" before the caret, and which one is picked.
type mentionState struct {
	names []string
	sel   int
	// at and end are the byte offsets of the "@" and of the caret in the
	// text, what a choice replaces; query is what was typed after the "@",
	// so an answer from the server to an older query is dropped.
	at, end int
	query   string
}

func (m mentionState) open() bool { return len(m.names) > 0 }

// active is the id of the picked option, for aria-activedescendant.
func (m mentionState) active() string {
	if !m.open() {
		return ""
	}
	return "mention-" + strconv.Itoa(m.sel)
}

// input runs on every keystroke: the length counter, the @-completion and
// the typing notice.
func (c *composer) input(ctx app.Context, e app.Event) {
	c.typed(ctx, e)
	if c.mentionInput(ctx) {
		ctx.Update()
	}
	c.sayTyping()
}

// sayTyping tells the others, at most every couple of seconds (the client
// throttles): a room's members in a room. Above the presence threshold
// everyone's conversation's typing is not told: thousands of people
// would each get every keystroke otherwise.
func (c *composer) sayTyping() {
	if c.Client == nil || c.Room == nil && c.Counts && c.To == "" {
		return
	}
	// No deadline: over WebSocket it is one frame, at once, and a POST is
	// bounded by the browser. A context.WithTimeout here (a timer made and
	// stopped on a goroutine started by a keystroke) was seen to keep
	// go-app's next frame from running until some later event, so the
	// length counter missed its update.
	if c.Room != nil {
		go c.Client.TypingRoom(context.Background(), c.Room.ID)
		return
	}
	go c.Client.Typing(context.Background(), c.To)
}

// mentionInput finds the "@…" before the caret and offers the names that
// start with it: from the roster, or from the server above the presence
// threshold. It reports whether what is offered changed.
func (c *composer) mentionInput(ctx app.Context) bool {
	box := ctx.JSSrc()
	text := box.Get("value").String()
	head := text[:byteOffset(text, box.Get("selectionStart").Int())]
	at, prefix, ok := convo.MentionQuery(head, len(head))
	if !ok {
		was := c.mention.open()
		c.mention = mentionState{}
		return was
	}
	me := protocol.NameKey(c.Me)
	c.mention.at, c.mention.end, c.mention.query = at, len(head), prefix
	if !c.Counts {
		names := convo.MatchNames(c.People, prefix, me, mentionLimit)
		changed := !slices.Equal(names, c.mention.names)
		c.mention.names = names
		if changed {
			c.mention.sel = 0
		}
		return changed
	}
	cl := c.Client
	var found []string
	search := func(sctx context.Context) error {
		u, err := cl.Users(sctx, prefix, mentionLimit+1)
		found = u.Users
		return err
	}
	call(ctx, 10*time.Second, search, func(_ app.Context, err error) {
		if err != nil || c.mention.query != prefix {
			return // an answer to an older query, or none
		}
		c.mention.names = convo.MatchNames(found, prefix, me, mentionLimit)
		c.mention.sel = 0
	})
	return false
}

// mentionKey handles the keys of an open @-completion: arrows move,
// Enter or Tab takes the name, Escape closes. It reports whether it took
// the key (then the composer does nothing else with it).
func (c *composer) mentionKey(ctx app.Context, e app.Event) bool {
	if !c.mention.open() {
		return false
	}
	n := len(c.mention.names)
	switch e.Get("key").String() {
	case "ArrowDown":
		c.mention.sel = (c.mention.sel + 1) % n
	case "ArrowUp":
		c.mention.sel = (c.mention.sel + n - 1) % n
	case "Enter", "Tab":
		if e.Get("isComposing").Bool() {
			return false
		}
		c.pickMention(c.mention.names[c.mention.sel])
	case "Escape":
		c.mention = mentionState{}
		// The composer takes Escape: a drawer or menu around it stays.
		e.Call("stopPropagation")
	default:
		return false
	}
	e.PreventDefault()
	return true
}

// pickMention puts "@Name " in place of the "@…" typed, and the caret after
// it.
func (c *composer) pickMention(name string) {
	box := textBox()
	text := box.Get("value").String()
	m := c.mention
	c.mention = mentionState{}
	if m.at > len(text) || m.end > len(text) || m.at > m.end {
		return
	}
	insert := "@" + name + " "
	next := text[:m.at] + insert + text[m.end:]
	box.Set("value", next)
	caret := utf16Len(text[:m.at] + insert)
	box.Call("setSelectionRange", caret, caret)
	box.Call("focus")
}

// withMentionAria ties the text to the open @-completion: the list it
// controls and the option picked, for screen readers. Closed, there is no
// list to point at, and the attributes go.
func (c *composer) withMentionAria(t app.HTMLTextarea) app.HTMLTextarea {
	if !c.mention.open() {
		return t
	}
	return t.Aria("controls", "mention-list").Aria("activedescendant", c.mention.active())
}

// renderMentions is the list of names offered, under the text.
func (c *composer) renderMentions() app.UI {
	if !c.mention.open() {
		return nil
	}
	names := c.mention.names
	return app.Ul().ID("mention-list").Class("mention-list").
		Attr("role", "listbox").
		Aria("label", "People to mention").
		Body(app.Range(names).Slice(func(i int) app.UI {
			name := names[i]
			li := app.Li().ID("mention-"+strconv.Itoa(i)).Class("mention-option").
				Attr("role", "option").
				Aria("selected", i == c.mention.sel).
				// mousedown, not click: the text keeps the focus.
				On("mousedown", func(ctx app.Context, e app.Event) {
					e.PreventDefault()
					c.pickMention(name)
				}, app.EventScope(name)).
				Text("@" + name)
			if i == c.mention.sel {
				li = li.Class("selected")
			}
			return li
		}))
}

// byteOffset converts a caret position in UTF-16 units (what the browser
// counts in) to a byte offset in s (what Go counts in).
func byteOffset(s string, units int) int {
	for i, r := range s {
		if units <= 0 {
			return i
		}
		units -= utf16.RuneLen(r)
	}
	return len(s)
}

// utf16Len is the length of s as the browser counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
