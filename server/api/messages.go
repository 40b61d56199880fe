package api

import (
	"context"
	"net/http"
	"strconv"

	"hark/app/protocol"
	"hark/server/chat"
)

// handleSend sends a message: POST /api/messages {"id", "to", "text"}.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	body, err := readBody(r)
	var send protocol.Send
	if err == nil {
		send, err = protocol.DecodeSend(body)
	}
	seq, err := s.send(r.Context(), sess, send, err)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.SendResult{ID: send.ID, Seq: seq})
}

// send hands a send to the chat unless decoding it failed with decodeErr,
// and counts the outcome either way: the one path from every transport
// into the log.
func (s *Server) send(ctx context.Context, sess *chat.Session, send protocol.Send, decodeErr error) (uint64, error) {
	var seq uint64
	err := decodeErr
	if err == nil {
		seq, err = s.chat.Send(ctx, sess, send)
	}
	s.metrics.sends.WithLabelValues(outcome(err)).Inc()
	return seq, err
}

// handleAct acts on a message: POST /api/actions {"type", "id",
// "target", ...}, answered as a send is, with the action's seq.
func (s *Server) handleAct(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	body, err := readBody(r)
	var a protocol.Action
	if err == nil {
		a, err = protocol.DecodeAction(body)
	}
	var seq uint64
	if err == nil {
		act := s.chat.Act
		if s.admin(r) {
			act = s.chat.Moderate
		}
		seq, err = act(r.Context(), sess, a)
	}
	s.metrics.actions.WithLabelValues(actionType(a.Type), outcome(err)).Inc()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.SendResult{ID: a.ID, Seq: seq})
}

// outcome labels a request's result for the metrics: ok or the refusal's
// code.
func outcome(err error) string {
	if err != nil {
		return refusal(err).Code
	}
	return "ok"
}

// handleHistory answers GET /api/history?limit=N&before=SEQ&with=NAME
// with the latest messages the session may see below before (all when
// absent), only those between it and NAME when with is set (only those to
// everyone with everyone=1), oldest first, and whether older ones are
// kept ("more").
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	q, err := historyQuery(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.chat.Read(sess); err != nil {
		writeError(w, err)
		return
	}
	page, err := s.chat.Page(sess, q)
	if err != nil {
		writeError(w, err)
		return
	}
	writeEventsMore(w, page.Entries, &page.More)
}

// historyQuery reads GET /api/history's parameters.
func historyQuery(r *http.Request) (chat.HistoryQuery, error) {
	var q chat.HistoryQuery
	var err error
	if q.Limit, err = queryInt(r, "limit", 50, protocol.MaxHistory); err != nil {
		return q, err
	}
	v := r.URL.Query()
	if raw := v.Get("before"); v.Has("before") {
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil || n == 0 {
			return q, protocol.Errorf(protocol.CodeBadRequest, "before must be a seq (a whole number from 1), not %q", raw)
		}
		q.Before = n
	}
	if q.With = v.Get("with"); v.Has("with") && q.With == "" {
		return q, protocol.Errorf(protocol.CodeBadRequest, "with must be a name; leave it out for every conversation")
	}
	if q.Room = v.Get("room"); v.Has("room") && q.Room == "" {
		return q, protocol.Errorf(protocol.CodeBadRequest, "room must be a room's id; leave it out for every conversation")
	}
	if raw := v.Get("everyone"); v.Has("everyone") {
		// Exactly 1 or 0, as the contract says: not strconv.ParseBool's
		// true, T, FALSE and the rest, which a client must not come to
		// rely on.
		switch raw {
		case "1":
			q.Everyone = true
		case "0":
		default:
			return q, protocol.Errorf(protocol.CodeBadRequest, "everyone must be 1 or 0, not %q", raw)
		}
	}
	return q, nil
}

// handleUsers answers GET /api/users?prefix=&limit= with who is online.
func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	limit, err := queryInt(r, "limit", protocol.DefaultUsers, protocol.MaxUsers)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.chat.Read(sess); err != nil {
		writeError(w, err)
		return
	}
	online, users := s.chat.Users(r.URL.Query().Get("prefix"), limit)
	writeJSON(w, http.StatusOK, protocol.Users{Online: online, Users: users})
}

// queryInt reads a positive whole-number parameter, def when absent, at most
// max.
func queryInt(r *http.Request, name string, def, max int) (int, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, protocol.Errorf(protocol.CodeBadRequest, "%s must be a whole number from 1 to %d, not %q", name, max, raw)
	}
	return min(n, max), nil
}

// writeEvents answers {"events": [...]} from entries' shared JSON, with no
// re-encoding.
func writeEvents(w http.ResponseWriter, entries []*chat.Entry) {
	writeEventsMore(w, entries, nil)
}

// writeEventsMore is writeEvents with "more" after the events when more is
// not nil (history's answer).
func writeEventsMore(w http.ResponseWriter, entries []*chat.Entry, more *bool) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	n := len(`{"events":[],"more":false}`) + 1
	for _, e := range entries {
		n += len(e.JSON) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"events":[`...)
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.JSON...)
	}
	b = append(b, ']')
	if more != nil {
		b = append(b, `,"more":`...)
		b = strconv.AppendBool(b, *more)
	}
	b = append(b, "}\n"...)
	w.Write(b)
}
