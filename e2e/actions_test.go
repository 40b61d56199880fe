package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
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

	// Any emoji, by its name: Bob types :rocket: in the picker.
	bob.clickIn("lunch at noon?", ".act-react")
	bob.clickIn("lunch at noon?", ".pick-any")
	bob.do(chromedp.SendKeys(chromedp.CSS(`#messages .msg.other .pick-any`), ":rocket:"+kb.Enter))
	alice.waitFor("Bob's 🚀", `[...(`+msgWith("lunch at noon?")+`).querySelectorAll(".reaction")].some(r => r.getAttribute("aria-label") === "🚀 1: Bob")`)

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

// touch presses at the centre of the element expr for hold, with a
// finger, as a phone's touch screen does.
func (p *person) touch(expr string, hold time.Duration) {
	p.t.Helper()
	xy := eval[[]float64](p, `(() => { const el = `+expr+`; el.scrollIntoView({block: "center"}); const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	point := []*input.TouchPoint{{X: xy[0], Y: xy[1]}}
	p.do(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: input.DispatchTouchEventTypeTouchStart, TouchPoints: point})
			return err
		}),
		chromedp.Sleep(hold),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: input.DispatchTouchEventTypeTouchEnd, TouchPoints: []*input.TouchPoint{}})
			return err
		}),
	)
}

// TestActingOnAPhone: on a phone, a long press on a message shows its
// actions and full date, a short one does not; the actions then work by
// touch, and a tap elsewhere puts them away.
func TestActingOnAPhone(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]
	bob.do(emulatePhone(), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 1})
		return err
	}))

	alice.say("anyone for tea?")
	bob.sees("anyone for tea?")
	msg := `(` + msgWith("anyone for tea?") + `)`
	shown := `getComputedStyle(` + msg + `.querySelector(".actions")).opacity === "1"`

	bob.touch(msg+`.querySelector(".text")`, 100*time.Millisecond)
	if eval[bool](bob, msg+`.classList.contains("held")`) {
		t.Error("a short tap counts as a long press")
	}
	bob.touch(msg+`.querySelector(".text")`, 800*time.Millisecond)
	bob.waitFor("the actions after a long press", msg+`.classList.contains("held") && `+shown)
	if when := eval[string](bob, msg+`.querySelector(".actions .when").textContent`); !strings.Contains(when, ":") {
		t.Errorf("the long press shows %q, not the full date", when)
	}
	bob.touch(msg+`.querySelector(".act-react")`, 50*time.Millisecond)
	bob.waitFor("the picker", `!!`+msg+`.querySelector(".picker")`)
	bob.shot("phone-actions-held")
	if eval[bool](bob, `!!document.querySelector("#draft")`) {
		t.Error("lifting the finger of the long press clicked what appeared under it (a reply began)")
	}
	bob.touch(msg+`.querySelector('.pick[aria-label="React with 🎉"]')`, 50*time.Millisecond)
	alice.waitFor("Bob's 🎉", `(`+msgWith("anyone for tea?")+`)?.querySelector(".reaction")?.getAttribute("aria-label") === "🎉 1: Bob"`)

	// A tap on the composer puts the actions away.
	bob.touch(`document.querySelector("#text")`, 50*time.Millisecond)
	bob.waitFor("the actions put away", `!`+msg+`.classList.contains("held")`)
	bob.shot("phone-actions")
}
