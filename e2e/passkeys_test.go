package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// localhost is the server's address under the name localhost: a passkey
// belongs to a host name, and browsers refuse WebAuthn on an IP address.
func localhost(s *server) string { return strings.Replace(s.URL, "127.0.0.1", "localhost", 1) }

// authenticator gives p's tab a virtual platform authenticator (Chromium's
// WebAuthn domain), as Touch ID or Windows Hello would be: it makes
// discoverable passkeys and verifies the person at once. It is the tab's
// own, and goes with the tab.
func (p *person) authenticator() webauthn.AuthenticatorID {
	p.t.Helper()
	var id webauthn.AuthenticatorID
	p.do(chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tab, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		r, err := cdp.Call(ctx, tab, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			},
		})
		id = r.AuthenticatorID
		return err
	}))
	return id
}

// passkeys is what the authenticator id of p's tab holds.
func (p *person) passkeys(id webauthn.AuthenticatorID) []*webauthn.Credential {
	p.t.Helper()
	var creds []*webauthn.Credential
	p.do(chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		r, err := cdp.Call(ctx, tab, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		creds = r.Credentials
		return err
	}))
	return creds
}

// holdPasskey puts cred in the authenticator id of p's tab, as a passkey
// synced from another device would be.
func (p *person) holdPasskey(id webauthn.AuthenticatorID, cred *webauthn.Credential) {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		// cdproto always sends generateCmtgKeyOnNextOperation, which
		// Chromium refuses from an authenticator without the cmtgKey
		// extension even when false: the credential goes without it.
		j, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		var c map[string]any
		if err := json.Unmarshal(j, &c); err != nil {
			return err
		}
		delete(c, "generateCmtgKeyOnNextOperation")
		return tab.Call(ctx, webauthn.AddCredential.Method, map[string]any{"authenticatorId": id, "credential": c}, nil)
	}))
}

// Alice keeps her name with a passkey from the Add a device dialog, and
// the dialog says so. She closes her tab: after the grace Bob sees her
// gone, and someone else who types "Alice" is told the name is kept with
// a passkey. A fresh browser holding her passkey signs in with "Sign in
// with a passkey" and is Alice again, with Bob's direct message from
// before.
func TestPasskeyInTheBrowser(t *testing.T) {
	srv := startServer(t, "-grace", "1s")
	url := localhost(srv)
	b := newBrowser(t)

	tab, closeTab := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(closeTab)
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	alice := &person{t: t, name: "Alice", ctx: tab}
	hers := alice.authenticator()
	alice.open(url)
	alice.join()
	bob := b.joined(t, url, "Bob")[0]

	alice.click("add-device")
	alice.waitFor("the passkey button", `!!document.querySelector("#passkey-add")`)
	alice.blur()
	alice.shot("passkey-add")
	alice.click("passkey-add")
	alice.waitFor("the dialog to say the name is kept", `(document.querySelector("#passkey-kept")||{}).textContent === "Your name is kept with a passkey."`)
	if eval[bool](alice, `!!document.querySelector("#passkey-error")`) {
		t.Errorf("an error after adding the passkey: %s", eval[string](alice, `document.querySelector("#passkey-error").textContent`))
	}
	alice.blur()
	alice.shot("passkey-kept")
	alice.within("#passkey-remove", "#device-dialog")
	creds := alice.passkeys(hers)
	if len(creds) != 1 || creds[0].RpID != "localhost" || !creds[0].IsResidentCredential {
		t.Fatalf("the authenticator holds %+v, want one discoverable passkey for localhost", creds)
	}
	alice.click("device-close")

	const dm = "see you tomorrow"
	bob.sayTo("Alice", dm)
	alice.openConv("Bob")
	alice.sees(dm)

	closeTab() // no Leave: her grace runs out, but her name is kept
	bob.waitFor("Alice gone after the grace", "!"+inRoster("Alice"))

	other := b.person(t, "Not Alice")
	other.open(url)
	other.tryJoin("Alice")
	other.waitFor("the refusal, saying why", `(document.querySelector("#join-error")||{}).textContent.includes("Alice is kept with a passkey; sign in with it")`)
	other.shot("passkey-refused")
	other.within("#join-passkey", "#join-form")
	other.do(emulatePhone())
	other.within("#join-passkey", "#join-form")
	other.shot("passkey-refused-phone")
	if eval[bool](other, `!!document.querySelector("#messages")`) {
		t.Fatal("someone else joined as Alice, whose name is kept with a passkey")
	}

	back := b.person(t, "Alice, another browser")
	mine := back.authenticator()
	back.holdPasskey(mine, creds[0])
	back.open(url)
	back.do(
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "alice"),
	)
	back.click("join-passkey")
	back.waitFor("the chat after the passkey", `!!document.querySelector("#messages")`)
	back.waitConnected()
	if me := eval[string](back, `document.querySelector("#me strong").textContent`); me != "Alice" {
		t.Fatalf("signed in with the passkey as %q, want Alice", me)
	}
	bob.waitFor("Alice back", inRoster("Alice"))
	back.openConv("Bob")
	back.sees(dm)
	if got := back.passkeys(mine); len(got) != 1 || got[0].SignCount <= creds[0].SignCount {
		t.Errorf("the passkey after signing in: %+v, want it used once more", got)
	}
}

// within fails the test unless the element matching inner lies inside the
// one matching outer: a button that sticks out of its card or dialog.
func (p *person) within(inner, outer string) {
	p.t.Helper()
	in, out := p.box(inner), p.box(outer)
	if in.Left < out.Left || in.Right > out.Right || in.Top < out.Top || in.Bottom > out.Bottom {
		p.shot("failed-within-" + p.name)
		p.t.Errorf("%s: %s (%+v) sticks out of %s (%+v)", p.name, inner, in, outer, out)
	}
}
