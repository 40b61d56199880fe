package natsstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/testkit"
	"hark/server/chat"
)

// Alice's code, made on one node, signs her phone in on another (each
// node on a server of its own); her two devices, one per node, both get
// Bob's direct message; of ten devices racing on both nodes for another
// code, one is signed in; and signing out everywhere from the phone's node
// ends the laptop's stream and token on the other and frees her name.
func TestDevicesAcrossNodes(t *testing.T) {
	t.Parallel() // its own servers; waits more than it works
	servers := cluster(t, 3)
	nodes := nodePerServer(t, servers)
	a, b := nodes[0].chat, nodes[1].chat
	ctx := context.Background()
	laptop, laptopTok := register(t, a, "Alice")
	code, _, err := a.DeviceCode(ctx, laptop)
	if err != nil {
		t.Fatal(err)
	}
	phone, phoneTok, _, err := b.Link(ctx, code, "")
	if err != nil {
		t.Fatalf("a code made on one node, used on another: %v", err)
	}
	if phone.Reg() != laptop.Reg() {
		t.Fatal("the phone is not Alice's registration")
	}
	if _, _, _, err := a.Link(ctx, code, ""); !isNoCode(err) {
		t.Fatalf("the code used again on its own node: %v, want not_found", err)
	}

	bob, _ := register(t, a, "Bob")
	onLaptop := openStream(t, a, laptopTok)
	onPhone := openStream(t, b, phoneTok)
	send(t, a, bob, "b1", "Alice", "on both?")
	for name, st := range map[string]*chat.Stream{"laptop": onLaptop, "phone": onPhone} {
		e := nextNot(t, st, protocol.TypeHello)
		for e.Type() == protocol.TypeJoin { // Bob's, on a node whose copy was behind
			e = next(t, st)
		}
		if e.Event().ID != "b1" {
			t.Fatalf("Alice's %s got %+v, want Bob's message", name, e.Event())
		}
	}

	race, _, err := b.DeviceCode(ctx, phone)
	if err != nil {
		t.Fatal(err)
	}
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		c := []*chat.Chat{a, b}[i%2]
		wg.Go(func() {
			_, _, _, err := c.Link(ctx, race, "")
			switch {
			case err == nil:
				won.Add(1)
			case !isNoCode(err):
				t.Errorf("a racer: %v, want not_found", err)
			}
		})
	}
	wg.Wait()
	if w := won.Load(); w != 1 {
		t.Fatalf("%d of 10 racers on two nodes signed in with one code, want 1", w)
	}

	if err := b.LeaveEverywhere(ctx, phone); err != nil {
		t.Fatal(err)
	}
	testkit.Within(t, 10*time.Second, "the laptop's stream, on the other node, to end", func() bool {
		return onLaptop.Reason() == chat.Released
	})
	if live(a, laptopTok) || live(b, phoneTok) {
		t.Fatal("a token works after signing out everywhere")
	}
	if _, _, _, err := a.Register(ctx, "alice", ""); err != nil {
		t.Fatalf("the name after signing out everywhere: %v", err)
	}
}

func isNoCode(err error) bool {
	var pe *protocol.Error
	return errors.As(err, &pe) && pe.Code == protocol.CodeNotFound
}
