package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestConnectionMenuByKeyboard: the transport lives in a menu opened from
// the status indicator, which works by keyboard alone: Enter opens it and
// focuses the picker, Escape closes it and gives the focus back, and
// tabbing past it closes it too.
func TestConnectionMenuByKeyboard(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	alice := b.joined(t, srv.URL, "Alice")[0]

	if eval[bool](alice, visible("#transport")) {
		t.Fatalf("the transport picker is on screen before the menu is opened")
	}
	if name := eval[string](alice, `document.querySelector("#status").textContent`); name != "Connection: Connected▾" {
		t.Errorf("the status button reads %q, want its accessible name to say Connection: Connected", name)
	}

	eval[chromedp.Void](alice, `document.querySelector("#status").focus()`)
	alice.press(kb.Enter)
	alice.waitFor("the menu open", visible("#conn-menu")+` && document.querySelector("#status").getAttribute("aria-expanded") === "true"`)
	alice.waitFor("the focus on the picker", `document.activeElement.id === "transport"`)
	if got := eval[string](alice, `document.querySelector("#active").textContent`); got != "via WebSocket" {
		t.Errorf("the menu says %q, want the transport in use (via WebSocket)", got)
	}

	alice.press(kb.Escape)
	alice.waitFor("the menu closed by Escape", `!(`+visible("#conn-menu")+`) && document.querySelector("#status").getAttribute("aria-expanded") === "false"`)
	if f := alice.focused(); f != "status" {
		t.Errorf("after Escape the focus is on %q, want the status button", f)
	}

	// Pick a transport from the menu, by keyboard: the picker keeps the
	// focus, the menu stays open, and says what is in use.
	alice.press(kb.Enter)
	alice.waitFor("the focus on the picker", `document.activeElement.id === "transport"`)
	alice.setTransport("Long polling")
	if !eval[bool](alice, visible("#conn-menu")) {
		t.Errorf("the menu closed while choosing a transport")
	}

	// Tab past the picker: the focus leaves the menu, which closes.
	alice.press(kb.Tab)
	alice.waitFor("the menu closed when the focus left it", `!(`+visible("#conn-menu")+`)`)
	if f := alice.focused(); f != "add-device" {
		t.Errorf("Tab from the picker went to %q, want Add a device (the next control)", f)
	}
	alice.say("still here")
	alice.sees("still here")
}

// TestOfflineCountdown: with the server down the indicator says Offline
// and counts down to the next attempt in whole seconds that each hold for
// about a second (the delay the client chose, not a number that jumps with
// each jitter), never says "via none", and goes back to Connected.
func TestOfflineCountdown(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	alice := b.joined(t, srv.URL, "Alice")[0]

	srv.Stop()
	alice.waitFor("the offline state", `document.querySelector("#conn").textContent === "Offline"`)
	alice.shot("offline-countdown")
	eval[chromedp.Void](alice, `(() => {
		window.__samples = [];
		window.__sampler = setInterval(() => {
			const r = document.querySelector("#retry");
			__samples.push([performance.now(), document.querySelector("#conn").textContent, r ? r.textContent : "", document.body.textContent.includes("via none"), !!document.querySelector("#active")]);
		}, 40);
	})()`)
	time.Sleep(8 * time.Second)
	raw := eval[string](alice, `(clearInterval(window.__sampler), JSON.stringify(window.__samples))`)
	// The countdown fits a phone's one-row header.
	alice.do(emulatePhone())
	alice.waitFor("the phone layout", visible("#drawer-toggle"))
	alice.oneRowHeader()
	alice.shot("offline-phone")
	srv.Start()
	alice.waitConnected()
	alice.waitFor("the transport in use shown again", `(document.querySelector("#active")||{}).textContent === "via WebSocket"`)

	var samples [][]any
	if err := json.Unmarshal([]byte(raw), &samples); err != nil {
		t.Fatal(err)
	}
	type run struct {
		text        string
		start, stop float64
	}
	var runs []run
	counted := regexp.MustCompile(`^retry in ([0-9]+)s$`)
	for _, s := range samples {
		at, conn, retry, viaNone, active := s[0].(float64), s[1].(string), s[2].(string), s[3].(bool), s[4].(bool)
		if conn != "Offline" {
			t.Fatalf("while the server is down the label flickered to %q", conn)
		}
		if viaNone || active {
			t.Fatalf("while offline the page shows a transport in use (via none: %v)", viaNone)
		}
		if retry != "retrying…" && !counted.MatchString(retry) {
			t.Fatalf("the countdown reads %q", retry)
		}
		if n := len(runs); n > 0 && runs[n-1].text == retry {
			runs[n-1].stop = at
			continue
		}
		runs = append(runs, run{retry, at, at})
	}
	number := func(r run) int {
		m := counted.FindStringSubmatch(r.text)
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	ticks := 0
	for i := 1; i+1 < len(runs); i++ {
		n, next := number(runs[i]), number(runs[i+1])
		if n == 0 || next == 0 || next > n {
			continue // the attempt, or a new wait
		}
		if next != n-1 {
			t.Errorf("the countdown went from %d to %d", n, next)
		}
		// One second, give or take the sampling and a busy machine.
		if held := runs[i+1].start - runs[i].start; held < 700 || held > 1400 {
			t.Errorf("%q held %.0f ms, want about a second", runs[i].text, held)
		}
		ticks++
	}
	if ticks < 2 {
		t.Errorf("saw %d steps of a countdown in 8 s offline: %v", ticks, runs)
	}
}

// TestPhoneLayout: on a 390×844 phone the header is one row, the people
// go into a drawer, and the first message sits in the top third of the
// screen. The drawer works by keyboard and closes when a name is picked.
func TestPhoneLayout(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	alice, _, _ := scene(t, srv.URL, b)
	alice.do(emulatePhone())
	alice.waitFor("the phone layout", `!(`+visible("#drawer")+`) && `+visible("#drawer-toggle"))
	alice.waitFor("the list at rest", `(() => { const m = document.querySelector("#messages"); return m.scrollHeight <= m.clientHeight + 1 })()`)

	header := alice.box(".topbar")
	if header.Height > 64 {
		t.Errorf("the header is %.0f px high on a phone, want one row (at most 64)", header.Height)
	}
	alice.oneRowHeader()
	first := alice.box("#messages .msg")
	if first.Top < header.Bottom || first.Bottom > phoneHeight/3 {
		t.Errorf("the first message is at %.0f–%.0f px, want it within the top third (below the header at %.0f, above %d)", first.Top, first.Bottom, header.Bottom, phoneHeight/3)
	}
	alice.blur()
	alice.figure("phone")
	alice.audit("phone, chat, light")

	// The drawer, by keyboard: open, Escape, the focus back on its button.
	eval[chromedp.Void](alice, `document.querySelector("#drawer-toggle").focus()`)
	alice.press(kb.Enter)
	alice.waitFor("the drawer open", visible("#drawer")+` && document.querySelector("#drawer-toggle").getAttribute("aria-expanded") === "true"`)
	alice.waitFor("the focus in the drawer", `!!document.activeElement.closest("#drawer")`)
	alice.shot("phone-drawer")
	alice.audit("phone, drawer open, light")
	alice.press(kb.Escape)
	alice.waitFor("the drawer closed", `!(`+visible("#drawer")+`)`)
	if f := alice.focused(); f != "drawer-toggle" {
		t.Errorf("after Escape the focus is on %q, want the drawer's button", f)
	}

	// Moving the focus out of the drawer, to the page behind, closes it.
	eval[chromedp.Void](alice, `document.querySelector("#drawer-toggle").click()`)
	alice.waitFor("the focus in the drawer", `!!document.activeElement.closest("#drawer")`)
	eval[chromedp.Void](alice, `document.querySelector("#text").focus()`)
	alice.waitFor("the drawer closed when the focus left it", `!(`+visible("#drawer")+`)`)

	// Its Close button, and a tap beside it, close it too.
	eval[chromedp.Void](alice, `document.querySelector("#drawer-toggle").click()`)
	alice.waitFor("the drawer open", visible("#drawer"))
	alice.do(chromedp.Click(chromedp.ID("drawer-close")))
	alice.waitFor("the drawer closed by its Close button", `!(`+visible("#drawer")+`)`)
	eval[chromedp.Void](alice, `document.querySelector("#drawer-toggle").click()`)
	alice.waitFor("the drawer open", visible("#drawer"))
	alice.do(chromedp.MouseClickXY(phoneWidth-20, phoneHeight/2)) // the drawer is at most 20rem wide, from the left
	alice.waitFor("the drawer closed by a tap beside it", `!(`+visible("#drawer")+`)`)

	// Picking a name closes the drawer and writes to them.
	eval[chromedp.Void](alice, `document.querySelector("#drawer-toggle").click()`)
	alice.waitFor("the drawer open", visible("#drawer"))
	eval[chromedp.Void](alice, `[...document.querySelectorAll("#roster button.person")].find(b => b.textContent === "Carol").click()`)
	alice.waitFor("the drawer closed and Carol picked", `!(`+visible("#drawer")+`) && document.querySelector("#to").value === "Carol"`)
}

// TestLookAndAudit: the look (bubbles that fit, direct messages marked
// without a draft's dashed border, no "sent" on every message, names that
// look clickable), the join error that clears when the name is edited, the
// length counter and Show more, both themes, and an axe-core audit of the
// join page and the chat in each theme.
func TestLookAndAudit(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	alice, bob, _ := scene(t, srv.URL, b)

	// The join page: a refusal, then an edit clears it.
	dana := b.person(t, "Dana")
	dana.open(srv.URL)
	dana.tryJoin("ALICE")
	dana.waitFor("the refusal", `document.querySelector("#join-error").textContent.includes("in use")`)
	dana.audit("join page with an error, light")
	dana.do(chromedp.SendKeys(chromedp.ID("name"), "2"))
	dana.waitFor("the error cleared by the edit", `document.querySelector("#join-error").textContent === "" && document.querySelector("#name").getAttribute("aria-invalid") !== "true"`)

	short := `[...document.querySelectorAll("#messages .msg.other")].find(m => m.textContent.includes("Could you take the notes"))`
	if w := eval[float64](alice, short+`.getBoundingClientRect().width`); w > 400 {
		t.Errorf("a short message from someone else is %.0f px wide, want it to fit its text", w)
	}
	if s := eval[string](alice, `getComputedStyle(`+short+`).borderStyle`); regexp.MustCompile(`dashed|dotted`).MatchString(s) {
		t.Errorf("a direct message has a %s border, like a draft", s)
	}
	if n := eval[int](alice, `document.querySelectorAll("#messages .msg.sent .status").length`); n != 0 {
		t.Errorf("%d sent messages still say so", n)
	}
	if c := eval[string](alice, `getComputedStyle(document.querySelector("#roster button.person")).cursor`); c != "pointer" {
		t.Errorf("a name in the roster has the %q cursor, want a pointer (it is a button)", c)
	}
	// Each theme: a figure of the chat (everyone's conversation, with a
	// direct message from Bob waiting unread), and an audit of the chat,
	// the open connection menu and the join page.
	alice.openConv("")
	bob.sayTo("Alice", "Thanks!")
	alice.waitFor("Bob's unread badge", convButton("Bob")+`.querySelector(".badge")?.textContent === "1"`)
	for _, th := range []struct{ scheme, figure, bg string }{
		{"light", "chat", "rgb(245, 246, 250)"},
		{"dark", "dark", "rgb(17, 20, 27)"},
	} {
		alice.do(colorScheme(th.scheme))
		dana.do(colorScheme(th.scheme))
		alice.waitFor("the "+th.scheme+" theme", fmt.Sprintf(`getComputedStyle(document.documentElement).backgroundColor === %s`, js(th.bg)))
		alice.blur()
		alice.figure(th.figure)
		alice.audit("chat, " + th.scheme)
		eval[chromedp.Void](alice, `document.querySelector("#status").click()`)
		alice.waitFor("the menu open", visible("#conn-menu"))
		alice.audit("connection menu, " + th.scheme)
		alice.press(kb.Escape)
		dana.audit("join page, " + th.scheme)
	}
	alice.openConv("Bob")

	// The counter appears near the limit, in characters.
	typeText := func(p *person, text string) {
		eval[chromedp.Void](p, fmt.Sprintf(`(() => { const t = document.querySelector("#text"); t.value = %s; t.dispatchEvent(new Event("input", {bubbles: true})) })()`, js(text)))
	}
	typeText(alice, "short")
	if got := eval[string](alice, `document.querySelector("#count").textContent`); got != "" {
		t.Errorf("the counter says %q far from the limit", got)
	}
	long := ""
	for i := 0; len(long) < 3500; i++ {
		long += fmt.Sprintf("Line %d of a long paste that goes on.\n", i)
	}
	typeText(alice, long)
	alice.waitFor("the counter", fmt.Sprintf(`document.querySelector("#count").textContent === "%d characters left"`, 4096-len(long)))
	alice.audit("composer with the counter, dark")
	eval[chromedp.Void](alice, `document.querySelector("#composer").requestSubmit()`)
	alice.waitFor("the counter gone after sending", `document.querySelector("#count").textContent === ""`)

	// A long message is collapsed for the others, with Show more.
	bob.waitFor("the long message, collapsed", `(() => { const l = document.querySelector("#messages .long.collapsed"); if (!l) return false; const t = l.querySelector(".text"); return t.scrollHeight > t.clientHeight + 20 })()`)
	bob.audit("a collapsed message, light")
	eval[chromedp.Void](bob, `document.querySelector("#messages .long .more").click()`)
	bob.waitFor("the long message expanded", `(() => { const l = document.querySelector("#messages .long.expanded"); if (!l) return false; const t = l.querySelector(".text"); return t.scrollHeight <= t.clientHeight + 1 && l.querySelector(".more").getAttribute("aria-expanded") === "true" && l.querySelector(".more").textContent === "Show less" })()`)
	// The list now scrolls: it must be reachable by keyboard to scroll,
	// whether or not a message in it has a link or a button.
	if ti := eval[int](bob, `document.querySelector("#messages").tabIndex`); ti != 0 {
		t.Errorf("the message list has tabindex %d: a keyboard cannot scroll it", ti)
	}
	bob.waitFor("the list scrolling", `(() => { const m = document.querySelector("#messages"); return m.scrollHeight > m.clientHeight })()`)
	bob.audit("a list that scrolls, light")
}
