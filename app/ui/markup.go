package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/convo"
	"hark/app/markup"
	"hark/app/protocol"
)

// renderMarkup is a message text with its formatting (package markup):
// elements for the formatting, and every piece of what a person typed set
// with app.Text, which the browser takes as text, never as HTML. me is the
// reader's name: a mention of them is marked.
//
// A text of one paragraph, most of them, is one <p class="text"> of
// inlines; one with more blocks is a <div class="text"> of them (a <p>
// cannot hold a list or a <pre>).
func renderMarkup(text, me string) app.UI {
	nodes := markup.Parse(text)
	r := markupRenderer{me: me}
	if len(nodes) == 1 && nodes[0].Kind == markup.Paragraph {
		return app.P().Class("text").Body(r.inlines(nodes[0].Children)...)
	}
	return app.Div().Class("text").Body(r.blocks(nodes)...)
}

// markupRenderer renders one text; it works out the reader's name key
// only when the text mentions someone.
type markupRenderer struct {
	me      string
	meKey   string
	keyDone bool
}

func (r *markupRenderer) blocks(nodes []markup.Node) []app.UI { return each(nodes, r.block) }

func (r *markupRenderer) inlines(nodes []markup.Node) []app.UI { return each(nodes, r.inline) }

// each renders each of nodes with render.
func each(nodes []markup.Node, render func(markup.Node) app.UI) []app.UI {
	out := make([]app.UI, len(nodes))
	for i, n := range nodes {
		out[i] = render(n)
	}
	return out
}

func (r *markupRenderer) block(n markup.Node) app.UI {
	switch n.Kind {
	case markup.Paragraph:
		return app.P().Body(r.inlines(n.Children)...)
	case markup.CodeBlock:
		pre := app.Pre().Class("code-block").Body(app.Code().Text(n.Text))
		if n.Info == "" {
			return pre
		}
		// The label is shown, not used: there is no highlighting.
		return app.Div().Class("code-wrap").Body(app.Span().Class("code-lang").Text(n.Info), pre)
	case markup.Quote:
		return app.Blockquote().Body(r.blocks(n.Children)...)
	case markup.List:
		if n.Ordered {
			ol := app.Ol()
			if start, _ := strconv.Atoi(n.Children[0].Info); start != 1 {
				ol = ol.Start(start) // at most nine digits: it fits
			}
			return ol.Body(r.items(n.Children)...)
		}
		return app.Ul().Body(r.items(n.Children)...)
	}
	return app.Span().Body(r.inlines(n.Children)...)
}

// items are a list's items; an item of one paragraph holds its inlines
// alone, so a list of short lines is not spaced as paragraphs.
func (r *markupRenderer) items(nodes []markup.Node) []app.UI {
	out := make([]app.UI, len(nodes))
	for i, n := range nodes {
		if len(n.Children) == 1 && n.Children[0].Kind == markup.Paragraph {
			out[i] = app.Li().Body(r.inlines(n.Children[0].Children)...)
			continue
		}
		li := app.Li()
		if len(n.Children) > 0 && n.Children[0].Kind == markup.Paragraph {
			// The first line beside the marker, what follows under it.
			li = li.Body(append([]app.UI{app.Span().Body(r.inlines(n.Children[0].Children)...)}, r.blocks(n.Children[1:])...)...)
		} else {
			li = li.Body(r.blocks(n.Children)...)
		}
		out[i] = li
	}
	return out
}

func (r *markupRenderer) inline(n markup.Node) app.UI {
	switch n.Kind {
	case markup.Text:
		return app.Text(n.Text)
	case markup.Strong:
		return app.Strong().Body(r.inlines(n.Children)...)
	case markup.Em:
		return app.Em().Body(r.inlines(n.Children)...)
	case markup.Strike:
		return app.Del().Body(r.inlines(n.Children)...)
	case markup.Code:
		return app.Code().Text(n.Text)
	case markup.Link:
		a := app.A().Href(n.Info).Target("_blank").Rel("noopener noreferrer")
		if len(n.Children) == 0 {
			return a.Text(n.Text)
		}
		// Where a link goes is in its title: its text may say otherwise.
		return a.Title(n.Info).Body(r.inlines(n.Children)...)
	case markup.Emoji:
		return app.Span().Class("emoji").Title(":" + n.Info + ":").Text(n.Text)
	case markup.Mention:
		s := app.Span().Class("mention").Text(n.Text)
		if r.mentionsMe(n.Text) {
			s = s.Class("me")
		}
		return s
	}
	return app.Span().Body(r.inlines(n.Children)...)
}

// mentionsMe reports whether a mention names the reader, as the server
// compares names.
func (r *markupRenderer) mentionsMe(mention string) bool {
	if !r.keyDone {
		r.meKey, r.keyDone = protocol.NameKey(r.me), true
	}
	return convo.Mentions(mention, r.meKey)
}
