package api

import (
	"net/http"
	"time"

	"hark/app/protocol"
	"hark/server/chat"
)

// maxPollEvents bounds one poll's answer; the client asks again from the
// last seq for the rest.
const maxPollEvents = 1000

// handlePoll answers GET /api/poll?since=N&epoch=E with the visible events
// after N as soon as there are any, else with none after the poll wait. A
// poll without since (or with hello=1) starts with hello, and so does one
// answered with a reset.
func (s *Server) handlePoll(w http.ResponseWriter, r *http.Request) {
	st, done, ok := s.openStream(w, r, "poll", false)
	if !ok {
		return
	}
	defer done()
	q := r.URL.Query()
	wantHello := q.Get("since") == "" || q.Get("hello") == "1"

	events := make([]*chat.Entry, 0, 8)
	var hello *chat.Entry
	take := func(e *chat.Entry) {
		switch {
		case e.Event.Type == protocol.TypeHello && !wantHello:
			hello = e
			return
		case e.Event.Type == protocol.TypeReset && hello != nil:
			// A reset leaves the client without a position: the hello
			// before it gives the new epoch and head to poll from.
			events = append(events, hello)
			hello = nil
		}
		events = append(events, e)
	}
	drain := func() {
		for len(events) < maxPollEvents {
			e, ok := st.TryNext()
			if !ok {
				return
			}
			take(e)
		}
	}
	drain()
	timer := time.NewTimer(s.cfg.PollWait)
	defer timer.Stop()
wait:
	for len(events) == 0 {
		select {
		case e := <-st.Queue():
			if st.Accept(e) {
				take(e)
			}
			drain()
		case <-timer.C:
			break wait
		case <-st.Ended():
			break wait
		case <-r.Context().Done():
			return
		}
	}
	writeEvents(w, events)
}
