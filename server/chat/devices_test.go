package chat

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/clock"
)

func deviceCode(t *testing.T, c *Chat, s *Session) string {
	t.Helper()
	code, _, err := c.DeviceCode(context.Background(), s)
	if err != nil {
		t.Fatalf("DeviceCode: %v", err)
	}
	return code
}

func link(t *testing.T, c *Chat, code, addr string) *Session {
	t.Helper()
	s, _, _, err := c.Link(context.Background(), code, addr)
	if err != nil {
		t.Fatalf("Link(%q): %v", code, err)
	}
	return s
}

func wantNoCode(t *testing.T, err error) {
	t.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeNotFound {
		t.Fatalf("got %v, want not_found", err)
	}
}

// Codes are 8 symbols of Crockford's base 32, grouped 4-4, and read back
// however they are typed: any case, O for 0, I and L for 1, spaces or no
// dash.
func TestCodeKey(t *testing.T) {
	code, k := newCode()
	if len(code) != 9 || code[4] != '-' {
		t.Fatalf("code %q, want XXXX-XXXX", code)
	}
	if again, ok := codeKey(code); !ok || again != k {
		t.Fatalf("codeKey(%q) does not give the code's own key", code)
	}
	a, _ := codeKey("AB01-0XYZ")
	for _, typed := range []string{"ab01-0xyz", "AB0I-OXYZ", "abol oxyz", "AB010XYZ", "AB0L-0XYZ"} {
		if b, ok := codeKey(typed); !ok || b != a {
			t.Errorf("codeKey(%q) is not AB01-0XYZ's", typed)
		}
	}
	for _, bad := range []string{"", "AB01-0XY", "AB01-0XYZ1", "AB01-0XYU", "AB01-0XY!", "ÄB01-0XYZ"} {
		if _, ok := codeKey(bad); ok {
			t.Errorf("codeKey(%q) took it for a code", bad)
		}
	}
}

// Of eight devices racing to use one code, one is signed in; the others
// are refused not_found, store nothing and give their address's places
// back.
func TestLinkRacersOneWinner(t *testing.T) {
	c := newTestChat(t, Config{AddrSessions: 3})
	alice := register(t, c, "Alice")
	code := deviceCode(t, c, alice)
	var (
		mu  sync.Mutex
		won []*Session
		wg  sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			s, _, _, err := c.Link(context.Background(), code, "192.0.2.1")
			if err != nil {
				wantNoCode(t, err)
				return
			}
			mu.Lock()
			won = append(won, s)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("%d of 8 racers signed in with one code, want 1", len(won))
	}
	if won[0].Reg() != alice.Reg() || won[0].Name().Display != "Alice" {
		t.Fatalf("the winner is %v of registration %v, want Alice's", won[0].Name(), won[0].Reg())
	}
	if got := len(c.store.OfReg(alice.Reg())); got != 2 {
		t.Fatalf("Alice has %d sessions, want 2: the losers stored nothing", got)
	}
	// The address holds one place (the winner's) of its 3.
	link(t, c, deviceCode(t, c, alice), "192.0.2.1")
	link(t, c, deviceCode(t, c, alice), "192.0.2.1")
}

// A device's grace runs out on its own: the name stays with the person's
// other device, whose stream goes on; once the last device goes, the name
// is free.
func TestGraceKeepsTheNameForAnotherDevice(t *testing.T) {
	fake := clock.NewFake(time.Now())
	c := newTestChat(t, Config{Clock: fake, Grace: 10 * time.Second})
	laptop := register(t, c, "Alice")
	phone := link(t, c, deviceCode(t, c, laptop), "")
	st := open(t, c, phone, Position{})
	graceRunsOut(t, fake, laptop)
	if h, ok := c.registry.Lookup("alice"); !ok || h.Reg != laptop.Reg() {
		t.Fatal("the laptop's grace freed the name while the phone is signed in")
	}
	if !phone.Live() || st.Reason() != Open {
		t.Fatal("the laptop's grace ended the phone's session or stream")
	}
	st.Close()
	graceRunsOut(t, fake, phone)
	if _, ok := c.registry.Lookup("alice"); ok {
		t.Fatal("the name is still held after the last device's grace")
	}
}

// A code outlives nobody: once its person has left everywhere (or their
// only device left), using it is not_found and stores no session.
func TestLinkAfterThePersonLeft(t *testing.T) {
	c := newTestChat(t, Config{})
	alice := register(t, c, "Alice")
	code := deviceCode(t, c, alice)
	if err := c.Leave(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := c.Link(context.Background(), code, "")
	wantNoCode(t, err)
	if got := c.store.OfReg(alice.Reg()); len(got) != 0 {
		t.Fatalf("a refused link left %d sessions", len(got))
	}
	if _, _, err := c.DeviceCode(context.Background(), alice); err == nil {
		t.Fatal("a session that left made a device code")
	}
}

// Signing out everywhere ends every device's session and stream, and
// frees the name once.
func TestLeaveEverywhereEndsEveryDevice(t *testing.T) {
	c := newTestChat(t, Config{})
	laptop := register(t, c, "Alice")
	phone := link(t, c, deviceCode(t, c, laptop), "")
	bob := register(t, c, "Bob")
	watch := open(t, c, bob, Position{Resume: true, Since: c.Head()})
	streams := []*Stream{open(t, c, laptop, Position{}), open(t, c, phone, Position{})}
	if err := c.LeaveEverywhere(context.Background(), phone); err != nil {
		t.Fatal(err)
	}
	for i, s := range []*Session{laptop, phone} {
		if s.Live() || streams[i].Reason() != Released {
			t.Errorf("device %d: live %v, stream %v; want ended, released", i, s.Live(), streams[i].Reason())
		}
	}
	if _, ok := c.registry.Lookup("alice"); ok || c.store.Has(laptop.Reg()) {
		t.Fatal("the name or a session outlived signing out everywhere")
	}
	leaves := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		e, err := watch.Next(ctx)
		cancel()
		if err != nil {
			break
		}
		if e.Type() == protocol.TypeLeave {
			leaves++
		}
	}
	if leaves != 1 {
		t.Fatalf("Bob was told of %d leaves, want 1", leaves)
	}
}
