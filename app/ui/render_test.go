package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/convo"
	"hark/app/protocol"
)

// These tests render components to HTML on the host with go-app's own
// encoder; what needs a browser (events, mounting) is covered in one.

func at(s string) *protocol.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return protocol.NewTime(t)
}

// items returns the <li> elements of rendered HTML, one string each.
func items(html string) []string {
	var out []string
	for _, part := range strings.Split(html, "<li")[1:] {
		if end := strings.Index(part, "</li>"); end >= 0 {
			part = part[:end]
		}
		out = append(out, "<li"+part)
	}
	return out
}

// hasClasses reports whether the first tag of html has all the classes.
func hasClasses(html string, classes ...string) bool {
	m := regexp.MustCompile(`^<[a-z]+[^>]*class="([^"]*)"`).FindStringSubmatch(html)
	if m == nil {
		return false
	}
	have := strings.Fields(m[1])
	for _, c := range classes {
		found := false
		for _, h := range have {
			found = found || h == c
		}
		if !found {
			return false
		}
	}
	return true
}

// msgItems returns the messages of rendered HTML (the <li class="msg …">),
// one string each, leaving out the list's chunks and edge.
func msgItems(html string) []string {
	var out []string
	for _, li := range items(html) {
		if hasClasses(li, "msg") {
			out = append(out, li)
		}
	}
	return out
}

// listOf is the message list of one conversation, as Chat renders it.
func listOf(m *convo.Model, with string) *messageList {
	c := m.Get(with)
	return &messageList{Conv: c, Version: c.Version, Me: m.Me(), MeKey: m.MeKey()}
}

func TestMessageListRender(t *testing.T) {
	m := convo.New("Alice")
	m.Sync(client.State{Epoch: "e", Messages: []client.Item{
		{Event: protocol.Event{Seq: 1, Type: protocol.TypeJoin, From: "Bob", Time: at("2026-03-10T09:00:00Z")}},
		{Event: protocol.Event{Seq: 2, Type: protocol.TypeMessage, From: "Bob", Text: `<script>alert(1)</script> see https://x.org/a.`, Time: at("2026-03-10T09:01:00Z")}},
		{Event: protocol.Event{Seq: 3, Type: protocol.TypeMessage, From: "Alice", To: "Bob", Text: "psst", Time: at("2026-03-10T09:02:00Z")}, Own: true, Status: client.Sent},
		{Event: protocol.Event{Seq: 4, Type: protocol.TypeMessage, From: "Bob", To: "Alice", Text: "hi you", Time: at("2026-03-10T09:03:00Z")}},
		{Event: protocol.Event{Seq: 5, Type: protocol.TypeLeave, From: "Bob", Time: at("2026-03-10T09:04:00Z")}},
		{Event: protocol.Event{Seq: 6, Type: protocol.TypeMessage, From: "Carol", Text: "ask @ALICE", Time: at("2026-03-10T09:05:00Z")}},
		{Event: protocol.Event{Type: protocol.TypeMessage, ID: "c-1", From: "Alice", Text: "on its way"}, Own: true, Status: client.Pending},
		{Event: protocol.Event{Type: protocol.TypeMessage, ID: "c-2", From: "Alice", To: "Zoe", Text: "lost"}, Own: true, Status: client.Failed, Error: `no one named "Zoe" is online`},
	}})
	// Each conversation shows its own: broadcasts, joins and leaves in
	// Everyone's, direct messages in the one with the other person.
	var li []string
	for _, with := range []string{"", "Bob", "Zoe"} {
		html := app.HTMLString(listOf(m, with))
		// New messages are announced, politely: after what is being read.
		if !regexp.MustCompile(`<ol[^>]*id="messages"[^>]*aria-live="polite"`).MatchString(html) && !regexp.MustCompile(`<ol[^>]*aria-live="polite"[^>]*id="messages"`).MatchString(html) {
			t.Errorf("the list with %q is not a polite live region", with)
		}
		li = append(li, msgItems(html)...)
	}
	if len(li) != 8 {
		t.Fatalf("%d items, want 8:\n%s", len(li), strings.Join(li, "\n"))
	}
	checks := []struct {
		classes  []string
		contains []string
		lacks    []string
	}{
		{[]string{"msg", "notice", "notice-join"}, []string{"<strong>Bob</strong>", "joined", `datetime="2026-03-10T09:00:00.000Z"`}, nil},
		{[]string{"msg", "other"}, []string{
			`<span class="from">Bob</span>`,
			"&lt;script&gt;alert(1)&lt;/script&gt; see ",
			">https://x.org/a</a>",
			`href="https://x.org/a"`, `target="_blank"`, `rel="noopener noreferrer"`,
		}, []string{"<script>", "direct", "mention"}},
		{[]string{"msg", "notice", "notice-leave"}, []string{"left"}, nil},
		// A message that mentions the reader is marked.
		{[]string{"msg", "other", "mention"}, []string{"ask ", `<span class="mention me">@ALICE</span>`}, nil},
		{[]string{"msg", "own", "pending"}, []string{"sending…", "on its way"}, []string{"<time"}},
		// Sent is the normal case: no label says so.
		{[]string{"msg", "own", "direct", "sent"}, []string{">You<", `<span class="dm">to Bob</span>`}, []string{`class="status"`}},
		{[]string{"msg", "other", "direct"}, []string{`<span class="dm">from Bob</span>`, "hi you"}, []string{`class="from"`}},
		{[]string{"msg", "own", "direct", "failed"}, []string{`not sent: no one named &#34;Zoe&#34; is online`, "to Zoe"}, nil},
	}
	for i, c := range checks {
		if !hasClasses(li[i], c.classes...) {
			t.Errorf("item %d lacks classes %v:\n%s", i, c.classes, li[i])
		}
		for _, s := range c.contains {
			if !strings.Contains(li[i], s) {
				t.Errorf("item %d lacks %q:\n%s", i, s, li[i])
			}
		}
		for _, s := range c.lacks {
			if strings.Contains(li[i], s) {
				t.Errorf("item %d has %q:\n%s", i, s, li[i])
			}
		}
	}
}

// An empty conversation says so once the server said there is nothing
// older; before, the list waits for the first page.
func TestMessageListEmpty(t *testing.T) {
	m := convo.New("Alice")
	html := app.HTMLString(listOf(m, ""))
	if strings.Contains(html, "No messages yet") {
		t.Errorf("empty list before asking the server:\n%s", html)
	}
	m.Older("", protocol.History{})
	html = app.HTMLString(listOf(m, ""))
	if !strings.Contains(html, "No messages yet") || strings.Contains(html, `class="msg`) {
		t.Errorf("empty list:\n%s", html)
	}
}

// The conversation list: Everyone first, then the direct ones, the most
// recent first, each with its unread count; the one in view marked.
func TestConversationListRender(t *testing.T) {
	m := convo.New("Alice")
	m.Open("")
	for _, ev := range []protocol.Event{
		{Seq: 1, Type: protocol.TypeMessage, From: "Bob", To: "Alice", Text: "one", Time: at("2026-03-10T09:00:00Z")},
		{Seq: 2, Type: protocol.TypeMessage, From: "Bob", To: "Alice", Text: "two", Time: at("2026-03-10T09:01:00Z")},
		{Seq: 3, Type: protocol.TypeMessage, From: "Carol", To: "Alice", Text: "three", Time: at("2026-03-10T09:02:00Z")},
	} {
		m.Arrived(ev)
		m.Sync(client.State{Epoch: "e", Messages: []client.Item{{Event: ev}}})
	}
	html := app.HTMLString(&conversationList{Entries: entries(m)})
	order := regexp.MustCompile(`data-with="([^"]*)"`).FindAllStringSubmatch(html, -1)
	if len(order) != 2 || order[0][1] != "Carol" || order[1][1] != "Bob" || strings.Index(html, `id="conv-everyone"`) > strings.Index(html, "Carol") {
		t.Fatalf("conversations in order %v, want Everyone, Carol, Bob:\n%s", order, html)
	}
	for _, s := range []string{`aria-label="Bob, 2 unread messages"`, `aria-label="Carol, 1 unread message"`, `aria-current`, `id="notify-toggle"`, "Turn on notifications"} {
		if !strings.Contains(html, s) {
			t.Errorf("conversation list lacks %q:\n%s", s, html)
		}
	}
	if convo.Title(m.Unread()) != "(3) Hark" {
		t.Errorf("title %q", convo.Title(m.Unread()))
	}
}

// On a phone the conversations' badges are in the closed drawer, so its
// button carries the total, for eyes and for screen readers.
func TestDrawerToggleCountsUnread(t *testing.T) {
	html := app.HTMLString(drawerToggle(false, 3))
	for _, s := range []string{`class="badge"`, ">3<", "People and conversations, 3 unread messages"} {
		if !strings.Contains(html, s) {
			t.Errorf("drawer button with 3 unread lacks %q:\n%s", s, html)
		}
	}
	if html := app.HTMLString(drawerToggle(false, 0)); strings.Contains(html, "badge") || strings.Contains(html, "unread") {
		t.Errorf("drawer button with nothing unread shows a count:\n%s", html)
	}
}

// The server prerenders the page before the WebAssembly starts: it must be
// the join form, with the ids tests target and nothing disabled.
func TestChatPrerendersJoinForm(t *testing.T) {
	html := app.HTMLString(&Chat{})
	for _, s := range []string{`id="name"`, `id="join"`, `id="join-error"`, `<label for="name">`, `type="submit"`} {
		if !strings.Contains(html, s) {
			t.Errorf("prerendered page lacks %q:\n%s", s, html)
		}
	}
	for _, s := range []string{"disabled", "ready", `id="text"`} {
		if strings.Contains(html, s) {
			t.Errorf("prerendered page has %q:\n%s", s, html)
		}
	}
}

func TestJoinFormShowsRefusalAndNotice(t *testing.T) {
	f := &joinForm{Notice: "Your session ended."}
	f.name, f.err, f.busy = "alice", `the name "alice" is in use`, true
	html := app.HTMLString(f)
	for _, s := range []string{`value="alice"`, `the name &#34;alice&#34; is in use`, "disabled", "Your session ended."} {
		if !strings.Contains(html, s) {
			t.Errorf("join form lacks %q:\n%s", s, html)
		}
	}
	// go-app's encoder writes a "true" attribute bare.
	if !regexp.MustCompile(`aria-invalid(="true")?[ >]`).MatchString(html) {
		t.Errorf("name field not marked invalid:\n%s", html)
	}
}

func TestComposerRender(t *testing.T) {
	c := &composer{To: "Bob", People: []string{"Alice", "Bob", "Carol"}, Me: "Alice"}
	html := app.HTMLString(c)
	for _, s := range []string{`id="text"`, `id="send"`, `id="to"`, `<label for="to">To</label>`, `Message Bob`, ">Everyone</option>", ">Carol</option>"} {
		if !strings.Contains(html, s) {
			t.Errorf("composer lacks %q:\n%s", s, html)
		}
	}
	if strings.Contains(html, ">Alice</option>") {
		t.Errorf("composer offers oneself as recipient:\n%s", html)
	}
	if !regexp.MustCompile(`<option[^>]*selected[^>]*>Bob</option>`).MatchString(html) {
		t.Errorf("Bob is not the selected recipient:\n%s", html)
	}
}

func TestRosterRender(t *testing.T) {
	html := app.HTMLString(&roster{Users: []string{"Alice", "Bob"}, Online: 2, Me: "Alice"})
	if !strings.Contains(html, "2 online") || !strings.Contains(html, ">Bob</button>") || strings.Contains(html, ">Alice</button>") {
		t.Errorf("roster:\n%s", html)
	}
	if strings.Contains(html, `id="search"`) {
		t.Errorf("roster below the threshold has a search box:\n%s", html)
	}

	// Counts mode: no names but the search results, and a search box.
	r := &roster{Online: 10421, Counts: true, Me: "Alice"}
	r.results = []string{"Alan"}
	html = app.HTMLString(r)
	for _, s := range []string{"10421 online", `id="search"`, ">Alan</button>"} {
		if !strings.Contains(html, s) {
			t.Errorf("counts roster lacks %q:\n%s", s, html)
		}
	}
}

// The header offers Install only when the browser says the app can be
// installed (go-app's OnAppInstallChange), and the banner offers a reload
// only once a new version has been downloaded (OnAppUpdate).
func TestInstallAndUpdateOffers(t *testing.T) {
	c := &Chat{}
	st := client.State{Name: "Alice"}
	if html := app.HTMLString(c.renderHeader(st)); strings.Contains(html, `id="install"`) {
		t.Error("Install offered while the browser cannot install")
	}
	if c.renderBanner() != nil {
		t.Error("a reload offered with no new version")
	}
	c.installable = true
	if html := app.HTMLString(c.renderHeader(st)); !strings.Contains(html, `id="install"`) {
		t.Errorf("no Install button while installable: %s", html)
	}
	c.OnAppUpdate(app.Context{})
	html := app.HTMLString(c.renderBanner())
	if !strings.Contains(html, "A new version of Hark is available.") || !strings.Contains(html, `id="reload"`) || !strings.Contains(html, `role="alert"`) {
		t.Errorf("the update banner: %s", html)
	}
}

// Consecutive messages of one sender go under one name and time (the rest
// carry it for screen readers and as their title); each day starts with a
// line that names it; the New line starts a group of its own.
func TestMessagesGroupUnderOneNameAndDay(t *testing.T) {
	m := convo.New("Alice")
	m.Sync(client.State{Epoch: "e", Messages: []client.Item{
		{Event: protocol.Event{Seq: 1, Type: protocol.TypeMessage, From: "Bob", Text: "one", Time: at("2025-03-09T09:00:00Z")}},
		{Event: protocol.Event{Seq: 2, Type: protocol.TypeMessage, From: "Bob", Text: "two", Time: at("2026-03-10T09:00:00Z")}},
		{Event: protocol.Event{Seq: 3, Type: protocol.TypeMessage, From: "Bob", Text: "three", Time: at("2026-03-10T09:01:00Z")}},
		{Event: protocol.Event{Seq: 4, Type: protocol.TypeMessage, From: "Bob", Text: "four", Time: at("2026-03-10T09:02:00Z")}},
		{Event: protocol.Event{Seq: 5, Type: protocol.TypeMessage, From: "Carol", Text: "five", Time: at("2026-03-10T09:02:00Z")}},
	}})
	l := listOf(m, "")
	l.newFrom = 4
	html := app.HTMLString(l)
	var shape []string
	for _, li := range items(html) {
		switch {
		case hasClasses(li, "day"):
			shape = append(shape, "day")
		case hasClasses(li, "msg", "cont"):
			shape = append(shape, "cont")
		case hasClasses(li, "msg"):
			shape = append(shape, "head")
		}
	}
	if got := strings.Join(shape, " "); got != "day head day head cont head head" {
		t.Fatalf("the list is %q, want a day line before each day, a head for each group, the New line's message a head", got)
	}
	msgs := msgItems(html)
	cont := msgs[2]
	if strings.Contains(cont, `class="from"`) || strings.Contains(cont, "<time") {
		t.Errorf("a message continuing its group shows a name or time:\n%s", cont)
	}
	if !strings.Contains(cont, `class="visually-hidden">Bob, `) || !strings.Contains(cont, `title="`) {
		t.Errorf("a message continuing its group does not tell screen readers who wrote it, or has no full date:\n%s", cont)
	}
	if !hasClasses(msgs[3], "first-new") || !strings.Contains(msgs[3], `class="from">Bob<`) {
		t.Errorf("the New line's message is not the head of a group:\n%s", msgs[3])
	}
	if !strings.Contains(html, `datetime="2025-03-09"`) {
		t.Errorf("the first day's line lacks its date:\n%s", html)
	}
}

// A message shows what was done to it: the quote of the message it
// answers (or that it was deleted), "(edited)", its reactions with who
// reacted (pressed when one is the reader's), and the actions a reader
// may take, edit and delete on their own only; a deleted message shows
// only that it was, with nothing to act on.
func TestMessageShowsWhatWasDoneToIt(t *testing.T) {
	m := convo.New("Alice")
	reply := protocol.Event{Seq: 3, Type: protocol.TypeMessage, From: "Alice", Text: "yes", ReplyTo: 1, Time: at("2026-03-10T09:02:00Z")}
	gone := protocol.Event{Seq: 4, Type: protocol.TypeMessage, From: "Carol", Text: "oops", ReplyTo: 2, Time: at("2026-03-10T09:03:00Z")}
	m.Sync(client.State{Epoch: "e", Messages: []client.Item{
		{Event: protocol.Event{Seq: 1, Type: protocol.TypeMessage, From: "Bob", Text: "lunch?\nat noon", Time: at("2026-03-10T09:00:00Z")}},
		{Event: protocol.Event{Seq: 2, Type: protocol.TypeMessage, From: "Bob", Text: "or later", Time: at("2026-03-10T09:01:00Z")}},
		{Event: reply, Own: true, Status: client.Sent},
		{Event: gone},
		{Event: protocol.Event{Seq: 5, Type: protocol.TypeReact, From: "Alice", Target: 1, Emoji: "👍", On: true}},
		{Event: protocol.Event{Seq: 6, Type: protocol.TypeReact, From: "Carol", Target: 1, Emoji: "👍", On: true}},
		{Event: protocol.Event{Seq: 7, Type: protocol.TypeEdit, From: "Alice", Target: 3, Text: "yes!"}},
		{Event: protocol.Event{Seq: 8, Type: protocol.TypeDelete, From: "Bob", Target: 2}},
	}})
	li := msgItems(app.HTMLString(listOf(m, "")))
	if len(li) != 4 {
		t.Fatalf("%d messages, want 4 (actions are not messages):\n%s", len(li), strings.Join(li, "\n"))
	}
	bob, deleted, own, carol := li[0], li[1], li[2], li[3]
	// go-app writes an attribute whose value is "true" bare, as HTML
	// does booleans; the browser reads it as "true" (see e2e).
	// Attributes come in any order.
	pressed := false
	for _, tag := range regexp.MustCompile(`<button[^>]*>`).FindAllString(bob, -1) {
		pressed = pressed || strings.Contains(tag, `class="reaction"`) && regexp.MustCompile(`aria-pressed(="true")?[ >]`).MatchString(tag)
	}
	if !pressed {
		t.Errorf("the reader's reaction is not pressed:\n%s", bob)
	}
	for _, want := range []string{`id="msg-1"`, `aria-label="👍 2: Alice, Carol"`, `aria-label="React"`, `aria-label="Reply"`} {
		if !strings.Contains(bob, want) {
			t.Errorf("Bob's message lacks %s:\n%s", want, bob)
		}
	}
	if strings.Contains(bob, `aria-label="Edit"`) || strings.Contains(bob, `aria-label="Delete"`) {
		t.Errorf("Bob's message offers Alice to edit or delete it:\n%s", bob)
	}
	if !hasClasses(deleted, "msg", "deleted") || !strings.Contains(deleted, "This message was deleted.") || strings.Contains(deleted, "or later") || strings.Contains(deleted, `class="actions"`) {
		t.Errorf("the deleted message:\n%s", deleted)
	}
	for _, want := range []string{"Bob: lunch? …", "yes!", `class="edited"`, `aria-label="Edit"`, `aria-label="Delete"`} {
		if !strings.Contains(own, want) {
			t.Errorf("Alice's reply lacks %s:\n%s", want, own)
		}
	}
	if !strings.Contains(carol, "Reply to a deleted message") {
		t.Errorf("a reply to a deleted message does not say so:\n%s", carol)
	}
}
