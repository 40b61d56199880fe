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
	laptop, phone := aliceOnTwoDevices(t, srv.URL)

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

// aliceOnTwoDevices signs Alice in on a laptop, then on a phone linked
// with a code from the laptop.
func aliceOnTwoDevices(t *testing.T, base string) (laptop, phone *person) {
	t.Helper()
	b := newBrowser(t)
	laptop = b.joined(t, base, "Alice")[0]
	laptop.click("add-device")
	laptop.waitFor("the code", `/^[0-9A-Z]{4}-[0-9A-Z]{4}$/.test((document.querySelector("#device-code")||{}).textContent||"")`)
	code := eval[string](laptop, `document.querySelector("#device-code").textContent`)
	laptop.click("device-close")
	phone = b.person(t, "Alice's phone")
	phone.do(chromedp.Navigate(base + "/?link=" + code))
	// The link fills the code in; it signs in when pressed.
	phone.waitFor("the code from the link", `document.querySelector("#link-code")?.value === `+js(code))
	phone.click("link")
	phone.waitFor("the chat, linked", `!!document.querySelector("#messages")`)
	phone.waitConnected()
	return laptop, phone
}

// The same in a room: Alice makes the room "go" on her laptop, Bob joins
// it and writes there; both her devices show the room's badge and the
// count in the title. She reads it on the phone: the laptop's badge and
// title clear by themselves.
func TestReadInARoomOnOneDeviceClearsTheOther(t *testing.T) {
	srv := startServer(t)
	bob := newAPIUser(t, srv.URL, "Bob")
	laptop, phone := aliceOnTwoDevices(t, srv.URL)
	laptop.click("new-room")
	laptop.waitFor("the new room's form", `!!document.querySelector("#room-form")`)
	laptop.do(chromedp.SendKeys(chromedp.ID("new-room-name"), "go"))
	laptop.click("create-room")
	laptop.waitFor("the room open", convTitle("#go"))
	laptop.openConv("")
	phone.waitFor("the room in the phone's list", "!!"+roomButton("go"))

	id := bob.joinRoom(t, "go")
	if err := bob.sendRoom("b1", id, "anyone in here?"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*person{laptop, phone} {
		p.waitFor("the room's badge", roomBadge("go")+` === "1"`)
		p.waitFor("the count in the title", `document.title === "(1) Hark"`)
	}
	eval[chromedp.Void](phone, roomButton("go")+".click()")
	phone.waitFor("the room open", convTitle("#go"))
	phone.sees("anyone in here?")
	laptop.waitFor("the room's badge to clear, read on the phone", roomBadge("go")+` === "" && document.title === "Hark"`)
}
