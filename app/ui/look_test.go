package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
)

func TestMessageTextCollapsesLongOnes(t *testing.T) {
	short := app.HTMLString(messageText("hello https://x.org", ""))
	if !strings.HasPrefix(short, `<p class="text">`) || strings.Contains(short, "Show more") {
		t.Errorf("a short message:\n%s", short)
	}
	for _, long := range []string{
		strings.Repeat("line\n", collapseLines),
		strings.Repeat("é", collapseRunes+1),
	} {
		html := app.HTMLString(messageText(long, ""))
		for _, s := range []string{`class="long collapsed"`, `<p class="text">`, ">Show more</button>", `aria-expanded="false"`} {
			if !strings.Contains(html, s) {
				t.Errorf("a long message (%d bytes) lacks %q:\n%.300s", len(long), s, html)
			}
		}
	}
	// Just under both limits: shown whole.
	if html := app.HTMLString(messageText(strings.Repeat("line\n", collapseLines-1)+strings.Repeat("x", collapseRunes-5*(collapseLines-1)), "")); strings.Contains(html, "Show more") {
		t.Errorf("a message under both limits is collapsed")
	}
}

func TestConnMenuRender(t *testing.T) {
	html := app.HTMLString(&connMenu{Conn: client.Connected, Active: client.WebSocket, Chosen: client.Auto})
	// go-app writes attributes in no fixed order.
	label := func(text string) *regexp.Regexp {
		return regexp.MustCompile(`<span [^>]*id="conn"[^>]*>` + text + `<`)
	}
	if !label("Connected").MatchString(html) {
		t.Errorf("connected, the indicator does not say so:\n%s", html)
	}
	for _, s := range []string{`>via WebSocket<`, `id="transport"`, `<label for="transport">`, `aria-controls="conn-menu"`, `role="status"`} {
		if !strings.Contains(html, s) {
			t.Errorf("connected, the indicator lacks %q:\n%s", s, html)
		}
	}
	// The menu is closed until opened: hidden, and the button says so.
	if !strings.Contains(html, `aria-expanded="false"`) || !strings.Contains(html, "hidden") {
		t.Errorf("the menu is not closed at first:\n%s", html)
	}

	html = app.HTMLString(&connMenu{Conn: client.Offline, RetryAt: time.Now().Add(time.Hour), Chosen: client.Auto})
	if !label("Offline").MatchString(html) {
		t.Errorf("offline, the indicator does not say so:\n%s", html)
	}
	for _, s := range []string{`id="retry"`, ">retry in </span>", "3600s", "cannot be reached"} {
		if !strings.Contains(html, s) {
			t.Errorf("offline, the indicator lacks %q:\n%s", s, html)
		}
	}
	if strings.Contains(html, "via ") {
		t.Errorf("offline, the indicator names a transport:\n%s", html)
	}
	// The live region carries the state, not the countdown, which would
	// be read out every second.
	live := html[strings.Index(html, `role="status"`):]
	live = live[:strings.Index(live, "</span>")]
	if !strings.Contains(live, "Offline") || strings.Contains(live, "retry") {
		t.Errorf("the live region reads %q", live)
	}
}
