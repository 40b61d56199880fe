package deliver

import (
	"net/http"
	"time"
)

// WriteDeadline bounds writes to an HTTP response so a client that stops
// reading cannot hold a connection forever. It renews the deadline only
// when half of the timeout has passed since it was set rather than before
// every flush (setting one takes the poller's locks, a tenth of a stream's
// CPU per event), so every write has between half and all of the timeout.
//
// Over HTTP/2 a deadline is a timer that resets the stream when it fires,
// even while nothing is being written, so there it is cleared whenever the
// stream goes idle; over HTTP/1 an expired deadline harms nothing until the
// next write, which renews it first.
type WriteDeadline struct {
	set     func(time.Time) error
	timeout time.Duration
	clear   bool      // clear the deadline when idle (HTTP/2)
	at      time.Time // the deadline set; zero when none
}

// NewWriteDeadline bounds the writes of w, the response to r, by timeout.
func NewWriteDeadline(w http.ResponseWriter, r *http.Request, timeout time.Duration) *WriteDeadline {
	return &WriteDeadline{set: http.NewResponseController(w).SetWriteDeadline, timeout: timeout, clear: r.ProtoMajor >= 2}
}

// due reports whether the deadline must be renewed before writing, and if
// so moves at to now plus the timeout.
func (d *WriteDeadline) due(now time.Time) bool {
	if !d.at.IsZero() && d.at.Sub(now) >= d.timeout/2 {
		return false
	}
	d.at = now.Add(d.timeout)
	return true
}

// Arm makes sure a deadline covers the write about to happen.
func (d *WriteDeadline) Arm() {
	if d.due(time.Now()) {
		d.set(d.at)
	}
}

// Idle drops the deadline where a pending one would end an idle stream.
func (d *WriteDeadline) Idle() {
	if d.clear && !d.at.IsZero() {
		d.set(time.Time{})
		d.at = time.Time{}
	}
}
