package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/convo"
	"hark/app/protocol"
)

func TestFitBox(t *testing.T) {
	for _, c := range []struct{ w, h, wantW, wantH int }{
		{100, 50, 100, 50},    // small: as is, never up
		{1280, 800, 320, 200}, // wide
		{800, 1280, 200, 320}, // tall
		{4000, 1, 320, 1},     // never 0
		{320, 320, 320, 320},
	} {
		if w, h := fitBox(c.w, c.h, 320); w != c.wantW || h != c.wantH {
			t.Errorf("fitBox(%d, %d) = %d×%d, want %d×%d", c.w, c.h, w, h, c.wantW, c.wantH)
		}
	}
}

func TestSizeLabel(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1 KB", 12_400: "12 KB", 999_499: "999 KB", 3_400_000: "3.4 MB", 10 << 20: "10.5 MB"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("sizeLabel(%d) = %q, want %q", n, got, want)
		}
	}
}

// A message's file shows before its bytes arrive: an image in a box of
// its shape (so nothing moves when it loads), a file as a button that
// names it; a deleted message shows none of it.
func TestMessageShowsItsFile(t *testing.T) {
	m := convo.New("Alice")
	photo := &protocol.File{ID: "f1", Name: "beach.jpg", Type: "image/jpeg", Size: 2_400_000, Width: 1600, Height: 1200, Thumb: true}
	doc := &protocol.File{ID: "f2", Name: "<b>plan</b>.pdf", Type: "application/pdf", Size: 52_000}
	gone := &protocol.File{ID: "f3", Name: "secret.png", Type: "image/png", Size: 10, Width: 10, Height: 10}
	m.Sync(client.State{Epoch: "e", Messages: []client.Item{
		{Event: protocol.Event{Seq: 1, Type: protocol.TypeMessage, From: "Bob", File: photo, Time: at("2026-03-10T09:00:00Z")}},
		{Event: protocol.Event{Seq: 2, Type: protocol.TypeMessage, From: "Bob", Text: "the plan", File: doc, Time: at("2026-03-10T09:01:00Z")}},
		{Event: protocol.Event{Seq: 3, Type: protocol.TypeMessage, From: "Bob", File: gone, Time: at("2026-03-10T09:02:00Z")}},
		{Event: protocol.Event{Seq: 4, Type: protocol.TypeDelete, From: "Bob", Target: 3}},
	}})
	li := msgItems(app.HTMLString(listOf(m, "")))
	if len(li) != 3 {
		t.Fatalf("%d messages, want 3:\n%s", len(li), strings.Join(li, "\n"))
	}
	img, file, deleted := li[0], li[1], li[2]
	for _, want := range []string{`width:320px`, `aspect-ratio:320 / 240`, `alt="beach.jpg"`, `width="320"`, `height="240"`, `aria-label="Open beach.jpg, 1600 by 1200"`} {
		if !strings.Contains(img, want) {
			t.Errorf("the image lacks %s:\n%s", want, img)
		}
	}
	if strings.Contains(img, `class="text"`) {
		t.Errorf("a file sent without words shows an empty text:\n%s", img)
	}
	for _, want := range []string{`class="file"`, `<span class="file-name">&lt;b&gt;plan&lt;/b&gt;.pdf</span>`, "52 KB", "the plan"} {
		if !strings.Contains(file, want) {
			t.Errorf("the file lacks %s:\n%s", want, file)
		}
	}
	if strings.Contains(deleted, "secret.png") || strings.Contains(deleted, "<img") {
		t.Errorf("a deleted message still shows its file:\n%s", deleted)
	}
}

// The actions show the message's full date, which is what hovering, or a
// long press on a phone, reveals.
func TestActionsShowTheFullDate(t *testing.T) {
	m := convo.New("Alice")
	m.Sync(client.State{Epoch: "e", Messages: []client.Item{
		{Event: protocol.Event{Seq: 1, Type: protocol.TypeMessage, From: "Bob", Text: "hi", Time: at("2026-03-10T09:00:05Z")}},
	}})
	li := msgItems(app.HTMLString(listOf(m, "")))
	want := fullDate(at("2026-03-10T09:00:05Z"), time.Now())
	if len(li) != 1 || !strings.Contains(li[0], `<span class="when">`+want+`</span>`) {
		t.Errorf("the actions do not show %q:\n%s", want, strings.Join(li, "\n"))
	}
}

func TestAnyEmoji(t *testing.T) {
	for typed, want := range map[string]string{"🚀": "🚀", " :rocket: ": "🚀", "rocket": "🚀", "+1": "👍", "👍🏽": "👍🏽"} {
		if got, ok := anyEmoji(typed); !ok || got != want {
			t.Errorf("anyEmoji(%q) = %q, %v; want %q", typed, got, ok, want)
		}
	}
	for _, typed := range []string{"", "hello", ":nope:", "👍👍", "<script>"} {
		if got, ok := anyEmoji(typed); ok {
			t.Errorf("anyEmoji(%q) = %q, taken", typed, got)
		}
	}
}
