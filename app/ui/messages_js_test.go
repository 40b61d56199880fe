package ui

import (
	"fmt"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/convo"
	"hark/app/protocol"
)

// These tests need a DOM: run them in a browser with
//
//	GOOS=js GOARCH=wasm go test -exec wasmbrowsertest ./app/ui
//
// and the benchmark with make dombench.

// listHost holds a message list as Chat does: a new Version hands it on.
type listHost struct {
	app.Compo
	Conv    *convo.Conversation
	Version uint64
}

func (h *listHost) Render() app.UI {
	return app.Div().Body(&messageList{Conv: h.Conv, Version: h.Version, Me: "Alice", MeKey: "alice"})
}

// bigList is a mounted message list of Everyone's conversation with n
// messages, and a way to append one more as the app does (the client's
// window merged, Chat rendered again).
type bigList struct {
	model  *convo.Model
	engine app.TestEngine
	next   uint64
}

func mountList(tb testing.TB, n int) *bigList {
	tb.Helper()
	if !app.Window().Get("document").Truthy() {
		tb.Skip("needs a browser: GOOS=js GOARCH=wasm go test -exec wasmbrowsertest ./app/ui")
	}
	m := convo.New("Alice")
	items := make([]client.Item, n)
	for i := range items {
		items[i] = listItem(listBase + uint64(i))
	}
	m.Sync(client.State{Epoch: "e", Messages: items})
	doc := app.Window().Get("document")
	body := doc.Get("body")
	body.Call("insertBefore", doc.Call("createElement", "div"), body.Get("firstElementChild"))
	b := &bigList{model: m, engine: app.NewTestEngine(), next: listBase + uint64(n)}
	host := b.host()
	if err := b.engine.Load(host); err != nil {
		tb.Fatal(err)
	}
	b.engine.ConsumeAll()
	tb.Cleanup(func() { body.Call("removeChild", host.JSValue()) })
	return b
}

// listBase is the seq of a test list's first message: far from 0, so
// older pages fit below it.
const listBase = 1 << 40

func listItem(seq uint64) client.Item {
	return client.Item{Event: protocol.Event{
		Seq: seq, Type: protocol.TypeMessage, From: "Bob", Text: fmt.Sprint("message ", seq),
		Time: protocol.NewTime(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)),
	}}
}

func (b *bigList) host() *listHost {
	c := b.model.Get("")
	return &listHost{Conv: c, Version: c.Version}
}

// append adds one message and renders it, as a client change does.
func (b *bigList) append(tb testing.TB) {
	b.model.Sync(client.State{Epoch: "e", Messages: []client.Item{listItem(b.next)}})
	b.next++
	if err := b.engine.Load(b.host()); err != nil {
		tb.Fatal(err)
	}
	b.engine.ConsumeAll()
}

// mutations counts what the DOM went through while fn ran: records of the
// list's subtree, and nodes added.
func mutations(fn func()) (records, added int) {
	obs := app.Window().Get("MutationObserver").New(app.FuncOf(func(app.Value, []app.Value) any { return nil }))
	obs.Call("observe", byID("messages"), map[string]any{"subtree": true, "childList": true, "attributes": true, "characterData": true})
	fn()
	recs := obs.Call("takeRecords")
	obs.Call("disconnect")
	records = recs.Length()
	for i := range records {
		added += recs.Index(i).Get("addedNodes").Length()
	}
	return records, added
}

// Appending a message to a conversation of 5,000 touches the DOM exactly
// as much as appending one to a conversation of 50: the one new message,
// nothing else re-rendered.
func TestAppendTouchesOnlyTheNewMessage(t *testing.T) {
	var got []string
	for _, n := range []int{50, 5000} {
		l := mountList(t, n)
		if c := byID("messages").Call("querySelectorAll", ".msg").Length(); c != n {
			t.Fatalf("%d messages mounted, want %d", c, n)
		}
		records, added := mutations(func() { l.append(t) })
		if added != 1 {
			t.Errorf("appending to %d messages added %d nodes, want 1 (the new message)", n, added)
		}
		got = append(got, fmt.Sprint(records, "/", added))
		last := byID("messages").Call("querySelectorAll", ".msg .text")
		if s := last.Index(last.Length() - 1).Get("textContent").String(); s != fmt.Sprint("message ", listBase+n) {
			t.Errorf("the last message reads %q", s)
		}
	}
	if got[0] != got[1] {
		t.Errorf("DOM mutations (records/added) appending to 50 messages %s, to 5,000 %s: want the same", got[0], got[1])
	}
}

// react adds a reaction to the message at seq and renders it, as a
// client change does.
func (b *bigList) react(tb testing.TB, seq uint64) {
	b.model.Sync(client.State{Epoch: "e", Messages: []client.Item{{Event: protocol.Event{
		Seq: b.next, Type: protocol.TypeReact, From: "Carol", Target: seq, Emoji: "👍", On: true,
	}}}})
	b.next++
	if err := b.engine.Load(b.host()); err != nil {
		tb.Fatal(err)
	}
	b.engine.ConsumeAll()
}

// A reaction to a message in the middle of a conversation of 5,000 touches
// the DOM as it does in one of 50, and only inside that message: its
// reactions row appears, nothing else is rendered again.
func TestReactionTouchesOnlyItsMessage(t *testing.T) {
	var got []string
	for _, n := range []int{50, 5000} {
		l := mountList(t, n)
		target := listBase + uint64(n/2)
		obs := app.Window().Get("MutationObserver").New(app.FuncOf(func(app.Value, []app.Value) any { return nil }))
		obs.Call("observe", byID("messages"), map[string]any{"subtree": true, "childList": true, "attributes": true, "characterData": true})
		l.react(t, target)
		recs := obs.Call("takeRecords")
		obs.Call("disconnect")
		msg := byID(msgID(target))
		records, added, outside := recs.Length(), 0, 0
		for i := range records {
			added += recs.Index(i).Get("addedNodes").Length()
			if !msg.Call("contains", recs.Index(i).Get("target")).Bool() {
				outside++
			}
		}
		if outside > 0 || added == 0 {
			t.Errorf("a reaction in a list of %d: %d of %d DOM changes outside its message, %d nodes added", n, outside, records, added)
		}
		got = append(got, fmt.Sprint(records, "/", added))
		r := byID(msgID(target)).Call("querySelector", ".reaction")
		if !r.Truthy() || r.Get("textContent").String() != "👍 1" {
			t.Fatalf("the reacted message shows no 👍 1")
		}
	}
	if got[0] != got[1] {
		t.Errorf("DOM mutations (records/added) reacting in 50 messages %s, in 5,000 %s: want the same", got[0], got[1])
	}
}

// BenchmarkReact times one reaction to a message of a conversation of 50
// and of 5,000 (the model's apply, go-app's diff, the DOM).
func BenchmarkReact(b *testing.B) {
	for _, n := range []int{50, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			l := mountList(b, n)
			b.ResetTimer()
			for i := range b.N {
				l.react(b, listBase+uint64(i%n))
			}
		})
	}
}

// BenchmarkAppend times appending one message to a conversation of 50 and
// of 5,000 (the model's merge, go-app's diff, the DOM).
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{50, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			l := mountList(b, n)
			b.ResetTimer()
			for range b.N {
				l.append(b)
			}
		})
	}
}

// BenchmarkOlderPage times putting a scrollback page of 50 above a
// conversation of 50 and of 5,000. go-app matches children by place, so
// the chunks below shift and re-render: this one grows with the list, and
// is paid once per page scrolled, not per message.
func BenchmarkOlderPage(b *testing.B) {
	for _, n := range []int{50, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			l := mountList(b, n)
			l.model.Get("").More = true
			b.ResetTimer()
			for i := range b.N {
				var h protocol.History
				for s := range 50 {
					h.Events = append(h.Events, listItem(listBase-uint64(50*(i+1)-s)).Event)
				}
				h.More = true
				l.model.Older("", h)
				if err := l.engine.Load(l.host()); err != nil {
					b.Fatal(err)
				}
				l.engine.ConsumeAll()
			}
		})
	}
}
