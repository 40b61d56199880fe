package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// typeText puts text, line breaks and all, into the composer as a paste
// would, and sends it with Enter.
func (p *person) typeText(text string) {
	p.t.Helper()
	eval[chromedp.Void](p, `(() => { const t = document.querySelector("#text"); t.value = `+js(text)+`; t.dispatchEvent(new Event("input", {bubbles: true})); t.focus() })()`)
	p.do(chromedp.SendKeys(chromedp.ID("text"), kb.Enter))
}

// TestFormattingAndEmoji: a formatted message shows as elements to the
// other person; markup that is HTML stays text and never runs; the emoji
// picker puts an emoji at the caret by mouse and by keyboard.
func TestFormattingAndEmoji(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]

	alice.typeText("**bold** *em* `code` :tada: @Bob\n```go\nx := 1\n```\n> quoted\n- one\n- two\n\n[docs](https://example.org/d)")
	formatted := `[...document.querySelectorAll("#messages .msg .text")].find(t => t.textContent.includes("quoted"))`
	bob.waitFor("the formatted message", `!!(`+formatted+`)`)
	for _, sel := range []string{"strong", "em", "code", "pre code", "blockquote", "ul li", `a[href="https://example.org/d"][target="_blank"]`, ".mention.me", `.emoji[title=":tada:"]`} {
		if !eval[bool](bob, `!!(`+formatted+`).querySelector(`+js(sel)+`)`) {
			t.Errorf("the formatted message has no %s", sel)
		}
	}

	xss := `<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> **still <b>text</b>**`
	alice.say(xss)
	bob.waitFor("the markup as text", `[...document.querySelectorAll("#messages .msg .text")].some(t => t.textContent === `+js(`<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> still <b>text</b>`)+`)`)
	for _, p := range []*person{alice, bob} {
		if eval[bool](p, `window.pwned !== undefined || !!document.querySelector("#messages script, #messages img, #messages b")`) {
			t.Errorf("%s: the message's markup ran or became elements", p.name)
		}
	}

	// By mouse: the button, then 🎉, at the caret between "a" and "b".
	eval[chromedp.Void](alice, `(() => { const t = document.querySelector("#text"); t.value = "ab"; t.setSelectionRange(1, 1) })()`)
	alice.do(chromedp.Click(chromedp.ID("emoji-toggle")))
	alice.waitFor("the picker", visible("#emoji-panel")+` && document.activeElement.id === "emoji-search"`)
	alice.do(chromedp.Click(chromedp.CSS(`#emoji-grid button[aria-label="tada"]`)))
	alice.waitFor("🎉 at the caret, the focus in the text", `document.querySelector("#text").value === "a🎉b" && document.activeElement.id === "text" && !document.querySelector("#emoji-panel")`)

	// By keyboard: Enter opens, a search, Down to the first found, Right
	// to the next, Enter picks; the caret was after "🎉".
	eval[chromedp.Void](alice, `document.querySelector("#emoji-toggle").focus()`)
	alice.press(kb.Enter)
	alice.waitFor("the search box focused", `document.activeElement.id === "emoji-search"`)
	alice.do(chromedp.SendKeys(chromedp.ID("emoji-search"), "orange"))
	alice.waitFor("the orange ones", `document.querySelector("#emoji-grid button")?.getAttribute("aria-label") === "orange_heart"`)
	alice.press(kb.ArrowDown)
	alice.press(kb.ArrowRight)
	if got := eval[string](alice, `document.activeElement.getAttribute("aria-label")`); got != "orange_circle" {
		t.Errorf("after Down and Right the focus is on %q, want orange_circle", got)
	}
	alice.press(kb.Enter)
	alice.waitFor("🟠 after 🎉", `document.querySelector("#text").value === "a🎉🟠b" && document.activeElement.id === "text"`)

	// Escape closes the panel and gives the focus back to its button.
	eval[chromedp.Void](alice, `document.querySelector("#emoji-toggle").click()`)
	alice.waitFor("the picker again", `document.activeElement.id === "emoji-search"`)
	alice.press(kb.Escape)
	alice.waitFor("the picker closed, the focus on its button", `!document.querySelector("#emoji-panel") && document.activeElement.id === "emoji-toggle"`)
	alice.shot("emoji")
}
