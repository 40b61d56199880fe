package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"hark/app/protocol"
)

// TestConversations: direct messages go to a conversation of their own,
// not Everyone's; one that is not open gets an unread badge and the title
// counts, the most recent conversation first; opening it reads it.
func TestConversations(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob", "Carol")
	alice, bob, carol := people[0], people[1], people[2]
	alice.waitFor("everyone in the roster", `document.querySelectorAll("#roster li").length === 3`)

	bob.say("hello all")
	alice.sees("hello all")
	// Bob writes to Alice by clicking her name in the roster: that opens
	// their conversation, and the composer writes there.
	eval[chromedp.Void](bob, `[...document.querySelectorAll("#roster button.person")].find(b => b.textContent === "Alice").click()`)
	bob.waitFor("Bob's conversation with Alice", `document.querySelector("#conv-title").textContent === "Alice (direct messages)"`)
	bob.say("dm one")
	bob.say("dm two")
	bob.sees("dm two")

	alice.waitFor("an unread badge of 2 on Bob", badge("Bob")+` === "2"`)
	alice.waitFor("the title count", `document.title === "(2) Hark"`)
	if n := alice.count("dm one"); n != 0 {
		t.Errorf("a direct message shows in Everyone's conversation")
	}
	carol.sayTo("Alice", "from carol")
	alice.waitFor("Carol first, then Bob", `(() => { const w = [...document.querySelectorAll("#conversations button.conv")].map(b => b.dataset.with || ""); return w.join(",") === ",Carol,Bob" })()`)
	alice.waitFor("the title count", `document.title === "(3) Hark"`)

	alice.openConv("Bob")
	alice.sees("dm one")
	alice.sees("dm two")
	// Opened with two unread, the New line is above the first of them,
	// and the second, a moment after it from Bob too, is in its group.
	alice.waitFor("the New line at the first unread", `document.querySelector("#messages .msg.first-new .text")?.textContent === "dm one"`)
	if !eval[bool](alice, `(() => { const m = [...document.querySelectorAll("#messages .msg")].find(e => e.querySelector(".text")?.textContent === "dm two"); return !!m && m.classList.contains("cont") })()`) {
		t.Errorf("Bob's second message, a moment after his first, is not in its group")
	}
	if n := alice.count("hello all"); n != 0 {
		t.Errorf("Everyone's message shows in the conversation with Bob")
	}
	alice.waitFor("Bob's badge gone and the title at 1", badge("Bob")+` === "" && document.title === "(1) Hark"`)
	alice.say("back to bob")
	bob.sees("back to bob")
	alice.openConv("Carol")
	alice.waitFor("nothing unread", `document.title === "Hark"`)
	if n := carol.count("back to bob"); n != 0 {
		t.Errorf("Carol sees Alice's message to Bob")
	}
}

// TestScrollback: scrolling to the top loads older messages, page by
// page, to the start of what the server keeps; with messages arriving live
// meanwhile, each shows once and in order.
func TestScrollback(t *testing.T) {
	srv := startServer(t, "-rate", "1000", "-burst", "1000")
	poster := newAPIUser(t, srv.URL, "Poster")
	const older = 150
	for i := 1; i <= older; i++ {
		if err := poster.send(fmt.Sprint("old-", i), fmt.Sprint("old ", i)); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t)
	alice := b.joined(t, srv.URL, "Alice")[0]
	alice.sees(fmt.Sprint("old ", older))

	// Live messages keep coming while Alice scrolls back.
	var wg sync.WaitGroup
	const live = 20
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= live; i++ {
			if err := poster.send(fmt.Sprint("live-", i), fmt.Sprint("live ", i)); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(60 * time.Millisecond)
		}
	}()
	// Scroll to the top until the start shows, as a reader would. A
	// scroll event is sent each time: a list kept at scrollTop 0 after a
	// page came in would fire none by setting it again.
	start := `!!document.querySelector("#history-edge.start")`
	deadline := time.Now().Add(30 * time.Second)
	for !eval[bool](alice, start) {
		if time.Now().After(deadline) {
			t.Fatal("scrolling to the top for 30 s did not reach the start of the conversation")
		}
		eval[chromedp.Void](alice, `(() => { const m = document.querySelector("#messages"); m.scrollTop = 0; m.dispatchEvent(new Event("scroll")) })()`)
		alice.waitFor("a page of older messages", `!document.querySelector("#history-edge.loading")`)
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	alice.sees(fmt.Sprint("live ", live))

	texts := eval[[]string](alice, `[...document.querySelectorAll("#messages .msg:not(.notice) .text")].map(e => e.textContent)`)
	var want []string
	for i := 1; i <= older; i++ {
		want = append(want, fmt.Sprint("old ", i))
	}
	for i := 1; i <= live; i++ {
		want = append(want, fmt.Sprint("live ", i))
	}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("after scrolling back the list holds %d messages:\n%v\nwant %d, each once, in order", len(texts), texts, len(want))
	}
	// Reading the top, new messages do not move the view: a button offers
	// to jump to them.
	eval[chromedp.Void](alice, `document.querySelector("#messages").scrollTop = 0`)
	time.Sleep(200 * time.Millisecond)
	if err := poster.send("late", "late news"); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("the jump button", `!!document.querySelector("#jump-latest") && document.querySelector("#messages").scrollTop < 200`)
	alice.waitFor("the new messages marker", `!!document.querySelector("#messages .msg.first-new")`)
	eval[chromedp.Void](alice, `document.querySelector("#jump-latest").click()`)
	alice.waitFor("the view at the newest", `(() => { const m = document.querySelector("#messages"); return m.scrollHeight - m.scrollTop - m.clientHeight < 80 && !document.querySelector("#jump-latest") })()`)
}

// TestMentionsAndNotifications: @ offers names to complete by keyboard; a
// message mentioning you is highlighted; with notifications turned on
// (permission asked only then) and the page hidden, a mention and a direct
// message raise notifications, and clicking one opens its conversation.
func TestMentionsAndNotifications(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	alice := b.person(t, "Alice")
	alice.watchAttention()
	alice.grantNotifications(srv.URL)
	alice.open(srv.URL)
	alice.join()
	bob := b.joined(t, srv.URL, "Bob")[0]
	bob.waitFor("Alice in the roster", `[...document.querySelectorAll("#roster li")].some(li => li.textContent.includes("Alice"))`)
	if n := eval[int](alice, `window.__asked`); n != 0 {
		t.Errorf("permission was asked %d times before notifications were turned on", n)
	}

	// Bob completes @Al to @Alice by keyboard.
	bob.do(chromedp.SendKeys(chromedp.ID("text"), "hey @al"))
	bob.waitFor("Alice offered", `(() => { const l = document.querySelector("#mention-list"); return !!l && l.textContent.includes("@Alice") })()`)
	bob.do(chromedp.SendKeys(chromedp.ID("text"), kb.Escape))
	bob.waitFor("the offer closed", `!document.querySelector("#mention-list")`)
	bob.do(chromedp.SendKeys(chromedp.ID("text"), "i"))
	bob.waitFor("Alice offered again", `!!document.querySelector("#mention-list")`)
	bob.do(chromedp.SendKeys(chromedp.ID("text"), kb.Tab))
	bob.waitFor("the name completed", `document.querySelector("#text").value === "hey @Alice "`)

	eval[chromedp.Void](alice, `document.querySelector("#notify-toggle").click()`)
	alice.waitFor("notifications on", `document.querySelector("#notify-toggle").getAttribute("aria-pressed") === "true" && window.__asked === 1`)
	eval[chromedp.Void](alice, `window.__setHidden(true)`)

	bob.do(chromedp.SendKeys(chromedp.ID("text"), "look"+kb.Enter))
	alice.waitFor("the mention highlighted", `[...document.querySelectorAll("#messages .msg.mention")].some(m => m.textContent.includes("hey @Alice look"))`)
	alice.waitFor("a notification of the mention", `window.__notes.some(n => n.title === "Bob mentioned you" && n.body === "hey @Alice look")`)
	alice.waitFor("the title counts while hidden", `document.title === "(1) Hark"`)
	bob.say("not for anyone in particular")
	alice.sees("not for anyone in particular")
	bob.sayTo("Alice", "a secret")
	alice.waitFor("a notification of the direct message", `window.__notes.some(n => n.title === "Bob" && n.body === "a secret")`)
	if n := eval[int](alice, `window.__notes.length`); n != 2 {
		t.Errorf("%d notifications, want 2 (a mention, a direct message; not every message)", n)
	}
	eval[chromedp.Void](alice, `(() => { window.__setHidden(false); const n = window.__notes.find(n => n.title === "Bob"); n.onclick(); })()`)
	alice.waitFor("the conversation with Bob open", `document.querySelector("#conv-title").textContent === "Bob (direct messages)"`)
	alice.sees("a secret")
}

// TestTypingIndicator: typing shows "… is typing" in the conversation it
// concerns, cleared when the message arrives or after a few seconds.
func TestTypingIndicator(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]
	bob.do(chromedp.SendKeys(chromedp.ID("text"), "hel"))
	alice.waitFor("Bob typing", typingShows("Bob is typing…"))
	bob.do(chromedp.SendKeys(chromedp.ID("text"), "lo"+kb.Enter))
	alice.sees("hello")
	alice.waitFor("the indicator cleared by the message", typingShows(""))

	// To Alice alone: shown in their conversation, not in Everyone's,
	// and gone a few seconds after the typing stops.
	for _, p := range []*person{alice, bob} {
		other := map[*person]string{alice: "Bob", bob: "Alice"}[p]
		eval[chromedp.Void](p, fmt.Sprintf(`[...document.querySelectorAll("#roster button.person")].find(b => b.textContent === %s).click()`, js(other)))
		p.waitFor("the conversation with "+other, fmt.Sprintf(`document.querySelector("#conv-title").textContent === %s`, js(other+" (direct messages)")))
	}
	// The server takes one typing notice a person every 2 s, whatever the
	// conversation: the one to everyone above spent it.
	time.Sleep(protocol.TypingEvery)
	bob.do(chromedp.SendKeys(chromedp.ID("text"), "psst"))
	alice.waitFor("Bob typing to Alice", typingShows("Bob is typing…"))
	alice.openConv("")
	if !eval[bool](alice, typingShows("")) {
		t.Errorf("typing to Alice alone shows in Everyone's conversation")
	}
	alice.openConv("Bob")
	alice.waitFor("the indicator lapsed", typingShows(""))
}

// TestCachedConversations: after a reload with the server down, the page
// shows the conversations from its cache, not "No messages yet".
func TestCachedConversations(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]
	bob.say("before the outage")
	bob.sayTo("Alice", "a direct one")
	alice.sees("before the outage")
	alice.waitFor("the service worker", `navigator.serviceWorker.controller !== null || (navigator.serviceWorker.ready.then(() => window.__swReady = true), window.__swReady === true)`)
	alice.waitFor("the cache written", `Object.keys(localStorage).some(k => k.startsWith("hark.cache.") && localStorage.getItem(k).includes("a direct one"))`)

	srv.Stop()
	alice.do(reload())
	alice.waitFor("the app shell from the service worker", `!!document.querySelector("#messages")`)
	alice.waitFor("the offline state", `document.querySelector("#conn").textContent.startsWith("Offline")`)
	alice.sees("before the outage")
	if eval[bool](alice, `document.body.innerText.includes("No messages yet")`) {
		t.Errorf("the page says No messages yet with a cache")
	}
	alice.openConv("Bob")
	alice.sees("a direct one")
}

// TestReadingGroupsFitMore: consecutive messages of one sender go under
// one name and time, each day starts with a line; on a 1280x800 screen
// that shows more messages than one bubble each with its own name and
// time, measured on the same page by putting every name and time back.
func TestReadingGroupsFitMore(t *testing.T) {
	srv := startServer(t, "-rate", "1000", "-burst", "1000")
	senders := []*apiUser{newAPIUser(t, srv.URL, "Bob"), newAPIUser(t, srv.URL, "Carol")}
	n := 0
	for round := range 6 {
		for i := range 5 { // five short lines in a row, as people write
			n++
			if err := senders[round%2].send(fmt.Sprint("g-", n), fmt.Sprintf("line %d of %d", i+1, 5)); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := newBrowser(t)
	alice := b.person(t, "Alice")
	alice.do(chromedp.EmulateViewport(1280, 800))
	alice.open(srv.URL)
	alice.join()
	alice.waitFor("the thirty messages", `document.querySelectorAll("#messages .msg:not(.notice)").length === 30`)
	alice.waitFor("one day line", `document.querySelectorAll("#messages .day").length === 1 && document.querySelector("#messages .day").textContent === "Today"`)
	if heads, cont := eval[int](alice, `document.querySelectorAll("#messages .msg:not(.notice):not(.cont)").length`), eval[int](alice, `document.querySelectorAll("#messages .msg.cont").length`); heads != 6 || cont != 24 {
		t.Fatalf("%d group heads and %d continuations, want 6 and 24 (six runs of five)", heads, cont)
	}
	// Joins and leaves can be hidden (Bob's and Carol's joins are
	// here), and stay hidden after a reload.
	alice.waitFor("a join shown", `[...document.querySelectorAll("#messages .notice")].some(n => n.offsetParent !== null)`)
	eval[chromedp.Void](alice, `document.querySelector("#notices-toggle").click()`)
	alice.waitFor("joins hidden", `document.querySelector("#notices-toggle").getAttribute("aria-pressed") === "true" && [...document.querySelectorAll("#messages .notice")].every(n => n.offsetParent === null)`)
	alice.do(reload())
	alice.waitFor("the app after the reload", appReady)
	alice.waitFor("the thirty messages again", `document.querySelectorAll("#messages .msg:not(.notice)").length === 30`)
	alice.waitFor("joins still hidden", `document.querySelector("#messages").classList.contains("hide-notices") && document.querySelector("#notices-toggle").textContent === "Show joins and leaves"`)
	alice.shot("reading-groups")
	const visible = `(() => { const box = document.querySelector("#messages").getBoundingClientRect(); return [...document.querySelectorAll("#messages .msg:not(.notice)")].filter(e => { const r = e.getBoundingClientRect(); return r.top >= box.top && r.bottom <= box.bottom }).length })()`
	grouped := eval[int](alice, visible)
	// The same messages, each with its own name and time again and no
	// day line: how they were shown before grouping.
	eval[chromedp.Void](alice, `(() => {
		document.querySelectorAll("#messages .day").forEach(d => d.remove());
		for (const m of document.querySelectorAll("#messages .msg.cont")) {
			const meta = document.createElement("div"); meta.className = "meta";
			const from = document.createElement("span"); from.className = "from"; from.textContent = "Bob";
			const time = document.createElement("time"); time.className = "time"; time.textContent = "12:00";
			meta.append(from, time); m.prepend(meta); m.classList.remove("cont");
		}
		const l = document.querySelector("#messages"); l.scrollTop = l.scrollHeight;
	})()`)
	ungrouped := eval[int](alice, visible)
	t.Logf("messages fully visible on 1280x800: %d grouped, %d with a name and time each", grouped, ungrouped)
	if grouped <= ungrouped {
		t.Errorf("grouped, %d messages fit; each with its own name and time, %d: want more grouped", grouped, ungrouped)
	}
}
