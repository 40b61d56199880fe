package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"hark/app/protocol"
)

// convButton selects the conversation list's entry for with ("" for
// Everyone).
func convButton(with string) string {
	if with == "" {
		return `document.querySelector("#conv-everyone")`
	}
	return fmt.Sprintf(`[...document.querySelectorAll("#conversations button.conv")].find(b => b.dataset.with === %s)`, js(with))
}

// openConv opens the conversation with with ("" for Everyone) from the
// conversation list, as a person clicks it, and waits until it is shown.
func (p *person) openConv(with string) {
	p.t.Helper()
	p.waitFor("the conversation "+with+" in the list", "!!"+convButton(with))
	eval[chromedp.Void](p, convButton(with)+".click()")
	title := "Everyone"
	if with != "" {
		title = with + " (direct messages)"
	}
	p.waitFor("the conversation "+title, fmt.Sprintf(`(document.querySelector("#conv-title")||{}).textContent === %s`, js(title)))
}

// badge is the unread count the list shows for with, "" when none.
func badge(with string) string {
	return fmt.Sprintf(`(() => { const b = %s; const n = b && b.querySelector(".badge"); return n ? n.textContent : "" })()`, convButton(with))
}

// attention is a script that runs before the page's own: it records every
// Notification the page makes (and every permission request), and lets
// the test hide the page: window.__setHidden(true) makes document.hidden
// true and fires visibilitychange, as switching tabs does. Headless
// Chromium has no other tab to switch to, and neither the DevTools
// protocol's focus emulation nor its lifecycle states change
// document.hidden without freezing the page.
const attention = `(() => {
	let hidden = false;
	Object.defineProperty(Document.prototype, "hidden", {configurable: true, get() { return hidden; }});
	Object.defineProperty(Document.prototype, "visibilityState", {configurable: true, get() { return hidden ? "hidden" : "visible"; }});
	window.__setHidden = h => { hidden = h; document.dispatchEvent(new Event("visibilitychange")); };
	const Real = window.Notification;
	window.__notes = [];
	window.__asked = 0;
	class Recorded {
		constructor(title, opts) {
			this.title = title; this.body = opts && opts.body; this.tag = opts && opts.tag;
			window.__notes.push(this);
		}
		close() {}
		static get permission() { return Real.permission; }
		static requestPermission() { window.__asked++; return Real.requestPermission(); }
	}
	window.Notification = Recorded;
})()`

// watchAttention installs attention in p's tab, before the page loads.
func (p *person) watchAttention() {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: attention})
		return err
	}))
}

// grantNotifications grants origin the notifications permission in p's
// browser context, as a person answering the browser's prompt would.
func (p *person) grantNotifications(origin string) {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		c := chromedp.FromContext(p.ctx)
		_, err := cdp.Call(ctx, c.Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission:       &cdpbrowser.PermissionDescriptor{Name: "notifications"},
			Setting:          cdpbrowser.PermissionSettingGranted,
			Origin:           origin,
			BrowserContextID: c.BrowserContextID,
		})
		return err
	}))
}

// sendTo posts a message to to ("" for everyone).
func (u *apiUser) sendTo(id, to, text string) error {
	body, _ := json.Marshal(protocol.Send{ID: id, To: to, Text: text})
	req, _ := http.NewRequest(http.MethodPost, u.base+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+u.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sending %q: %s", text, resp.Status)
	}
	return nil
}

// joinRoom joins the public room called name and returns its id.
func (u *apiUser) joinRoom(t *testing.T, name string) string {
	t.Helper()
	var rooms protocol.Rooms
	if err := u.call(http.MethodGet, "/api/rooms", nil, &rooms); err != nil {
		t.Fatal(err)
	}
	for _, r := range rooms.Rooms {
		if r.Name == name {
			if err := u.call(http.MethodPost, "/api/rooms/"+r.ID+"/join", nil, nil); err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
	}
	t.Fatalf("no public room %q among %+v", name, rooms.Rooms)
	return ""
}

// sendRoom posts a message to the room id.
func (u *apiUser) sendRoom(id, room, text string) error {
	return u.call(http.MethodPost, "/api/messages", protocol.Send{ID: id, Room: room, Text: text}, nil)
}

// call sends in (nil: no body) to path as u, and decodes a 2xx answer
// into out (nil: not read).
func (u *apiUser) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u.base+path, body)
	req.Header.Set("Authorization", "Bearer "+u.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// typingShows is a script that is true while the conversation in view
// says label under its messages ("" when no one is typing).
func typingShows(label string) string {
	return fmt.Sprintf(`document.querySelector("#typing").textContent === %s`, js(label))
}
