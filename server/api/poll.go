package api

import (
	"net/http"

	"hark/app/protocol"
	"hark/server/chat"
	"hark/server/deliver"
)

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
	out := &pollSink{
		w:         w,
		deadline:  deliver.NewWriteDeadline(w, r, s.cfg.WriteTimeout),
		wantHello: q.Get("since") == "" || q.Get("hello") == "1",
		events:    make([]*chat.Entry, 0, 8),
	}
	if err := deliver.Pump(r.Context(), st, out, s.cfg.PollWait); err == deliver.ErrStop {
		return
	}
	if r.Context().Err() == nil {
		out.answer() // the stream ended: what was taken, maybe nothing
	}
}

// pollSink gathers a long poll's answer: the first events there are,
// answered at once, or none once the wait is over.
type pollSink struct {
	w         http.ResponseWriter
	deadline  *deliver.WriteDeadline
	wantHello bool
	hello     *chat.Entry // held back unless wanted or a reset follows
	events    []*chat.Entry
}

func (o *pollSink) Write(batch []*chat.Entry) error {
	for _, e := range batch {
		switch {
		case e.Type() == protocol.TypeHello && !o.wantHello:
			o.hello = e
			continue
		case e.Type() == protocol.TypeReset && o.hello != nil:
			// A reset leaves the client without a position: the hello
			// before it gives the new epoch and head to poll from.
			o.events = append(o.events, o.hello)
			o.hello = nil
		}
		o.events = append(o.events, e)
	}
	return nil
}

// Flush answers as soon as there is something to answer with: at most
// deliver.MaxBatch events (a step's batch), and the client asks again from the last
// seq for the rest.
func (o *pollSink) Flush() error {
	if len(o.events) == 0 {
		return nil // only a hello the client did not ask for
	}
	o.answer()
	return deliver.ErrStop
}

// Idle answers with nothing once the poll wait is over.
func (o *pollSink) Idle(tick bool) error {
	if !tick {
		return nil
	}
	o.answer()
	return deliver.ErrStop
}

// Ended needs nothing: handlePoll answers with what was taken.
func (o *pollSink) Ended(chat.CloseReason) {}

func (o *pollSink) answer() {
	o.deadline.Arm()
	writeEvents(o.w, o.events)
}
