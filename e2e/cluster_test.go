package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"hark/app/protocol"
	"hark/server/natsstore/natstest"
)

// inRoster is true once the roster shows name.
func inRoster(name string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#roster li .person")].some(e => e.textContent === %s)`, js(name))
}

// TestTwoNodesOneChat: two Hark servers share one NATS with JetStream and
// are one chat: people on either see each other in the roster and agree
// on the count, broadcasts cross between the nodes both ways, direct
// messages cross too and reach only their two parties, a name held on one
// node is refused on the other, and one who leaves on one node is gone
// from the other's roster, the name free there.
func TestTwoNodesOneChat(t *testing.T) {
	needBrowser(t)
	natsURL := natstest.Server(t)
	node1 := startServer(t, "-nats", natsURL, "-replicas", "1")
	node2 := startServer(t, "-nats", natsURL, "-replicas", "1")

	b := newBrowser(t)
	alice := b.joined(t, node1.URL, "Alice")[0]
	bob := b.joined(t, node2.URL, "Bob")[0]

	// Each sees the other, though they joined on different nodes.
	alice.waitFor("Bob (node 2) in the roster", inRoster("Bob"))
	bob.waitFor("Alice (node 1) in the roster", inRoster("Alice"))

	// A broadcast from node 1 reaches node 2, and the other way.
	alice.say("Hello from node one")
	bob.sees("Hello from node one")
	alice.sees("Hello from node one")
	bob.say("Hello from node two")
	alice.sees("Hello from node two")
	bob.sees("Hello from node two")

	// Carol joins on node 1, after the first messages.
	carol := b.joined(t, node1.URL, "Carol")[0]
	carol.waitFor("Bob (node 2) in the roster", inRoster("Bob"))
	bob.waitFor("Carol (node 1) in the roster", inRoster("Carol"))

	// A direct message from node 2 to node 1, started from the roster.
	const secret = "Psst, across the nodes, only for you"
	eval[any](bob, `[...document.querySelectorAll("#roster button.person")].find(b => b.textContent === "Alice").click()`)
	bob.waitFor("the recipient to be Alice", `document.querySelector("#to").value === "Alice"`)
	bob.say(secret)
	alice.openConv("Bob")
	alice.sees(secret)
	bob.sees(secret)
	alice.waitFor("the direct message marked from Bob", `[...document.querySelectorAll("#messages .msg.direct")].some(m => m.textContent.includes("from Bob"))`)
	bob.waitFor("the direct message marked to Alice", `[...document.querySelectorAll("#messages .msg.direct")].some(m => m.textContent.includes("to Alice"))`)

	// And the answer, from node 1 to node 2.
	const answer = "Got it, back across"
	alice.sayTo("Bob", answer)
	bob.sees(answer)
	alice.sees(answer)

	// Carol, on Alice's node, never gets either: once she has a broadcast
	// sent after them, she has had every event up to there.
	bob.sayTo("", "after the secret")
	carol.sees("after the secret")
	alice.openConv("")
	alice.sees("after the secret")
	for _, dm := range []string{secret, answer} {
		if n := carol.count(dm); n != 0 {
			t.Errorf("Carol (node 1) sees the direct message %q between Alice and Bob %d times, want never", dm, n)
		}
	}
	// Both nodes count the same people.
	for _, p := range []*person{alice, bob, carol} {
		p.waitFor("3 online", `(document.querySelector("#online")||{}).textContent === "3 online"`)
	}
	bob.shot("cluster")

	// A name held on node 1 is taken on node 2 too, whatever its case.
	body, _ := json.Marshal(protocol.SessionRequest{Name: "alice"})
	resp, err := http.Post(node2.URL+"/api/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var refusal protocol.ErrorBody
	json.Unmarshal(raw, &refusal)
	if resp.StatusCode != http.StatusConflict || refusal.Error == nil || refusal.Error.Code != protocol.CodeNameTaken {
		t.Errorf("registering alice on node 2 while Alice holds it on node 1: %s %s, want 409 %s", resp.Status, raw, protocol.CodeNameTaken)
	}

	// Carol leaves on node 1: node 2 sees her go, and her name is free there.
	carol.do(chromedp.Click(chromedp.ID("leave")))
	carol.waitFor("the join page", `!!document.querySelector("#name")`)
	bob.waitFor("Carol gone from the roster", "!"+inRoster("Carol"))
	bob.waitFor("2 online", `(document.querySelector("#online")||{}).textContent === "2 online"`)
	bob.waitFor("Carol's leave", `[...document.querySelectorAll("#messages .notice-leave")].some(m => m.textContent.includes("Carol left"))`)
	newAPIUser(t, node2.URL, "carol")
}
