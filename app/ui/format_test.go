package ui

import (
	"reflect"
	"testing"
	"time"

	"hark/app/client"
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
		{client.State{Conn: client.Connected}, "Connected"},
		{client.State{Conn: client.Connecting}, "Connecting…"},
		{client.State{Conn: client.Reconnecting, RetryAt: now.Add(2100 * time.Millisecond)}, "Reconnecting in 3s"},
		{client.State{Conn: client.Reconnecting, RetryAt: now.Add(time.Second)}, "Reconnecting in 1s"},
		{client.State{Conn: client.Reconnecting, RetryAt: now.Add(time.Millisecond)}, "Reconnecting in 1s"},
		{client.State{Conn: client.Reconnecting, RetryAt: now}, "Reconnecting…"},
		{client.State{Conn: client.Reconnecting}, "Reconnecting…"},
		{client.State{Conn: client.Offline, RetryAt: now.Add(10 * time.Second)}, "Offline, retrying in 10s"},
		{client.State{Conn: client.Offline}, "Offline"},
		{client.State{Conn: client.Stopped}, "Disconnected"},
	}
	for _, tt := range tests {
		if got := ConnLabel(tt.st, now); got != tt.want {
			t.Errorf("ConnLabel(%s, retry in %v) = %q, want %q", tt.st.Conn, tt.st.RetryAt.Sub(now), got, tt.want)
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
