package natsstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testauthn"
	"hark/server/chat"
)

// rp is the relying party of a server reached as localhost.
var rp = chat.RelyingParty{ID: "localhost", Origins: []string{"http://localhost:8080"}}

// signInWithPasskey signs in to name on c with key's passkey.
func signInWithPasskey(t *testing.T, c *chat.Chat, key *testauthn.Authenticator, name string) (*chat.Session, string) {
	t.Helper()
	ctx := context.Background()
	id, opts, err := c.PasskeyLoginBegin(ctx, name, "", rp)
	if err != nil {
		t.Fatalf("beginning a passkey sign-in to %s: %v", name, err)
	}
	s, tok, _, err := c.PasskeyLogin(ctx, rp, id, key.Get(t, opts), "")
	if err != nil {
		t.Fatalf("signing in to %s with the passkey: %v", name, err)
	}
	return s, tok
}

// keptRefusal is true for the refusal of a name kept with a passkey.
func keptRefusal(err error) bool {
	var pe *protocol.Error
	return errors.As(err, &pe) && pe.Code == protocol.CodeNameTaken && pe.Message == "Alice is kept with a passkey; sign in with it"
}

// Alice keeps her name with a passkey and signs out everywhere; the node
// and its NATS server restart on their data directory. The name is
// still kept (someone else is refused, told why), and her passkey signs
// her in as the same registration: her direct message with Bob is
// there, and Bob, online, sees her join, though her registration joined
// and left before within the log's duplicate window.
func TestPasskeySurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	srv, nc := embedded(t, dir)
	a := newNode(t, nc, 1, time.Minute)
	ctx := context.Background()
	alice, aliceTok := register(t, a.chat, "Alice")
	bob, bobTok := register(t, a.chat, "Bob")
	send(t, a.chat, bob, "b1", "Alice", "before the restart")
	key := testauthn.New(t, rp.Origins[0])
	id, opts, err := a.chat.PasskeyBegin(ctx, alice, rp)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.chat.PasskeyFinish(ctx, alice, rp, id, key.Create(t, opts)); err != nil {
		t.Fatalf("adding the passkey: %v", err)
	}
	if err := a.chat.LeaveEverywhere(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if live(a.chat, aliceTok) {
		t.Fatal("Alice's token works after signing out everywhere")
	}

	n := restart(t, dir, srv, nc, a)
	if _, _, _, err := n.chat.Register(ctx, "alice", ""); !keptRefusal(err) {
		t.Fatalf("registering Alice after the restart: %v, want the kept-with-a-passkey refusal", err)
	}
	onBob := openStream(t, n.chat, bobTok)
	back, backTok := signInWithPasskey(t, n.chat, key, "Alice")
	if back.Name().Display != "Alice" || back.Reg() != alice.Reg() || backTok == aliceTok {
		t.Fatalf("signed in as %s (registration %v, new token %v), want Alice's registration %v with a new token",
			back.Name().Display, back.Reg(), backTok != aliceTok, alice.Reg())
	}
	if count, err := n.chat.HasPasskey(ctx, back); err != nil || count != 1 {
		t.Fatalf("Alice's passkeys after the restart: %d, %v; want 1", count, err)
	}
	if got := texts(n.chat.History(back, 10)); !slices.Contains(got, "before the restart") {
		t.Fatalf("Alice's history after the restart and the sign-in: %q, want Bob's direct message", got)
	}
	e := nextNot(t, onBob, protocol.TypeHello)
	if e.Type() != protocol.TypeJoin || e.Event().From != "Alice" {
		t.Fatalf("Bob's stream got %+v, want Alice's join", e.Event())
	}
}
