package storetest

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"hark/server/chat"
)

// A name's passkeys are kept per name for one registration: added on one
// node, read whole on another at once; a second passkey joins the first,
// one with the same ID replaces it; another registration adding to the
// name is refused and changes nothing; only the keeper removes them.
func passkeysPerName(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	alice := chat.Kept{Display: "Alice", Reg: 7, Handle: []byte("handle-of-alice")}
	one := webauthn.Credential{ID: []byte("one"), PublicKey: []byte("key one"), Authenticator: webauthn.Authenticator{SignCount: 1}}
	two := webauthn.Credential{ID: []byte("two"), PublicKey: []byte("key two")}
	if _, ok, err := b.Passkeys.Keep(ctx(t), "alice"); ok || err != nil {
		t.Fatalf("Keep of a name without passkeys: %v, %v; want none", ok, err)
	}
	if err := a.Passkeys.Add(ctx(t), "alice", alice, one); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Passkeys.Keep(ctx(t), "alice")
	if err != nil || !ok || got.Display != "Alice" || got.Reg != 7 || string(got.Handle) != "handle-of-alice" || len(got.Credentials) != 1 || string(got.Credentials[0].PublicKey) != "key one" {
		t.Fatalf("Keep on the other node = %+v, %v, %v; want Alice's record with passkey one", got, ok, err)
	}
	if err := b.Passkeys.Add(ctx(t), "alice", chat.Kept{Display: "Alice", Reg: 7}, two); err != nil {
		t.Fatal(err)
	}
	one.Authenticator.SignCount = 5
	if err := a.Passkeys.Add(ctx(t), "alice", alice, one); err != nil {
		t.Fatal(err)
	}
	if err := b.Passkeys.Add(ctx(t), "alice", chat.Kept{Display: "alice", Reg: 8, Handle: []byte("thief")}, webauthn.Credential{ID: []byte("three")}); !errors.Is(err, chat.ErrKeptByOther) {
		t.Fatalf("Add by another registration: %v, want ErrKeptByOther", err)
	}
	got, _, err = a.Passkeys.Keep(ctx(t), "alice")
	if err != nil || len(got.Credentials) != 2 || string(got.Handle) != "handle-of-alice" {
		t.Fatalf("after a second passkey, an update and a refused add: %+v, %v; want two passkeys and the first handle", got, err)
	}
	for _, c := range got.Credentials {
		if string(c.ID) == "one" && c.Authenticator.SignCount != 5 {
			t.Fatalf("passkey one's sign count = %d, want the update's 5", c.Authenticator.SignCount)
		}
	}
	if gone, err := b.Passkeys.Remove(ctx(t), "alice", 8); gone || err != nil {
		t.Fatalf("Remove by another registration: %v, %v; want nothing removed", gone, err)
	}
	if gone, err := b.Passkeys.Remove(ctx(t), "alice", 7); !gone || err != nil {
		t.Fatalf("Remove by the keeper: %v, %v; want removed", gone, err)
	}
	if _, ok, err := a.Passkeys.Keep(ctx(t), "alice"); ok || err != nil {
		t.Fatalf("Keep after Remove: %v, %v; want none", ok, err)
	}
	// Removed, the name may be kept anew by whoever holds it next.
	if err := a.Passkeys.Add(ctx(t), "alice", chat.Kept{Display: "ALICE", Reg: 9}, two); err != nil {
		t.Fatal(err)
	}
	if got, _, err := b.Passkeys.Keep(ctx(t), "alice"); err != nil || got.Reg != 9 || got.Display != "ALICE" {
		t.Fatalf("Keep after a new keeper: %+v, %v", got, err)
	}
}

// A ceremony put on one node is taken on another once, whole; one past
// its TTL is not there; of takers racing on two nodes exactly one gets
// it.
func passkeyCeremonies(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	key := func(s string) chat.CodeKey { return sha256.Sum256([]byte(s)) }
	want := chat.Ceremony{SignIn: true, Key: "alice", Display: "Alice", Reg: 7, Handle: []byte("h"),
		Session: webauthn.SessionData{Challenge: "challenge", RelyingPartyID: "localhost"},
		Expires: time.Now().Add(time.Minute).Truncate(time.Millisecond)}
	if err := a.Passkeys.PutCeremony(ctx(t), key("one"), want, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Passkeys.TakeCeremony(ctx(t), key("one"))
	if err != nil || !ok || !got.SignIn || got.Key != "alice" || got.Reg != 7 || got.Session.Challenge != "challenge" || got.Session.RelyingPartyID != "localhost" || !got.Expires.Equal(want.Expires) {
		t.Fatalf("TakeCeremony on the other node = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	for _, n := range []chat.Store{a, b} {
		if _, ok, err := n.Passkeys.TakeCeremony(ctx(t), key("one")); ok || err != nil {
			t.Fatalf("a used ceremony taken again: %v, %v; want not there", ok, err)
		}
	}
	if err := a.Passkeys.PutCeremony(ctx(t), key("short"), want, time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, ok, err := b.Passkeys.TakeCeremony(ctx(t), key("short")); ok || err != nil {
		t.Fatalf("a ceremony past its TTL: %v, %v; want not there", ok, err)
	}
	if err := a.Passkeys.PutCeremony(ctx(t), key("race"), want, time.Minute); err != nil {
		t.Fatal(err)
	}
	if w := takers(t, a, b, func(n chat.Store) (bool, error) {
		_, ok, err := n.Passkeys.TakeCeremony(ctx(t), key("race"))
		return ok, err
	}); w != 1 {
		t.Fatalf("%d of 8 racing takers got the ceremony, want exactly 1", w)
	}
}
