package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestRoomFiles: in a room, Alice attaches a picture; Bob, a member, sees
// it there; Carol, not a member, is never shown it and cannot fetch it
// (404, as a file that does not exist).
func TestRoomFiles(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob", "Carol")
	alice, bob, carol := people[0], people[1], people[2]

	alice.click("new-room")
	alice.waitFor("the new room's form", `!!document.querySelector("#room-form")`)
	alice.do(chromedp.SendKeys(chromedp.ID("new-room-name"), "pics"))
	alice.click("create-room")
	alice.waitFor("the room open", convTitle("#pics"))
	bob.click("browse-rooms")
	bob.waitFor("pics among the public rooms", `[...document.querySelectorAll("#room-browser .room-row-name")].some(e => e.textContent === "#pics")`)
	eval[chromedp.Void](bob, `document.querySelector("#room-browser .join-room").click()`)
	bob.waitFor("the room open", convTitle("#pics"))
	alice.waitFor("Bob's join counted", `document.querySelector("#room-members").textContent === "2 members"`)

	if eval[bool](alice, `document.querySelector("#attach").disabled`) {
		t.Fatal("Attach is disabled in a room")
	}
	if got := eval[string](alice, `document.querySelector("#attach").title`); got != "Attach a file" {
		t.Errorf("Attach's title in a room is %q", got)
	}
	path := filepath.Join(t.TempDir(), "room-photo.png")
	if err := os.WriteFile(path, pngOf(t, 640, 480), 0o600); err != nil {
		t.Fatal(err)
	}
	alice.attach(path)
	alice.say("our view")
	bob.waitFor("the image loaded in the room", `(`+fileOn("room-photo.png")+`)?.querySelector(".file-image img")?.naturalWidth === 320`)
	bob.shot("room-files")

	// The file's id, from Bob's history of the room; Carol asks for it.
	const idOf = `(async () => {
		const auth = {headers: {Authorization: "Bearer " + sessionStorage.getItem("hark.token")}};
		const rooms = await (await fetch("/api/rooms", auth)).json();
		const room = rooms.mine.find(r => r.name === "pics");
		const h = await (await fetch("/api/history?room=" + room.id, auth)).json();
		return h.events.find(e => e.file && e.file.name === "room-photo.png").file.id;
	})()`
	id := eval[string](bob, idOf, chromedp.EvalAwaitPromise)
	status := func(p *person, path string) int {
		return eval[int](p, `(async () => (await fetch(`+js(path)+`, {headers: {Authorization: "Bearer " + sessionStorage.getItem("hark.token")}})).status)()`, chromedp.EvalAwaitPromise)
	}
	for _, p := range []string{"/api/files/" + id, "/api/files/" + id + "/thumb"} {
		if got := status(bob, p); got != 200 {
			t.Errorf("Bob fetching %s: %d, want 200", p, got)
		}
		if got := status(carol, p); got != 404 {
			t.Errorf("Carol fetching %s: %d, want 404", p, got)
		}
	}
	if eval[bool](carol, "!!("+fileOn("room-photo.png")+")") {
		t.Error("Carol is shown the room's picture")
	}
}
