package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestServerRestartResumes: the server restarts on its data directory
// (same epoch, names, sessions and history); the pages reconnect by
// themselves, keep their names and their conversation, and chat on.
func TestServerRestartResumes(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]
	alice.say("before the restart")
	bob.sees("before the restart")

	srv.Stop()
	// The page may notice through a connection it already had open to
	// the test's port, and so reach the join page at once.
	alice.waitFor("the page to notice", `document.querySelector("#conn")?.textContent !== "Connected"`)
	srv.Start()
	alice.waitConnected()
	bob.waitConnected()

	alice.say("after the restart")
	bob.sees("after the restart")
	bob.say("and back")
	alice.sees("and back")
	for _, p := range people {
		if n := p.count("before the restart"); n != 1 {
			t.Errorf("after the restart the page shows the earlier message %d times, want once", n)
		}
	}
}

// TestOfflineShellAndOutbox: with the server down, a reload still shows the
// app from the service worker; a message typed then waits in the outbox and
// is delivered exactly once when the server is back.
func TestOfflineShellAndOutbox(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]
	// The shell is cached once the service worker is active.
	alice.waitFor("the service worker", `navigator.serviceWorker.controller !== null || (navigator.serviceWorker.ready.then(() => window.__swReady = true), window.__swReady === true)`)

	srv.Stop()
	alice.do(reload())
	alice.waitFor("the app shell from the service worker", `!!document.querySelector("#messages")`)
	alice.waitFor("the offline state", `document.querySelector("#conn").textContent.startsWith("Offline")`)
	alice.shot("offline")

	alice.say("typed while offline")
	alice.waitFor("the message pending", `[...document.querySelectorAll("#messages .msg.pending")].some(m => m.textContent.includes("typed while offline"))`)

	srv.Start()
	alice.waitConnected()
	bob.waitConnected()
	bob.sees("typed while offline")
	alice.waitFor("the message sent", `[...document.querySelectorAll("#messages .msg.own")].some(m => m.textContent.includes("typed while offline") && !m.classList.contains("pending"))`)
	alice.sees("typed while offline")
	// Nothing arrives twice later either.
	bob.say("sync")
	alice.sees("sync")
	if n := bob.count("typed while offline"); n != 1 {
		t.Errorf("Bob sees the offline message %d times, want once", n)
	}
}

// TestServiceWorkerLeavesTheAPIAlone: the service worker serves the app
// shell offline but never answers /api/ itself. A request it has seen
// answered, in a page it controls, fails once the server is down rather
// than coming back from a cache, and the address itself is not given
// the shell.
func TestServiceWorkerLeavesTheAPIAlone(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	alice := b.joined(t, srv.URL, "Alice")[0]
	alice.say("something to read")
	alice.waitFor("the service worker", `navigator.serviceWorker.controller !== null || (navigator.serviceWorker.ready.then(() => window.__swReady = true), window.__swReady === true)`)
	alice.do(reload())
	alice.waitFor("the page under the service worker", appReady+` && navigator.serviceWorker.controller !== null`)
	get := func() string {
		return eval[string](alice, `fetch("/api/history?limit=5", {headers: {Authorization: "Bearer " + sessionStorage.getItem("hark.token")}})
			.then(r => "answered " + r.status, () => "failed")`, chromedp.EvalAwaitPromise)
	}
	if got := get(); got != "answered 200" {
		t.Fatalf("with the server up: %s", got)
	}
	srv.Stop()
	if got := get(); got != "failed" {
		t.Fatalf("with the server down the history request was %s: something answered for it", got)
	}
	// Offline, the worker answers a page it does not have with the app
	// shell, but not an address under /api/: that one fails.
	ctx, cancel := context.WithTimeout(alice.ctx, wait)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/api/history")); err == nil && eval[bool](alice, `!!document.querySelector(".page")`) {
		t.Fatal("opening /api/history offline showed the app shell")
	}
}

// TestNameTakenWhileAway: the server forgot Alice while she was away and
// someone else took her name; when her page gets through again it cannot
// take the name back, and it is the join page that says why. (A forgotten
// session whose name is still free is taken back without asking:
// app/client's TestSessionReclaimed.)
func TestNameTakenWhileAway(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	alice := b.joined(t, srv.URL, "Alice")[0]
	tok := eval[string](alice, `sessionStorage.getItem("hark.token")`)
	// Away: the test's port refuses her while the test reaches the server
	// behind it directly, ends her session and takes her name.
	srv.mu.Lock()
	direct := "http://" + srv.backend
	srv.mu.Unlock()
	srv.setBackend("")
	req, _ := http.NewRequest(http.MethodDelete, direct+"/api/session", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("ending Alice's session: %s", resp.Status)
	}
	newAPIUser(t, direct, "ALICE")
	// The page may notice through a connection it already had open to
	// the test's port, and so reach the join page at once.
	alice.waitFor("the page to notice", `document.querySelector("#conn")?.textContent !== "Connected"`)
	srv.setBackend(strings.TrimPrefix(direct, "http://"))
	alice.waitFor("the join page, saying why", `!!document.querySelector("#name") &&
		((document.querySelector("#join-notice") || {}).textContent || "").startsWith("Your session ended")`)
	t.Logf("the join page says: %s", eval[string](alice, `document.querySelector("#join-notice").textContent`))
}

// TestNextHolderSeesNoneOfTheCache: Alice closes her tab without leaving
// and her name is released after the grace; whoever opens Hark next in
// the same browser and takes the name is someone else, and sees none of
// her direct messages: not from the server (its rule) and not from the
// browser's cache of her conversations, which is kept under the name.
func TestNextHolderSeesNoneOfTheCache(t *testing.T) {
	srv := startServer(t, "-grace", "1s")
	b := newBrowser(t)
	next := b.person(t, "Alice") // a tab of the profile, open all along
	tab, closeTab := chromedp.NewContext(next.ctx)
	t.Cleanup(closeTab)
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	alice := &person{t: t, name: "Alice", ctx: tab}
	alice.open(srv.URL)
	alice.join()
	bob := b.joined(t, srv.URL, "Bob")[0]
	const secret = "for the first Alice only"
	bob.sayTo("Alice", secret)
	alice.openConv("Bob")
	alice.sees(secret)
	alice.waitFor("the cache written", `(localStorage.getItem("hark.cache.alice") || "").includes(`+js(secret)+`)`)

	closeTab() // no Leave: the name is freed after the grace
	bob.waitFor("Alice's name released after the grace", "!"+inRoster("Alice"))

	next.open(srv.URL)
	next.join()
	next.waitFor("the cache of the first Alice dropped", `!(localStorage.getItem("hark.cache.alice") || "").includes(`+js(secret)+`)`)
	if eval[bool](next, "!!"+convButton("Bob")) {
		t.Error("the name's next holder sees a conversation with Bob")
	}
	if strings.Contains(next.pageText(), secret) {
		t.Errorf("the name's next holder sees the first holder's direct message")
	}
	// Her own conversations are cached for her, and shown after a reload.
	bob.sayTo("Alice", "for the second Alice")
	next.openConv("Bob")
	next.sees("for the second Alice")
	next.waitFor("her cache written", `(localStorage.getItem("hark.cache.alice") || "").includes("for the second Alice")`)
	next.do(reload())
	next.waitFor("the app to start", appReady)
	next.openConv("Bob")
	next.sees("for the second Alice")
	if next.count(secret) != 0 {
		t.Error("the first holder's message is back after a reload")
	}
}
