package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// roomButton selects the drawer's entry of the room called name.
func roomButton(name string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#my-rooms button.room")].find(b => b.querySelector(".conv-name").textContent === "#" + %s)`, js(name))
}

// roomBadge is the unread count the drawer shows for the room called
// name, "" when none.
func roomBadge(name string) string {
	return fmt.Sprintf(`(() => { const b = %s; const n = b && b.querySelector(".badge"); return n ? n.textContent : "" })()`, roomButton(name))
}

// convTitle is a script that is true while the conversation in view is
// title.
func convTitle(title string) string {
	return fmt.Sprintf(`(document.querySelector("#conv-title")||{}).textContent === %s`, js(title))
}

// TestRooms: Alice makes a public room "go"; Bob finds it in "Browse
// rooms" and joins; what Alice says there reaches Bob there and not in
// Everyone's conversation, where a badge counts it for him; on a phone
// the rooms are in the drawer; leaving takes the room away.
func TestRooms(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]

	alice.click("new-room")
	alice.waitFor("the new room's form", `!!document.querySelector("#room-form")`)
	alice.do(
		chromedp.SendKeys(chromedp.ID("new-room-name"), "go"),
		chromedp.SendKeys(chromedp.ID("new-room-topic"), "all things gopher"),
	)
	alice.shot("rooms-new")
	alice.click("create-room")
	alice.waitFor("the room open", convTitle("#go"))
	alice.waitFor("the room's header", `document.querySelector("#room-topic").textContent === "all things gopher" && document.querySelector("#room-members").textContent === "1 member"`)
	alice.waitFor("the room in her list", "!!"+roomButton("go"))
	if eval[bool](alice, `!!document.querySelector("#room-form")`) {
		t.Error("the form stays open after the room was made")
	}
	if got := eval[string](alice, `document.querySelector("#to").selectedOptions[0].textContent`); got != "#go" {
		t.Errorf("the To picker says %q in the room", got)
	}

	bob.click("browse-rooms")
	bob.waitFor("go among the public rooms", `[...document.querySelectorAll("#room-browser .room-row-name")].some(e => e.textContent === "#go")`)
	bob.shot("rooms-browse")
	eval[chromedp.Void](bob, `document.querySelector("#room-browser .join-room").click()`)
	bob.waitFor("the room open", convTitle("#go"))
	bob.waitFor("two members", `document.querySelector("#room-members").textContent === "2 members"`)
	alice.waitFor("Bob's join counted", `document.querySelector("#room-members").textContent === "2 members"`)

	bob.openConv("")
	alice.say("hello gophers")
	alice.sees("hello gophers")
	bob.waitFor("a badge of 1 on the room", roomBadge("go")+` === "1"`)
	alice.say("anyone here?")
	bob.waitFor("a badge of 2 on the room", roomBadge("go")+` === "2" && document.title === "(2) Hark"`)
	if n := bob.count("hello gophers"); n != 0 {
		t.Error("the room's message shows in Everyone's conversation")
	}
	if got := eval[string](bob, badge("")); got != "" {
		t.Errorf("Everyone's badge reads %q", got)
	}
	bob.shot("rooms-unread")

	eval[chromedp.Void](bob, roomButton("go")+".click()")
	bob.waitFor("the room open", convTitle("#go"))
	bob.sees("hello gophers")
	bob.sees("anyone here?")
	bob.waitFor("nothing unread", roomBadge("go")+` === "" && document.title === "Hark"`)
	bob.say("I am")
	alice.sees("I am")
	bob.shot("rooms-room")

	// On a phone the rooms are in the drawer, with their badges.
	bob.openConv("")
	bob.do(emulatePhone())
	bob.waitFor("the phone layout", visible("#drawer-toggle"))
	alice.say("phone check")
	bob.waitFor("the unread count on the drawer's button", `(document.querySelector("#drawer-toggle .badge")||{}).textContent === "1"`)
	bob.click("drawer-toggle")
	bob.waitFor("the rooms in the open drawer", visible("#rooms")+" && "+roomBadge("go")+` === "1"`)
	bob.shot("rooms-phone-drawer")
	eval[chromedp.Void](bob, roomButton("go")+".click()")
	bob.waitFor("the room open", convTitle("#go"))
	bob.sees("phone check")
	bob.shot("rooms-phone-room")

	bob.click("leave-room")
	bob.waitFor("Everyone's after leaving", convTitle("Everyone"))
	alice.waitFor("Bob gone from the count", `document.querySelector("#room-members").textContent === "1 member"`)
	if eval[bool](bob, "!!"+roomButton("go")) {
		t.Error("the room stays in Bob's list after he left")
	}
	alice.say("after Bob")
	alice.sees("after Bob")
	if n := bob.count("after Bob"); n != 0 {
		t.Error("Bob, gone, sees the room's message")
	}
}

// TestRoomsGroup: Alice makes a private group with Bob and Carol from the
// New room form; it shows in their lists at once, not among the public
// rooms, and its talk reaches its members only.
func TestRoomsGroup(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob", "Carol", "Dave")
	alice, bob, carol, dave := people[0], people[1], people[2], people[3]
	alice.waitFor("everyone in the roster", `document.querySelectorAll("#roster li").length === 4`)

	alice.do(colorScheme("dark"))
	alice.click("new-room")
	alice.waitFor("the new room's form", `!!document.querySelector("#room-form")`)
	if eval[bool](alice, visible("#room-people")) {
		t.Error("the people of a group are asked for a public room")
	}
	alice.click("room-private")
	alice.waitFor("the people's field", visible("#room-people"))
	alice.do(
		chromedp.SendKeys(chromedp.ID("new-room-name"), "trio"),
		chromedp.SendKeys(chromedp.ID("room-people"), "Bob, Carol"),
	)
	alice.shot("rooms-group-new-dark")
	alice.click("create-room")
	alice.waitFor("the group open", convTitle("#trio")+` && document.querySelector("#room-members").textContent === "3 members"`)
	bob.waitFor("the group in Bob's list", "!!"+roomButton("trio"))
	carol.waitFor("the group in Carol's list", "!!"+roomButton("trio"))

	alice.say("just the three of us")
	alice.sees("just the three of us")
	alice.shot("rooms-group-dark")
	bob.waitFor("a badge on the group", roomBadge("trio")+` === "1"`)
	eval[chromedp.Void](carol, roomButton("trio")+".click()")
	carol.waitFor("the group open", convTitle("#trio"))
	carol.sees("just the three of us")

	dave.click("browse-rooms")
	dave.waitFor("the list of public rooms", `(document.querySelector("#room-browser .room-note")||{}).textContent === "No public rooms yet."`)
	if eval[bool](dave, "!!"+roomButton("trio")) {
		t.Error("Dave, not in the group, has it in his list")
	}
	if n := dave.count("just the three of us"); n != 0 {
		t.Error("Dave sees the group's message")
	}

	// Any member of a group adds someone: Carol, not its owner, adds
	// Dave, who then has it in his list.
	carol.waitFor("her Add people", `document.querySelector("#manage-room")?.textContent === "Add people"`)
	carol.click("manage-room")
	if eval[bool](carol, `!!document.querySelector("#room-settings, #room-remove, #delete-room")`) {
		t.Error("Carol, not the owner, is offered to change, remove from or delete the group")
	}
	carol.retype("room-add-name", "Dave")
	carol.click("room-add-submit")
	carol.waitFor("four in the group", `document.querySelector("#room-members").textContent === "4 members" && document.querySelector("#room-admin-note").textContent === "Dave was added."`)
	dave.waitFor("the group in Dave's list", "!!"+roomButton("trio"))

	// A group of two is refused, and the form says why.
	bob.click("new-room")
	bob.waitFor("the new room's form", `!!document.querySelector("#room-form")`)
	bob.click("room-private")
	bob.do(
		chromedp.SendKeys(chromedp.ID("new-room-name"), "pair"),
		chromedp.SendKeys(chromedp.ID("room-people"), "Alice"),
	)
	bob.click("create-room")
	bob.waitFor("the refusal", `document.querySelector("#rooms-error").textContent.includes("3 to 20")`)
}
