package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Alice is signed in on two browsers (the second linked with a code from
// the first). Bob writes to her: both show the badge and the count in
// the title. She reads it on the phone: the laptop's badge and title
// clear by themselves, without a click there.
func TestReadOnOneDeviceClearsTheOther(t *testing.T) {
	srv := startServer(t)
	bob := newAPIUser(t, srv.URL, "Bob")
	b := newBrowser(t)
	laptop := b.joined(t, srv.URL, "Alice")[0]
	laptop.click("add-device")
	laptop.waitFor("the code", `!!document.querySelector("#device-code")`)
	code := eval[string](laptop, `document.querySelector("#device-code").textContent`)
	laptop.click("device-close")
	phone := b.person(t, "Alice's phone")
	phone.do(chromedp.Navigate(srv.URL + "/?link=" + code))
	phone.waitFor("the code filled in", `document.querySelector("#link-code")?.value === `+js(code))
	phone.click("link")
	phone.waitFor("the chat, linked", `!!document.querySelector("#messages")`)
	phone.waitConnected()

	if err := bob.sendTo("b1", "Alice", "are you there?"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*person{laptop, phone} {
		p.waitFor("Bob's badge", badge("Bob")+` === "1"`)
		p.waitFor("the count in the title", `document.title === "(1) Hark"`)
	}
	read := time.Now()
	phone.openConv("Bob")
	phone.sees("are you there?")
	laptop.waitFor("the badge to clear, read on the phone", badge("Bob")+` === "" && document.title === "Hark"`)
	t.Logf("from the click on the phone to the laptop's badge gone: %v (the test's polling included)", time.Since(read).Round(time.Millisecond))

	// The laptop was not in Bob's conversation: opening it now shows no
	// New line, since the phone read everything.
	laptop.openConv("Bob")
	laptop.sees("are you there?")
	if n := eval[int](laptop, `document.querySelectorAll("#messages .first-new").length`); n != 0 {
		t.Errorf("the laptop draws a New line over messages read on the phone")
	}
}
