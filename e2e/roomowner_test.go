package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// retype replaces the text of the input id with text, as typed.
func (p *person) retype(id, text string) {
	p.t.Helper()
	p.waitFor("#"+id, `!!document.getElementById(`+js(id)+`)`)
	eval[chromedp.Void](p, `document.getElementById(`+js(id)+`).value = ""`)
	p.do(chromedp.SendKeys(chromedp.ID(id), text))
}

// TestRoomOwner: Alice makes a room and Bob joins and writes in it; only
// Alice is offered its settings. She renames it and sets its topic (Bob's
// header follows), is told why adding someone offline was refused,
// deletes Bob's message (a tombstone at Bob's), removes Bob (the room
// leaves his list) and deletes the room.
func TestRoomOwner(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]
	alice.do(chromedp.EmulateViewport(1280, 800))

	alice.click("new-room")
	alice.retype("new-room-name", "go")
	alice.retype("new-room-topic", "gophers")
	alice.click("create-room")
	alice.waitFor("the room open", convTitle("#go"))
	alice.waitFor("her Room settings", `document.querySelector("#manage-room")?.textContent === "Room settings"`)

	bob.click("browse-rooms")
	bob.waitFor("go among the public rooms", `[...document.querySelectorAll("#room-browser .room-row-name")].some(e => e.textContent === "#go")`)
	eval[chromedp.Void](bob, `document.querySelector("#room-browser .join-room").click()`)
	bob.waitFor("the room open", convTitle("#go"))
	alice.waitFor("Bob's join counted", `document.querySelector("#room-members").textContent === "2 members"`)
	if eval[bool](bob, `!!document.querySelector("#manage-room")`) {
		t.Error("Bob, not the owner of a public room, is offered its settings")
	}
	bob.say("hello from Bob")
	alice.sees("hello from Bob")
	if !eval[bool](bob, `!!(`+msgWith("hello from Bob")+`)?.querySelector(".act-delete")`) {
		t.Error("Bob is not offered to delete his own message in the room")
	}
	// A room's messages take reactions as everyone's do.
	alice.clickIn("hello from Bob", ".act-react")
	alice.clickIn("hello from Bob", `.pick[aria-label="React with 👍"]`)
	bob.waitFor("Alice's reaction", `(`+msgWith("hello from Bob")+`)?.querySelector(".reaction")?.getAttribute("aria-label") === "👍 1: Alice"`)

	// Rename and a topic: the form starts from the room as it is.
	alice.click("manage-room")
	alice.waitFor("the settings, filled in", `document.querySelector("#room-rename")?.value === "go" && document.querySelector("#room-retopic").value === "gophers"`)
	alice.retype("room-rename", "golang")
	alice.retype("room-retopic", "all things gopher")
	alice.click("room-save")
	alice.waitFor("the new name in her header and list", convTitle("#golang")+` && !!`+roomButton("golang"))
	bob.waitFor("the new name and topic in Bob's header", convTitle("#golang")+` && document.querySelector("#room-topic").textContent === "all things gopher"`)
	bob.waitFor("the new name in Bob's list", "!!"+roomButton("golang"))

	// A refusal says the server's reason.
	alice.retype("room-add-name", "Nobody")
	alice.click("room-add-submit")
	alice.waitFor("the refusal", `document.querySelector("#room-admin-error").textContent === 'Could not add Nobody: "Nobody" is not online'`)

	// Alice deletes Bob's message: a tombstone for Bob.
	eval[chromedp.Void](alice, `window.confirm = () => true`)
	alice.clickIn("hello from Bob", ".act-delete")
	bob.waitFor("the tombstone", `document.querySelectorAll("#messages .msg.deleted .tombstone").length === 1 && !document.body.textContent.includes("hello from Bob")`)
	alice.say("Bob's message broke the rules, sorry")
	alice.waitFor("the tombstone at hers", `document.querySelectorAll("#messages .msg.deleted .tombstone").length === 1`)
	alice.sees("Bob's message broke the rules, sorry")
	bob.sees("Bob's message broke the rules, sorry")
	if eval[bool](bob, `!!(`+msgWith("Bob's message broke the rules, sorry")+`).querySelector(".act-delete")`) {
		t.Error("Bob is offered to delete the owner's message")
	}
	alice.retype("room-remove-name", "Bob")
	alice.blur()
	alice.figure("rooms")
	alice.audit("a room's settings")

	// Alice removes Bob: the room leaves his list, he is back in
	// Everyone's.
	alice.click("room-remove-submit")
	alice.waitFor("Bob's removal", `document.querySelector("#room-admin-note").textContent === "Bob was removed." && document.querySelector("#room-members").textContent === "1 member"`)
	bob.waitFor("Everyone's after the removal", convTitle("Everyone")+` && !`+roomButton("golang"))

	// On a phone the header keeps its buttons on the screen.
	alice.do(emulatePhone())
	alice.waitFor("the phone layout", visible("#drawer-toggle"))
	for _, id := range []string{"#manage-room", "#leave-room", "#delete-room"} {
		if r := alice.box(id); r.Left < 0 || r.Right > phoneWidth {
			t.Errorf("on a phone %s is off the screen: %+v", id, r)
		}
	}
	alice.shot("roomowner-phone")

	// Alice deletes the room.
	alice.click("delete-room")
	alice.waitFor("Everyone's after the deletion", convTitle("Everyone")+` && !`+roomButton("golang"))
	bob.click("browse-rooms")
	bob.waitFor("no public rooms", `(document.querySelector("#room-browser .room-note")||{}).textContent === "No public rooms yet."`)
}
