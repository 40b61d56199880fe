package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// msgWith is the JS expression of the message whose text is text.
func msgWith(text string) string {
	return `[...document.querySelectorAll("#messages .msg")].find(m => m.querySelector(".text")?.textContent === ` + js(text) + `)`
}

// clickIn clicks the element sel inside the message whose text is text.
func (p *person) clickIn(text, sel string) {
	p.t.Helper()
	p.waitFor(sel+" on "+text, `!!(`+msgWith(text)+`)?.querySelector(`+js(sel)+`)`)
	eval[chromedp.Void](p, `(`+msgWith(text)+`).querySelector(`+js(sel)+`).click()`)
}

// TestActingOnMessages: reply, react, edit and delete, by mouse and by
// keyboard, seen by the other person live; the deleted message is a
// tombstone after a reload too, and the reply to it says so.
func TestActingOnMessages(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]

	alice.say("lunch at noon?")
	bob.sees("lunch at noon?")

	// Bob reacts with the mouse: the picker, then 👍.
	bob.clickIn("lunch at noon?", ".act-react")
	bob.clickIn("lunch at noon?", `.pick[aria-label="React with 👍"]`)
	alice.waitFor("Bob's reaction", `(`+msgWith("lunch at noon?")+`)?.querySelector(".reaction")?.getAttribute("aria-label") === "👍 1: Bob"`)

	// Alice reacts by keyboard: focus React, Enter opens the picker, Tab
	// to ❤️ (the second), Enter.
	eval[chromedp.Void](alice, `(`+msgWith("lunch at noon?")+`).querySelector(".act-react").focus()`)
	alice.do(chromedp.KeyEvent(kb.Enter))
	alice.waitFor("the picker", `!!(`+msgWith("lunch at noon?")+`).querySelector(".picker")`)
	alice.do(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter))
	bob.waitFor("Alice's ❤️", `[...(`+msgWith("lunch at noon?")+`).querySelectorAll(".reaction")].some(r => r.getAttribute("aria-label") === "❤️ 1: Alice")`)

	// Bob replies: the composer says to what, and Alice's view quotes it.
	bob.clickIn("lunch at noon?", ".act-reply")
	bob.waitFor("the reply's draft", `document.querySelector("#draft")?.textContent.includes("Replying to Alice: lunch at noon?")`)
	bob.say("yes, at the usual place")
	alice.waitFor("the reply's quote", `(`+msgWith("yes, at the usual place")+`)?.querySelector(".quote")?.textContent.includes("Alice: lunch at noon?")`)
	bob.waitFor("the draft gone", `!document.querySelector("#draft")`)

	// Alice edits her message.
	alice.clickIn("lunch at noon?", ".act-edit")
	alice.waitFor("her text in the composer", `document.querySelector("#text").value === "lunch at noon?"`)
	eval[chromedp.Void](alice, `document.querySelector("#text").value = ""`)
	alice.say("lunch at one?")
	bob.waitFor("the edit", `!!(`+msgWith("lunch at one?")+`)?.closest(".msg")?.querySelector(".edited")`)
	bob.waitFor("the quote follows the edit", `(`+msgWith("yes, at the usual place")+`)?.querySelector(".quote")?.textContent.includes("Alice: lunch at one?")`)

	// Bob may not edit or delete Alice's message: he is offered neither.
	if eval[bool](bob, `!!(`+msgWith("lunch at one?")+`)?.closest(".msg").querySelector(".act-edit, .act-delete")`) {
		t.Error("Bob is offered to edit or delete Alice's message")
	}

	// Alice deletes it (confirming the dialog).
	eval[chromedp.Void](alice, `window.confirm = () => true`)
	alice.clickIn("lunch at one?", ".act-delete")
	bob.waitFor("the tombstone", `[...document.querySelectorAll("#messages .msg.deleted .tombstone")].length === 1 && !document.body.textContent.includes("lunch at one?")`)
	bob.waitFor("the reply says its parent was deleted", `(`+msgWith("yes, at the usual place")+`)?.querySelector(".quote")?.textContent.includes("deleted message")`)
	bob.shot("actions")

	bob.do(reload())
	bob.waitFor("the app after the reload", appReady)
	bob.waitFor("the tombstone after the reload", `document.querySelectorAll("#messages .msg.deleted").length === 1 && document.querySelectorAll("#messages .msg").length >= 2`)
	if eval[bool](bob, `document.body.textContent.includes("lunch at")`) {
		t.Error("the deleted message's text is back after a reload")
	}
}
