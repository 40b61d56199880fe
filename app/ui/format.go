package ui

import (
	"strconv"
	"time"
	"unicode/utf8"

	"hark/app/client"
	"hark/app/protocol"
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

// DayLabel names the day of t for the line that starts it in a
// conversation: Today, Yesterday, the weekday and date, and the year when
// it is not this year; in now's location.
func DayLabel(t, now time.Time) string {
	t = t.In(now.Location())
	switch {
	case sameDay(t, now):
		return "Today"
	case sameDay(t, now.AddDate(0, 0, -1)):
		return "Yesterday"
	case t.Year() == now.Year():
		return t.Format("Monday 2 January")
	}
	return t.Format("Monday 2 January 2006")
}

// groupGap is the longest pause within a group: a message from the same
// sender, to the same people, this soon after the one before (and on the
// same day) goes under that one's name and time.
const groupGap = 5 * time.Minute

// Continues reports whether ev goes in prev's group: both messages, from
// the same sender to the same people, with times, on the same day in
// loc, ev no more than groupGap after prev.
func Continues(prev, ev *protocol.Event, loc *time.Location) bool {
	if prev == nil || prev.Type != protocol.TypeMessage || ev.Type != protocol.TypeMessage {
		return false
	}
	if prev.From != ev.From || prev.To != ev.To || prev.Time == nil || ev.Time == nil {
		return false
	}
	gap := ev.Time.Sub(prev.Time.Time)
	return gap >= 0 && gap <= groupGap && sameDay(prev.Time.In(loc), ev.Time.In(loc))
}

// NewDay reports whether ev starts a day in loc: it has a time, and the
// event before it (nil: none) is of another day or has none.
func NewDay(prev, ev *protocol.Event, loc *time.Location) bool {
	if ev.Time == nil || ev.Time.IsZero() {
		return false
	}
	return prev == nil || prev.Time == nil || prev.Time.IsZero() || !sameDay(prev.Time.In(loc), ev.Time.In(loc))
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// ConnLabel names the connection's state, for the status indicator. It
// holds still while the state does: the countdown to the next attempt is
// RetryLabel's, beside it, so the label (a live region) is announced once
// per change, not every second.
func ConnLabel(st client.State) string {
	switch st.Conn {
	case client.Connected:
		return "Connected"
	case client.Connecting:
		return "Connecting…"
	case client.Reconnecting:
		return "Reconnecting"
	case client.Offline:
		return "Offline"
	case client.Stopped:
		return "Disconnected"
	}
	return string(st.Conn)
}

// Waiting reports whether the client is between attempts (or in one):
// reconnecting or offline, with a next attempt set.
func Waiting(st client.State) bool {
	return (st.Conn == client.Reconnecting || st.Conn == client.Offline) && !st.RetryAt.IsZero()
}

// Countdown counts down to a retry at at, chosen at from, as whole seconds
// shown at now: the delay the client chose, rounded to the nearest second,
// then one less each second after from, never below 1 until the attempt.
// So every number stays on screen between half a second and a second and a
// half, whatever the jitter. It returns 0 once the attempt is due, and
// for a delay under half a second (too short to count); and how long the
// number holds from now (0 when it will not change by itself).
func Countdown(from, at, now time.Time) (secs int, holds time.Duration) {
	left := at.Sub(now)
	total := int(at.Sub(from).Round(time.Second) / time.Second)
	if left <= 0 || total < 1 {
		return 0, max(left, 0)
	}
	elapsed := max(now.Sub(from), 0)
	ticks := int(elapsed / time.Second)
	secs = total - ticks
	if secs <= 1 {
		return 1, left
	}
	return secs, min(time.Duration(ticks+1)*time.Second-elapsed, left)
}

// retryIn starts RetryLabel's countdown.
const retryIn = "retry in "

// RetryLabel is the countdown beside ConnLabel while waiting: "retry in
// 5s", or "retrying…" once the attempt is due or when the wait is too
// short to count. It is "" when the client is not waiting.
func RetryLabel(st client.State, from, now time.Time) string {
	if !Waiting(st) {
		return ""
	}
	secs, _ := Countdown(from, st.RetryAt, now)
	if secs == 0 {
		return "retrying…"
	}
	return retryIn + strconv.Itoa(secs) + "s"
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

// countFrom is how many bytes a message must have for the composer to show
// its length: near the limit, not on every short line.
const countFrom = protocol.MaxTextBytes * 3 / 4

// Counter is the composer's length counter, "" until text nears the limit.
// The server's rule is bytes (protocol.MaxTextBytes of UTF-8); people count
// characters. Where the two agree (plain ASCII) it counts characters left;
// where they differ it shows both, since a character may take up to four
// bytes. over says the text is too long to send (the stylesheet marks it,
// and the labels read on after "Too long to send: ").
func Counter(text string) (label string, over bool) {
	n := len(text)
	if n < countFrom {
		return "", false
	}
	over = n > protocol.MaxTextBytes
	chars := utf8.RuneCountInString(text)
	if chars == n {
		if over {
			return characters(n-protocol.MaxTextBytes) + " too many", true
		}
		return characters(protocol.MaxTextBytes-n) + " left", false
	}
	return characters(chars) + ", " + thousands(n) + " of " + thousands(protocol.MaxTextBytes) + " bytes", over
}

// characters counts characters in words: "1 character", "1,024 characters".
func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return thousands(n) + " characters"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
