package ui

import (
	"math"
	"strconv"
	"time"

	"hark/app/client"
)

// Clock formats a message time for the list: the time of day for today,
// with the day for older ones, and the year when it is not this year. Both
// times are shown in now's location (the browser's zone under WebAssembly).
func Clock(t, now time.Time) string {
	t = t.In(now.Location())
	switch {
	case sameDay(t, now):
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("2 Jan 15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// ConnLabel says what the connection is doing, for the status bar. While
// reconnecting it counts down to the next attempt in whole seconds, rounded
// up, so it never shows "in 0s" before the attempt is due.
func ConnLabel(st client.State, now time.Time) string {
	switch st.Conn {
	case client.Connected:
		return "Connected"
	case client.Connecting:
		return "Connecting…"
	case client.Reconnecting:
		if in := countdown(st.RetryAt, now); in != "" {
			return "Reconnecting in " + in
		}
		return "Reconnecting…"
	case client.Offline:
		if in := countdown(st.RetryAt, now); in != "" {
			return "Offline, retrying in " + in
		}
		return "Offline"
	case client.Stopped:
		return "Disconnected"
	}
	return string(st.Conn)
}

// countdown is the time left until at in whole seconds, rounded up, or ""
// once it has come.
func countdown(at, now time.Time) string {
	wait := at.Sub(now)
	if wait <= 0 {
		return ""
	}
	return strconv.Itoa(int(math.Ceil(wait.Seconds()))) + "s"
}

// TransportLabel names a transport for people.
func TransportLabel(t client.Transport) string {
	switch t {
	case client.Auto:
		return "Auto"
	case client.WebSocket:
		return "WebSocket"
	case client.SSE:
		return "Server-Sent Events"
	case client.Poll:
		return "Long polling"
	case "":
		return "none"
	}
	return string(t)
}

// transports are the picker's choices, in its order.
var transports = []client.Transport{client.Auto, client.WebSocket, client.SSE, client.Poll}
