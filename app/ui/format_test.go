package ui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"hark/app/client"
	"hark/app/protocol"
)

func TestClock(t *testing.T) {
	zone := time.FixedZone("X", 2*3600)
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, zone)
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 3, 10, 9, 5, 0, 0, zone), "09:05"},
		// A UTC time is shown in now's zone: 23:30 UTC is 01:30 the next day.
		{time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC), "01:30"},
		{time.Date(2026, 3, 9, 21, 59, 0, 0, time.UTC), "9 Mar 23:59"},
		{time.Date(2025, 12, 31, 8, 0, 0, 0, zone), "31 Dec 2025 08:00"},
	}
	for _, tt := range tests {
		if got := Clock(tt.t, now); got != tt.want {
			t.Errorf("Clock(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestConnLabel(t *testing.T) {
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		st   client.State
		want string
	}{
		{client.State{Conn: client.Connected, Active: client.WebSocket}, "Connected"},
		{client.State{Conn: client.Connecting}, "Connecting…"},
		// The countdown is RetryLabel's: the state's label holds still.
		{client.State{Conn: client.Reconnecting, RetryAt: now.Add(2100 * time.Millisecond)}, "Reconnecting"},
		{client.State{Conn: client.Offline, RetryAt: now.Add(10 * time.Second)}, "Offline"},
		{client.State{Conn: client.Offline}, "Offline"},
		{client.State{Conn: client.Stopped}, "Disconnected"},
	}
	for _, tt := range tests {
		if got := ConnLabel(tt.st); got != tt.want {
			t.Errorf("ConnLabel(%s) = %q, want %q", tt.st.Conn, got, tt.want)
		}
	}
}

// The countdown shows the delay chosen, rounded, then one less each whole
// second after it was chosen, and never 0 before the attempt: each number
// holds between half a second and a second and a half.
func TestCountdown(t *testing.T) {
	from := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		delay, elapsed time.Duration
		secs           int
		holds          time.Duration
	}{
		{ms(4550), 0, 5, time.Second},
		{ms(4550), ms(999), 5, ms(1)},
		{ms(4550), ms(1000), 4, time.Second},
		{ms(4550), ms(3500), 2, ms(500)},
		{ms(4550), ms(4000), 1, ms(550)},
		// 4.05 s counts 4, 3, 2, 1: the 1 holds for the last 1.05 s.
		{ms(4050), 0, 4, time.Second},
		{ms(4050), ms(3000), 1, ms(1050)},
		{ms(4050), ms(4049), 1, ms(1)},
		// Due: the attempt is under way.
		{ms(4050), ms(4050), 0, 0},
		{ms(4050), ms(9000), 0, 0},
		// Too short to count: no number at all, until it is due.
		{ms(400), 0, 0, ms(400)},
		{ms(600), 0, 1, ms(600)},
		{ms(10000), ms(250), 10, ms(750)},
		// A clock read before from (a late first look) counts from from.
		{ms(3000), -ms(100), 3, time.Second},
	}
	for _, tt := range tests {
		secs, holds := Countdown(from, from.Add(tt.delay), from.Add(tt.elapsed))
		if secs != tt.secs || holds != tt.holds {
			t.Errorf("Countdown(delay %v, %v after) = %d, %v; want %d, %v", tt.delay, tt.elapsed, secs, holds, tt.secs, tt.holds)
		}
	}
}

func TestRetryLabel(t *testing.T) {
	from := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		st   client.State
		now  time.Time
		want string
	}{
		{client.State{Conn: client.Offline, RetryAt: from.Add(7 * time.Second)}, from, "retry in 7s"},
		{client.State{Conn: client.Offline, RetryAt: from.Add(7 * time.Second)}, from.Add(2500 * time.Millisecond), "retry in 5s"},
		{client.State{Conn: client.Reconnecting, RetryAt: from.Add(7 * time.Second)}, from.Add(7 * time.Second), "retrying…"},
		{client.State{Conn: client.Offline, RetryAt: from.Add(200 * time.Millisecond)}, from, "retrying…"},
		// Not waiting: nothing to count.
		{client.State{Conn: client.Connected}, from, ""},
		{client.State{Conn: client.Offline}, from, ""},
		{client.State{Conn: client.Connecting, RetryAt: from.Add(time.Second)}, from, ""},
	}
	for _, tt := range tests {
		if got := RetryLabel(tt.st, from, tt.now); got != tt.want {
			t.Errorf("RetryLabel(%s, retry %v, now +%v) = %q, want %q", tt.st.Conn, tt.st.RetryAt.Sub(from), tt.now.Sub(from), got, tt.want)
		}
	}
}

func TestTransportLabel(t *testing.T) {
	want := map[client.Transport]string{
		client.Auto: "Auto", client.WebSocket: "WebSocket", client.SSE: "Server-Sent Events",
		client.Poll: "Long polling", "": "none",
	}
	for tr, w := range want {
		if got := TransportLabel(tr); got != w {
			t.Errorf("TransportLabel(%q) = %q, want %q", tr, got, w)
		}
	}
}

func TestRecipients(t *testing.T) {
	tests := []struct {
		people []string
		me, to string
		want   []string
	}{
		{nil, "Alice", "", []string{""}},
		{[]string{"Alice", "Bob", "Carol"}, "Alice", "", []string{"", "Bob", "Carol"}},
		{[]string{"Alice", "Bob"}, "Alice", "Bob", []string{"", "Bob"}},
		// Above the presence threshold there is no roster: the chosen
		// recipient is still offered.
		{nil, "Alice", "Zoe", []string{"", "Zoe"}},
		// Someone who left stays selected until changed.
		{[]string{"Alice"}, "Alice", "Bob", []string{"", "Bob"}},
	}
	for _, tt := range tests {
		if got := recipients(tt.people, tt.me, tt.to); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("recipients(%q, %q, %q) = %q, want %q", tt.people, tt.me, tt.to, got, tt.want)
		}
	}
}

func TestCounter(t *testing.T) {
	max := protocol.MaxTextBytes
	tests := []struct {
		text string
		want string
		over bool
	}{
		{"hello", "", false},
		{strings.Repeat("x", max*3/4-1), "", false},
		{strings.Repeat("x", max*3/4), "1,024 characters left", false},
		{strings.Repeat("x", max), "0 characters left", false},
		{strings.Repeat("x", max+4), "4 characters too many", true},
		{strings.Repeat("x", max+1), "1 character too many", true},
		{strings.Repeat("x", max-1), "1 character left", false},
		// "é" is two bytes: characters and bytes differ, so both are shown.
		{strings.Repeat("é", 1600), "1,600 characters, 3,200 of 4,096 bytes", false},
		{strings.Repeat("é", 2049), "2,049 characters, 4,098 of 4,096 bytes", true},
		// An emoji is four bytes: 1,025 of them are over, at 1,025 characters.
		{strings.Repeat("😀", 1025), "1,025 characters, 4,100 of 4,096 bytes", true},
	}
	for _, tt := range tests {
		got, over := Counter(tt.text)
		if got != tt.want || over != tt.over {
			t.Errorf("Counter(%d bytes) = %q, %v; want %q, %v", len(tt.text), got, over, tt.want, tt.over)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 4096: "4,096", 1234567: "1,234,567", -4096: "-4,096"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDayLabel(t *testing.T) {
	zone := time.FixedZone("X", 2*3600)
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, zone)
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 3, 10, 0, 5, 0, 0, zone), "Today"},
		// 22:30 UTC on the 9th is 00:30 on the 10th in now's zone.
		{time.Date(2026, 3, 9, 22, 30, 0, 0, time.UTC), "Today"},
		{time.Date(2026, 3, 9, 23, 59, 0, 0, zone), "Yesterday"},
		{time.Date(2026, 3, 2, 12, 0, 0, 0, zone), "Monday 2 March"},
		{time.Date(2025, 12, 31, 8, 0, 0, 0, zone), "Wednesday 31 December 2025"},
	} {
		if got := DayLabel(tt.t, now); got != tt.want {
			t.Errorf("DayLabel(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

// A message continues the group of the one before when both are messages
// from one sender to the same people, on one day, at most five minutes
// apart; a day starts with the first event of another day.
func TestGroupsAndDays(t *testing.T) {
	zone := time.FixedZone("X", 2*3600)
	ev := func(typ, from, to, at string) *protocol.Event {
		tm, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		return &protocol.Event{Type: typ, From: from, To: to, Time: protocol.NewTime(tm)}
	}
	m := protocol.TypeMessage
	base := ev(m, "Bob", "", "2026-03-10T09:00:00Z")
	for _, tt := range []struct {
		name      string
		prev, ev  *protocol.Event
		cont, day bool
	}{
		{"first of all", nil, base, false, true},
		{"same sender a minute on", base, ev(m, "Bob", "", "2026-03-10T09:01:00Z"), true, false},
		{"five minutes on", base, ev(m, "Bob", "", "2026-03-10T09:05:00Z"), true, false},
		{"six minutes on", base, ev(m, "Bob", "", "2026-03-10T09:06:00Z"), false, false},
		{"another sender", base, ev(m, "Carol", "", "2026-03-10T09:01:00Z"), false, false},
		{"to someone else", base, ev(m, "Bob", "Alice", "2026-03-10T09:01:00Z"), false, false},
		{"after a join", ev(protocol.TypeJoin, "Bob", "", "2026-03-10T09:00:00Z"), ev(m, "Bob", "", "2026-03-10T09:01:00Z"), false, false},
		{"a minute on, past midnight in the zone", ev(m, "Bob", "", "2026-03-10T21:59:30Z"), ev(m, "Bob", "", "2026-03-10T22:00:30Z"), false, true},
		{"unsent (no time)", base, &protocol.Event{Type: m, From: "Bob"}, false, false},
	} {
		if got := Continues(tt.prev, tt.ev, zone); got != tt.cont {
			t.Errorf("%s: Continues = %v, want %v", tt.name, got, tt.cont)
		}
		if got := NewDay(tt.prev, tt.ev, zone); got != tt.day {
			t.Errorf("%s: NewDay = %v, want %v", tt.name, got, tt.day)
		}
	}
}
