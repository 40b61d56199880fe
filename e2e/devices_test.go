package e2e

import (
	"time"

	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// click clicks the element with id, as a person does.
func (p *person) click(id string) {
	p.t.Helper()
	p.waitFor("#"+id, `!!document.getElementById(`+js(id)+`)`)
	eval[chromedp.Void](p, `document.getElementById(`+js(id)+`).click()`)
}

// Alice, signed in, adds a device: the dialog shows a one-time code, its
// countdown and a QR code; a second browser enters the code on the join
// form and is Alice; a third opens the QR code's link and is Alice at
// once. Bob's direct message reaches all three; signing out everywhere
// from one sends every one back to the sign-in, and frees the name.
func TestAddADevice(t *testing.T) {
	srv := startServer(t)
	bob := newAPIUser(t, srv.URL, "Bob")
	b := newBrowser(t)
	laptop := b.joined(t, srv.URL, "Alice")[0]

	laptop.click("add-device")
	laptop.waitFor("the code", `/^[0-9A-Z]{4}-[0-9A-Z]{4}$/.test((document.querySelector("#device-code")||{}).textContent||"")`)
	code := eval[string](laptop, `document.querySelector("#device-code").textContent`)
	laptop.waitFor("the QR code", `(document.querySelector("#device-qr")||{}).src.startsWith("data:image/png;base64,")`)
	if alt := eval[string](laptop, `document.querySelector("#device-qr").alt`); !strings.Contains(alt, strings.Join(strings.Split(code, ""), " ")) {
		t.Errorf("the QR code's text alternative %q does not spell the code %s", alt, code)
	}
	if left := eval[string](laptop, `document.querySelector("#device-expiry").textContent`); !regexp.MustCompile(`Valid for [12]:\d\d, once\.`).MatchString(left) {
		t.Errorf("the expiry says %q, want a countdown from 2:00", left)
	}
	laptop.shot("add-a-device")
	laptop.click("device-close")

	phone := b.person(t, "Alice's phone")
	phone.open(srv.URL)
	phone.do(
		chromedp.WaitVisible(chromedp.ID("link-code")),
		chromedp.SendKeys(chromedp.ID("link-code"), strings.ToLower(code)),
		chromedp.SendKeys(chromedp.ID("link-code"), kb.Enter),
	)
	phone.waitFor("the chat after linking", `!!document.querySelector("#messages")`)
	phone.waitConnected()
	if me := eval[string](phone, `document.querySelector("#me strong").textContent`); me != "Alice" {
		t.Fatalf("the phone is %q, want Alice", me)
	}

	// The used code is refused on the join form, and says so.
	stranger := b.person(t, "Stranger")
	stranger.open(srv.URL)
	stranger.do(
		chromedp.WaitVisible(chromedp.ID("link-code")),
		chromedp.SendKeys(chromedp.ID("link-code"), code+kb.Enter),
	)
	stranger.waitFor("the refusal", `(document.querySelector("#link-error")||{}).textContent.includes("does not sign in anyone")`)

	laptop.click("add-device")
	laptop.waitFor("a second code", `!!document.querySelector("#device-code")`)
	second := eval[string](laptop, `document.querySelector("#device-code").textContent`)
	if second == code {
		t.Fatal("a second code is the first again")
	}
	laptop.click("device-close")
	tablet := b.person(t, "Alice's tablet")
	tablet.do(chromedp.Navigate(srv.URL + "/?link=" + second))
	// The link fills the code in; it signs in only when pressed.
	tablet.waitFor("the code from the QR code's link", `document.querySelector("#link-code")?.value === `+js(second)+` && document.activeElement?.id === "link"`)
	time.Sleep(300 * time.Millisecond)
	if eval[bool](tablet, `!!document.querySelector("#messages")`) {
		t.Fatal("a ?link= address signed the tablet in unasked")
	}
	tablet.click("link")
	tablet.waitFor("the chat from the QR code's link", `!!document.querySelector("#messages")`)
	tablet.waitConnected()
	if got := eval[string](tablet, `location.search`); got != "" {
		t.Errorf("the address bar keeps %q after linking", got)
	}

	if err := bob.sendTo("b1", "Alice", "for every device of yours"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*person{laptop, phone, tablet} {
		p.openConv("Bob")
		p.sees("for every device of yours")
	}

	phone.click("leave-everywhere")
	phone.click("everywhere-yes")
	phone.waitFor("the join form", `!!document.querySelector("#name")`)
	for _, p := range []*person{laptop, tablet} {
		p.waitFor("the join form, saying why", `!!document.querySelector("#name") && (document.querySelector("#join-notice")||{}).textContent.includes("signed out")`)
	}
	if slices.Contains(bob.users(t), "Alice") {
		t.Fatal("Alice is still online after signing out everywhere")
	}
}
