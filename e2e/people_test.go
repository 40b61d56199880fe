package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// appReady is true once the WebAssembly app has mounted its page (the UI
// marks it .page.ready): before, the page is go-app's prerendered HTML, and
// typing into it is lost.
const appReady = `!!document.querySelector(".page.ready") && !!document.querySelector("#name, #messages")`

// open loads the app and waits for it to be running (the WASM loaded).
func (p *person) open(url string) {
	p.t.Helper()
	p.do(chromedp.Navigate(url))
	p.waitFor("the app to start", appReady)
}

// joined opens the app at url for each name, each in a browser context of
// its own, and joins under that name.
func (b *browser) joined(t *testing.T, url string, names ...string) []*person {
	t.Helper()
	people := make([]*person, len(names))
	for i, name := range names {
		people[i] = b.person(t, name)
		people[i].open(url)
		people[i].join()
	}
	return people
}

// join registers p.name on the join page and waits for the chat.
func (p *person) join() {
	p.t.Helper()
	p.tryJoin(p.name)
	p.waitFor("the chat after joining", `!!document.querySelector("#messages")`)
	p.waitConnected()
}

// tryJoin types name on the join page and presses Enter.
func (p *person) tryJoin(name string) {
	p.t.Helper()
	p.do(
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#name").value = ""`),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("name"), kb.Enter),
	)
}

// waitConnected waits for the status bar to say Connected.
func (p *person) waitConnected() {
	p.t.Helper()
	p.waitFor("Connected", `(document.querySelector("#conn")||{}).textContent === "Connected"`)
}

// say types text in the composer and presses Enter.
func (p *person) say(text string) {
	p.t.Helper()
	p.do(
		chromedp.WaitVisible(chromedp.ID("text")),
		chromedp.SendKeys(chromedp.ID("text"), text),
		chromedp.SendKeys(chromedp.ID("text"), kb.Enter),
	)
}

// sayTo picks a recipient ("" for Everyone) and says text.
func (p *person) sayTo(to, text string) {
	p.t.Helper()
	label := to
	if to == "" {
		label = "Everyone"
	}
	p.pick("to", label)
	p.waitFor("the recipient "+label, fmt.Sprintf(`document.querySelector("#to").selectedOptions[0].textContent === %s`, js(label)))
	p.say(text)
}

// pick chooses the option labelled label in the select with id, as a
// person would, and tells the page it changed.
func (p *person) pick(id, label string) {
	p.t.Helper()
	find := fmt.Sprintf(`[...document.querySelectorAll("#%s option")].find(o => o.textContent === %s)`, id, js(label))
	p.waitFor("option "+label+" in #"+id, "!!"+find)
	eval[chromedp.Void](p, fmt.Sprintf(`(() => {
		const o = %s;
		o.selected = true;
		o.parentElement.dispatchEvent(new Event("change", {bubbles: true}));
	})()`, find))
}

// countJS counts the message texts equal to text.
func countJS(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#messages .msg .text")].filter(e => e.textContent === %s).length`, js(text))
}

// sees waits until p sees text exactly once in the message list.
func (p *person) sees(text string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%q in the messages", text), countJS(text)+` >= 1`)
	if n := eval[int](p, countJS(text)); n != 1 {
		p.t.Fatalf("%s sees %q %d times, want once", p.name, text, n)
	}
}

// count returns how often p sees text in the message list now.
func (p *person) count(text string) int {
	p.t.Helper()
	return eval[int](p, countJS(text))
}

// setTransport picks a transport in the status bar and waits until it is
// the one in use.
func (p *person) setTransport(label string) {
	p.t.Helper()
	p.pick("transport", label)
	p.waitFor("transport "+label, fmt.Sprintf(`(document.querySelector("#active")||{}).textContent === %s && document.querySelector("#conn").textContent === "Connected"`, js("via "+label)))
}

// A name typed and sent before the app has loaded is not lost: the
// prerendered form submits the plain way (a GET of /?name=...), and the
// app, once mounted, fills the name back in and clears the address bar.
func TestNameTypedBeforeTheAppLoads(t *testing.T) {
	srv := startServer(t)
	watcher := newAPIUser(t, srv.URL, "Watcher")
	b := newBrowser(t)
	p := b.person(t, "Early")
	scripts := func(off bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
			_, err := cdp.Call(ctx, tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
			return err
		})
	}
	// With scripts off the page stays go-app's prerendered HTML, as it is
	// for the second or more the WebAssembly takes to load.
	p.do(scripts(true), chromedp.Navigate(srv.URL))
	p.tryJoin("Early")
	p.waitFor("the plain form's GET", `location.search === "?name=Early"`)
	p.do(scripts(false), reload())
	p.waitFor("the app to start", appReady)
	p.waitFor("the typed name back in the field", `document.querySelector("#name").value === "Early"`)
	if got := eval[string](p, `location.search`); got != "" {
		t.Errorf("the address bar keeps %q", got)
	}
	// Filled in, not sent: the person presses Join.
	time.Sleep(500 * time.Millisecond)
	if eval[bool](p, `!!document.querySelector("#messages")`) || slices.Contains(watcher.users(t), "Early") {
		t.Fatal("the name from the address was sent without the person pressing Join")
	}
	p.do(chromedp.SendKeys(chromedp.ID("name"), kb.Enter))
	p.waitFor("the chat after joining", `!!document.querySelector("#messages")`)
}

// Two tabs of one browser are two people (the session lives in each tab's
// sessionStorage) and stay so through a reload; Leave forgets the tab's
// session and its conversation cache, and leaves the other tab's alone.
func TestTabsAreDifferentPeople(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	alice := b.person(t, "Alice")
	tab, cancel := chromedp.NewContext(alice.ctx) // a second tab, same browser context
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil { // opened here: the tab lives as long as the context that opens it
		t.Fatal(err)
	}
	bob := &person{t: t, name: "Bob", ctx: tab}
	alice.open(srv.URL)
	alice.join()
	bob.open(srv.URL)
	if !eval[bool](bob, `!!document.querySelector("#name")`) {
		t.Fatal("a second tab opened as the first tab's person")
	}
	bob.join()
	bob.sayTo("Alice", "between tabs")
	alice.openConv("Bob")
	alice.sees("between tabs")
	cached := `Object.keys(localStorage).filter(k => k.startsWith("hark.cache.")).sort().join()`
	for _, p := range []*person{alice, bob} {
		p.waitFor("both caches written, in the storage the tabs share", cached+` === "hark.cache.alice,hark.cache.bob"`)
		p.do(reload())
		p.waitFor("the app to start", appReady)
		p.waitFor(p.name+" still in this tab", fmt.Sprintf(`(document.querySelector("#me")||{}).textContent === "You are %s"`, p.name))
	}

	alice.do(chromedp.Click(chromedp.ID("leave")))
	alice.waitFor("the join page", `!!document.querySelector("#name")`)
	alice.waitFor("Alice's cache gone, Bob's kept", cached+` === "hark.cache.bob"`)
	if eval[string](alice, `sessionStorage.getItem("hark.token") || ""`) != "" {
		t.Error("the token is still in the tab after Leave")
	}
	alice.do(reload())
	alice.waitFor("the app to start", appReady)
	if !eval[bool](alice, `!!document.querySelector("#name")`) {
		t.Error("a reload after Leave came back as someone")
	}
	bob.waitConnected()
}
