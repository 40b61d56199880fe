package ui

import (
	"strings"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// A message longer than collapseRunes characters or collapseLines lines
// is shown collapsed (to about eight lines, by the stylesheet) with a
// "Show more" button, so one long paste does not push the conversation off
// the screen. The thresholds sit well above what eight lines hold on a
// wide screen, so the button never opens a message that was all there.
const (
	collapseRunes = 1000
	collapseLines = 12
)

// messageText is a message's text, formatted (renderMarkup; me is the
// reader): a long one collapsed. The whole text is in the page either way
// (find in page, copy, screen readers get all of it); only its height is
// clipped.
func messageText(s, me string) app.UI {
	if !isLong(s) {
		return renderMarkup(s, me)
	}
	return &longText{Text: s, Me: me}
}

// isLong reports whether s is collapsed.
func isLong(s string) bool {
	return strings.Count(s, "\n") >= collapseLines || utf8.RuneCountInString(s) > collapseRunes
}

// longText is a collapsed message and its Show more / Show less button.
type longText struct {
	app.Compo

	Text string
	Me   string

	expanded bool
}

func (l *longText) Render() app.UI {
	state, label := "collapsed", "Show more"
	if l.expanded {
		state, label = "expanded", "Show less"
	}
	return app.Div().Class("long", state).Body(
		renderMarkup(l.Text, l.Me),
		app.Button().Class("more").Type("button").
			Aria("expanded", l.expanded).
			OnClick(func(app.Context, app.Event) { l.expanded = !l.expanded }).
			Text(label),
	)
}
