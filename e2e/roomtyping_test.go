package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestRoomTyping: Alice types in the room "go"; Bob, a member with the
// room open, sees "Alice is typing…" there, and not in Everyone's
// conversation; Carol, not a member, sees no one typing; Alice's message
// clears it.
func TestRoomTyping(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob", "Carol")
	alice, bob, carol := people[0], people[1], people[2]
	noOneTyping := `!document.body.textContent.includes("is typing")`

	alice.click("new-room")
	alice.waitFor("the new room's form", `!!document.querySelector("#room-form")`)
	alice.do(chromedp.SendKeys(chromedp.ID("new-room-name"), "go"))
	alice.click("create-room")
	alice.waitFor("the room open", convTitle("#go"))
	bob.click("browse-rooms")
	bob.waitFor("go among the public rooms", `[...document.querySelectorAll("#room-browser .room-row-name")].some(e => e.textContent === "#go")`)
	eval[chromedp.Void](bob, `document.querySelector("#room-browser .join-room").click()`)
	bob.waitFor("the room open", convTitle("#go"))
	alice.waitFor("Bob's join counted", `document.querySelector("#room-members").textContent === "2 members"`)

	alice.do(chromedp.SendKeys(chromedp.ID("text"), "hel"))
	bob.waitFor("Alice typing in the room", typingShows("Alice is typing…")+" && "+convTitle("#go"))
	bob.shot("rooms-typing")
	bob.openConv("")
	if !eval[bool](bob, typingShows("")) {
		t.Error("Alice's typing in the room shows in Everyone's conversation")
	}
	eval[chromedp.Void](bob, roomButton("go")+".click()")
	bob.waitFor("the room open again, Alice still typing", convTitle("#go")+" && "+typingShows("Alice is typing…"))
	for who, p := range map[string]*person{"Carol, not a member,": carol, "Alice, the typist,": alice} {
		if !eval[bool](p, noOneTyping) {
			t.Errorf("%s sees %q", who, eval[string](p, `document.querySelector("#typing").textContent`))
		}
	}
	alice.do(chromedp.SendKeys(chromedp.ID("text"), "lo"+kb.Enter))
	bob.sees("hello")
	bob.waitFor("the indicator cleared by the message", typingShows(""))
	if !eval[bool](carol, noOneTyping) {
		t.Error("Carol, not a member, saw someone typing")
	}
}
