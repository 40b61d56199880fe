package storetest

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hark/server/chat"
)

// A device code put on one node is taken on another, once, whole; an
// unknown code, a used one and one past its TTL are not there; of many takers of
// one code racing on two nodes exactly one gets it.
func deviceCodes(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	key := func(s string) chat.CodeKey { return sha256.Sum256([]byte(s)) }
	want := chat.DeviceCode{Name: "Alice", Reg: 7, Expires: time.Now().Add(time.Minute).Truncate(time.Millisecond)}
	if err := a.Devices.Put(ctx(t), key("one"), want, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Devices.Take(ctx(t), key("one"))
	if err != nil || !ok || got.Name != want.Name || got.Reg != want.Reg || !got.Expires.Equal(want.Expires) {
		t.Fatalf("Take on the other node = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	for _, n := range []chat.Store{a, b} {
		if _, ok, err := n.Devices.Take(ctx(t), key("one")); ok || err != nil {
			t.Fatalf("a used code taken again: %v, %v; want not there", ok, err)
		}
	}
	if _, ok, err := a.Devices.Take(ctx(t), key("never")); ok || err != nil {
		t.Fatalf("a code never put: %v, %v; want not there", ok, err)
	}

	if err := a.Devices.Put(ctx(t), key("short"), chat.DeviceCode{Name: "Alice", Reg: 7}, time.Second); err != nil {
		t.Fatal(err)
	}
	// A device signed out everywhere is remembered as such, at once on
	// every node, for its TTL; signing it out again changes nothing.
	out, brief := chat.Digest{1}, chat.Digest{2}
	for _, dg := range []chat.Digest{out, out} {
		if err := a.Devices.SignOut(ctx(t), dg, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Devices.SignOut(ctx(t), brief, time.Second); err != nil {
		t.Fatal(err)
	}
	for dg, want := range map[chat.Digest]bool{out: true, brief: true, {3}: false} {
		if got, err := b.Devices.SignedOut(ctx(t), dg); err != nil || got != want {
			t.Fatalf("SignedOut(%x) on the other node: %v, %v; want %v", dg[:1], got, err, want)
		}
	}
	time.Sleep(1100 * time.Millisecond) // the short TTLs, and a little
	if _, ok, err := b.Devices.Take(ctx(t), key("short")); ok || err != nil {
		t.Fatalf("a code past its TTL: %v, %v; want not there", ok, err)
	}
	if got, err := b.Devices.SignedOut(ctx(t), brief); err != nil || got {
		t.Fatalf("a sign-out past its TTL: %v, %v; want forgotten", got, err)
	}
	if got, err := b.Devices.SignedOut(ctx(t), out); err != nil || !got {
		t.Fatalf("a sign-out within its TTL: %v, %v; want remembered", got, err)
	}

	for round := range 3 {
		k := key(fmt.Sprint("race", round))
		if err := a.Devices.Put(ctx(t), k, chat.DeviceCode{Name: "Alice", Reg: 7}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if w := takers(t, a, b, func(n chat.Store) (bool, error) {
			_, ok, err := n.Devices.Take(ctx(t), k)
			return ok, err
		}); w != 1 {
			t.Fatalf("round %d: %d of 8 racing takers on two nodes got the code, want exactly 1", round, w)
		}
	}
}

// takers races 8 calls of take, half on node a and half on b, and
// returns how many got what they took.
func takers(t *testing.T, a, b chat.Store, take func(chat.Store) (bool, error)) int32 {
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		n := []chat.Store{a, b}[i%2]
		wg.Go(func() {
			ok, err := take(n)
			if err != nil {
				t.Errorf("take: %v", err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	return won.Load()
}

// The sessions of one registration (one per device of its person) are
// listed together on every node once it is current, and a name's holder
// is read from the store itself: at once on another node, before and
// after a release.
func devicesOfAPerson(t *testing.T, fresh Fresh) {
	d := fresh(t, chat.Limits{})
	a, b := d(t), d(t)
	laptop, phone, other := chat.Digest{1}, chat.Digest{2}, chat.Digest{3}
	for dg, reg := range map[chat.Digest]chat.RegID{laptop: 7, phone: 7, other: 8} {
		if err := a.Sessions.Create(ctx(t), dg, chat.SessionRecord{Name: "Alice", Reg: reg, Seen: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []chat.Store{a, b} {
		if err := n.Sessions.Current(ctx(t)); err != nil {
			t.Fatal(err)
		}
		got := n.Sessions.OfReg(7)
		slices.SortFunc(got, func(x, y chat.Digest) int { return int(x[0]) - int(y[0]) })
		if !slices.Equal(got, []chat.Digest{laptop, phone}) {
			t.Fatalf("OfReg(7) = %v, want the laptop's and the phone's sessions", got)
		}
	}
	if _, err := a.Sessions.Delete(ctx(t), phone); err != nil {
		t.Fatal(err)
	}
	if err := b.Sessions.Current(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := b.Sessions.OfReg(7); !slices.Equal(got, []chat.Digest{laptop}) {
		t.Fatalf("OfReg(7) after the phone's delete = %v, want the laptop's alone", got)
	}

	if err := a.Names.Claim(ctx(t), "alice", chat.Holder{Display: "Alice", Reg: 7}); err != nil {
		t.Fatal(err)
	}
	if held, err := b.Names.Held(ctx(t), "alice", 7); err != nil || !held {
		t.Fatalf("Held by the claimer, at once on the other node: %v, %v; want true", held, err)
	}
	if held, err := b.Names.Held(ctx(t), "alice", 8); err != nil || held {
		t.Fatalf("Held by another registration: %v, %v; want false", held, err)
	}
	if _, err := a.Names.Release(ctx(t), "alice", 7); err != nil {
		t.Fatal(err)
	}
	if held, err := b.Names.Held(ctx(t), "alice", 7); err != nil || held {
		t.Fatalf("Held after the release, at once on the other node: %v, %v; want false", held, err)
	}
}
