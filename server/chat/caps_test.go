package chat

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/internal/clock"
)

// History and the user list answer at most 500 however many are asked
// for, and the list gives 100 when no limit is asked.
func TestListsAreCapped(t *testing.T) {
	c := newTestChat(t, Config{Rate: 1e6, Burst: 1e6})
	var first *Session
	for i := range protocol.MaxUsers + 1 {
		s := register(t, c, fmt.Sprintf("user%03d", i))
		if first == nil {
			first = s
		}
	}
	for i := range protocol.MaxHistory + 1 {
		send(t, c, first, fmt.Sprint("m", i), "", fmt.Sprint(i))
	}
	online, names := c.Users("", 100000)
	if online != protocol.MaxUsers+1 || len(names) != protocol.MaxUsers {
		t.Errorf("Users(limit 100000): %d online, %d names; want %d and %d", online, len(names), protocol.MaxUsers+1, protocol.MaxUsers)
	}
	if _, names := c.Users("", 0); len(names) != protocol.DefaultUsers {
		t.Errorf("Users(no limit): %d names, want %d", len(names), protocol.DefaultUsers)
	}
	h := c.History(first, 100000)
	if len(h) != protocol.MaxHistory || h[len(h)-1].Event().Text != fmt.Sprint(protocol.MaxHistory) {
		t.Errorf("History(limit 100000): %d events, want the last %d", len(h), protocol.MaxHistory)
	}
}

// A read the address's budget refuses gives the session's back: a session
// behind a busy address does not spend its own budget on refusals.
func TestReadRefusedByTheAddressCostsTheSessionNothing(t *testing.T) {
	fake := clock.NewFake(time.Unix(1e9, 0))
	now := fake.Now()
	c := newTestChat(t, Config{ReadRate: 0.001, ReadBurst: 2, AddrReadRate: 0.001, AddrReadBurst: 1, Clock: fake})
	s, _, _, err := c.Register(context.Background(), "Alice", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Read(s); err != nil {
		t.Fatalf("the first read: %v", err)
	}
	if err := c.Read(s); err == nil || !strings.Contains(err.Error(), "from your address") {
		t.Fatalf("the second read: %v, want the address's refusal", err)
	}
	if left := s.reads.TokensAt(now); left < 0.99 {
		t.Errorf("the session has %.2f reads left after the address refused one, want 1", left)
	}
}
