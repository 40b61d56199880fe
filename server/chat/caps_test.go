package chat

import (
	"fmt"
	"testing"

	"hark/app/protocol"
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
