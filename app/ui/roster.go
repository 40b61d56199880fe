package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/protocol"
)

// searchLimit is how many names a roster search shows.
const searchLimit = 50

// roster lists the people online; clicking a name starts a direct message.
// Above the presence threshold the server sends only a count, and the roster
// becomes a search over GET /api/users.
type roster struct {
	app.Compo

	Client *client.Client
	Users  []string
	Online int
	Counts bool
	Me     string

	// query is the search box as typed; an answer to an older query is
	// dropped, so a slow one never replaces a newer one.
	query     string
	results   []string
	searchErr string
}

func (r *roster) Render() app.UI {
	names := r.Users
	if r.Counts {
		names = r.results
	}
	return app.Aside().ID("roster").Class("roster").Aria("label", "People online").Body(
		app.H2().Body(
			app.Span().ID("online").Class("count").Text(onlineLabel(r.Online)),
		),
		app.If(r.Counts, func() app.UI {
			return app.Div().Class("search").Body(
				app.Label().For("search").Class("visually-hidden").Text("Find people"),
				app.Input().ID("search").Type("search").
					Placeholder("Find people…").
					Attr("autocomplete", "off").
					Value(r.query).
					OnInput(r.search),
				app.If(r.searchErr != "", func() app.UI {
					return app.P().Class("error").Attr("role", "alert").Text(r.searchErr)
				}),
			)
		}),
		app.Ul().Body(
			app.Range(names).Slice(func(i int) app.UI {
				name := names[i]
				if name == r.Me {
					return app.Li().Class("me").Body(
						app.Span().Class("person").Text(name),
						app.Span().Class("you").Text(" (you)"),
					)
				}
				return app.Li().Body(
					app.Button().Class("person").Type("button").
						Title("Send "+name+" a direct message").
						OnClick(func(ctx app.Context, e app.Event) {
							ctx.NewActionWithValue(actionTo, name)
						}, app.EventScope(name)).
						Text(name),
				)
			}),
		),
	)
}

func onlineLabel(n int) string {
	if n == 1 {
		return "1 online"
	}
	return strconv.Itoa(n) + " online"
}

// search asks the server for names starting with what was typed.
func (r *roster) search(ctx app.Context, e app.Event) {
	r.query = ctx.JSSrc().Get("value").String()
	typed := r.query
	q := strings.TrimSpace(typed)
	if q == "" {
		r.results, r.searchErr = nil, ""
		return
	}
	cl := r.Client
	var users protocol.Users
	search := func(sctx context.Context) (err error) {
		users, err = cl.Users(sctx, q, searchLimit)
		return err
	}
	call(ctx, 10*time.Second, search, func(_ app.Context, err error) {
		// An answer to an older query is dropped.
		if r.query != typed {
			return
		}
		if err != nil {
			r.searchErr = refusal(err)
			return
		}
		r.results, r.searchErr = users.Users, ""
	})
}
