package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// phone is the viewport the phone layout is held to: 390×844 CSS pixels,
// a common phone's, at one device pixel per CSS pixel.
const phoneWidth, phoneHeight = 390, 844

// emulatePhone makes the tab a phone-sized, mobile viewport.
func emulatePhone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulatePortrait)
}

// colorScheme makes the page see prefers-color-scheme as scheme ("light"
// or "dark"), as a browser set to that theme would.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// figure saves a screenshot of the page for the README as
// e2e/screenshots/figure-NAME.png; `make figures` copies them to docs/.
func (p *person) figure(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("figure %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(shotDir, "figure-"+name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// axeSource is axe-core, vendored in testdata/axe, read once.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	return string(b), err
})

// axeViolation is one rule axe-core found broken, with where.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

func (v axeViolation) String() string {
	return fmt.Sprintf("%s (%s): %s\n\t%s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
}

// audit runs axe-core on the page as it is now and fails the test on any
// violation of serious or critical impact (contrast, names, roles); the
// others are logged. what says which page and theme, for the log.
func (p *person) audit(what string) []axeViolation {
	p.t.Helper()
	src, err := axeSource()
	if err != nil {
		p.t.Fatalf("axe-core: %v", err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`if (!window.axe) {`+src+`
}`)); err != nil {
		p.t.Fatalf("loading axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " ")),
	}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("running axe-core: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		p.t.Fatalf("axe-core's answer %q: %v", out, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			p.shot("failed-axe-" + strings.ReplaceAll(what, " ", "-"))
			p.t.Errorf("axe, %s: %s", what, v)
		} else {
			p.t.Logf("axe, %s (not failing): %s", what, v)
		}
	}
	p.t.Logf("axe, %s: %d violations", what, len(vs))
	return vs
}

// rect is an element's bounding box in CSS pixels.
type rect struct {
	Top, Bottom, Left, Right, Width, Height float64
}

// box returns the bounding box of the first element matching selector.
func (p *person) box(selector string) rect {
	p.t.Helper()
	s := eval[string](p, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? JSON.stringify(e.getBoundingClientRect()) : "" })()`, js(selector)))
	if s == "" {
		p.t.Fatalf("%s: no element %s", p.name, selector)
	}
	var r rect
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		p.t.Fatal(err)
	}
	return r
}

// blur takes the focus off whatever has it, so a figure shows no focus
// ring.
func (p *person) blur() {
	p.t.Helper()
	eval[chromedp.Void](p, `document.activeElement && document.activeElement.blur()`)
}

// focused is the id of the element that has the keyboard focus.
func (p *person) focused() string {
	p.t.Helper()
	return eval[string](p, `document.activeElement ? document.activeElement.id : ""`)
}

// press sends one key to whatever has the focus, as a keyboard does.
func (p *person) press(key string) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(key))
}

// visible is a JavaScript condition: the element matching selector is
// rendered (not display:none, not hidden).
func visible(selector string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.getClientRects().length > 0 })()`, js(selector))
}

// oneRowHeader fails the test unless the header's controls sit in one row
// (their vertical centres agree: a second row would put one a whole row
// lower) and the page does not scroll sideways.
func (p *person) oneRowHeader() {
	p.t.Helper()
	spread := eval[float64](p, `(() => {
		const c = [...document.querySelectorAll(".topbar > *")].filter(e => e.getClientRects().length).map(e => { const r = e.getBoundingClientRect(); return (r.top + r.bottom) / 2 });
		return Math.max(...c) - Math.min(...c);
	})()`)
	if spread > 8 {
		p.t.Errorf("the header's controls are %.0f px apart vertically, want one row", spread)
	}
	if w, vw := eval[float64](p, `document.documentElement.scrollWidth`), eval[float64](p, `window.innerWidth`); w > vw {
		p.t.Errorf("the page is %.0f px wide on a %.0f px screen: it scrolls sideways", w, vw)
	}
}

// scene fills a chat with a short conversation worth a picture: a few
// people, a link, a direct message each way.
func scene(t *testing.T, url string, b *browser) (alice, bob, carol *person) {
	t.Helper()
	people := b.joined(t, url, "Carol", "Bob", "Alice")
	carol, bob, alice = people[0], people[1], people[2]
	for _, p := range people {
		p.waitFor("everyone in the roster", `document.querySelectorAll("#roster li").length === 3`)
	}
	carol.say("Morning! Who is in for the design review at 10?")
	alice.sees("Morning! Who is in for the design review at 10?")
	bob.say("Me. The notes are at https://example.com/review")
	alice.sees("Me. The notes are at https://example.com/review")
	alice.say("Count me in")
	bob.sees("Count me in")
	bob.sayTo("Alice", "Could you take the notes today?")
	alice.openConv("Bob")
	alice.sees("Could you take the notes today?")
	alice.sayTo("Bob", "Sure, happy to.")
	bob.sees("Sure, happy to.")
	alice.waitFor("no message pending", `document.querySelectorAll("#messages .msg.pending").length === 0`)
	return alice, bob, carol
}
