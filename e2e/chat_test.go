package e2e

import (
	"fmt"
	"testing"
)

// TestTwoPeopleChat: two people join, a third is refused a case variant of
// a taken name and sees why, broadcasts reach everyone, a direct message
// reaches exactly its two parties, and HTML stays text.
func TestTwoPeopleChat(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	people := b.joined(t, srv.URL, "Alice", "Bob")
	alice, bob := people[0], people[1]
	alice.waitFor("Bob in the roster", `[...document.querySelectorAll("#roster li")].some(li => li.textContent.includes("Bob"))`)

	alice.say("Hello everyone")
	bob.sees("Hello everyone")
	alice.sees("Hello everyone")

	// A direct message, started by clicking the name in the roster.
	eval[any](bob, `[...document.querySelectorAll("#roster button.person")].find(b => b.textContent === "Alice").click()`)
	bob.waitFor("the recipient to be Alice", `document.querySelector("#to").value === "Alice"`)
	bob.say("Psst, only for you: https://example.com/page")
	// Alice finds it in her conversation with Bob, not in Everyone's.
	alice.waitFor("an unread badge on Bob", badge("Bob")+` === "1"`)
	alice.openConv("Bob")
	alice.sees("Psst, only for you: https://example.com/page")
	bob.sees("Psst, only for you: https://example.com/page")
	alice.waitFor("the direct message marked from Bob", `[...document.querySelectorAll("#messages .msg.direct")].some(m => m.textContent.includes("from Bob"))`)
	bob.waitFor("the direct message marked to Alice", `[...document.querySelectorAll("#messages .msg.direct")].some(m => m.textContent.includes("to Alice"))`)
	link := eval[string](alice, `(() => { const a = document.querySelector("#messages .msg.direct a"); return a ? a.href + "|" + a.rel + "|" + a.target : "" })()`)
	if link != "https://example.com/page|noopener noreferrer|_blank" {
		t.Errorf("link in a message = %q, want href|rel|target of a safe new-tab link", link)
	}
	bob.shot("chat")

	// A third person: the name Alice is taken whatever its case.
	carol := b.person(t, "Carol")
	carol.open(srv.URL)
	carol.tryJoin("ALICE")
	carol.waitFor("the refusal", `(document.querySelector("#join-error")||{}).textContent.includes("in use")`)
	if v := eval[string](carol, `document.querySelector("#name").value`); v != "ALICE" {
		t.Errorf("after a refusal the name field holds %q, want the text typed (ALICE)", v)
	}
	carol.join()

	// HTML from anyone is shown as text.
	evil := `<img src=x onerror="document.title='pwned'"><b>bold</b>`
	alice.sayTo("", evil)
	carol.sees(evil)
	bob.openConv("")
	bob.sees(evil)
	if n := eval[int](carol, `document.querySelectorAll("#messages img, #messages b").length`); n != 0 {
		t.Errorf("a message's HTML reached the DOM as %d elements", n)
	}
	if title := eval[string](carol, `document.title`); title == "pwned" {
		t.Errorf("a message's script ran")
	}

	// Carol got the broadcasts since she joined but never the direct
	// message between Alice and Bob.
	if n := carol.count("Psst, only for you: https://example.com/page"); n != 0 {
		t.Errorf("Carol sees the direct message between Alice and Bob")
	}
}

// TestEachTransport: with each transport chosen in the picker, messages
// flow both ways.
func TestEachTransport(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	for _, tr := range []struct{ value, label string }{
		{"ws", "WebSocket"}, {"sse", "Server-Sent Events"}, {"poll", "Long polling"},
	} {
		t.Run(tr.value, func(t *testing.T) {
			people := b.joined(t, srv.URL, "A-"+tr.value, "Z-"+tr.value)
			a, z := people[0], people[1]
			for _, p := range people {
				p.setTransport(tr.label)
			}
			a.say("from A over " + tr.label)
			z.sees("from A over " + tr.label)
			z.say("from Z over " + tr.label)
			a.sees("from Z over " + tr.label)
			a.sayTo(z.name, "direct over "+tr.label)
			z.openConv(a.name)
			z.sees("direct over " + tr.label)
		})
	}
}

// TestAutoSettles: Auto picks a transport and says which.
func TestAutoSettles(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	p := b.joined(t, srv.URL, "Auto")[0]
	if got := eval[string](p, `document.querySelector("#active").textContent`); got != "via WebSocket" {
		t.Errorf("Auto settled on %q, want WebSocket where nothing blocks it", got)
	}
}

// TestSwitchTransportLosesNothing: while someone keeps sending, the reader
// switches transport three times and sees every message exactly once.
func TestSwitchTransportLosesNothing(t *testing.T) {
	srv := startServer(t, "-rate", "50", "-burst", "50")
	b := newBrowser(t)
	reader := b.joined(t, srv.URL, "Reader")[0]

	sender := newAPIUser(t, srv.URL, "Sender")
	const total = 60
	done := make(chan error, 1)
	go func() {
		done <- sender.sendNumbered("burst", total, 15)
	}()
	for _, label := range []string{"Server-Sent Events", "Long polling", "WebSocket"} {
		reader.setTransport(label)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	last := fmt.Sprintf("burst %d", total)
	reader.waitFor("the last message", countJS(last)+` >= 1`)
	for i := 1; i <= total; i++ {
		if n := reader.count(fmt.Sprintf("burst %d", i)); n != 1 {
			t.Errorf("message %d seen %d times, want once", i, n)
		}
	}
	order := eval[bool](reader, `(() => {
		const n = [...document.querySelectorAll("#messages .msg .text")].map(e => e.textContent).filter(t => t.startsWith("burst ")).map(t => +t.slice(6));
		return n.every((v, i) => i === 0 || n[i-1] < v);
	})()`)
	if !order {
		t.Errorf("messages out of order after switching transports")
	}
}
