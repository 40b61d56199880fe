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
	outcome := "ok"
	if err != nil {
		outcome = refusal(err).Code
	}
	s.metrics.sends.WithLabelValues(outcome).Inc()
	return seq, err
}

// handleHistory answers GET /api/history?limit=N with the latest messages
// the session may see, oldest first.
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	limit, err := queryInt(r, "limit", 50, protocol.MaxHistory)
	if err != nil {
		writeError(w, err)
		return
	}
	writeEvents(w, s.chat.History(sess, limit))
}

// handleUsers answers GET /api/users?prefix=&limit= with who is online.
func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	if _, err := s.authenticate(r, false); err != nil {
		writeError(w, err)
		return
	}
	limit, err := queryInt(r, "limit", protocol.DefaultUsers, protocol.MaxUsers)
	if err != nil {
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
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	n := len(`{"events":[]}`) + 1
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
	b = append(b, "]}\n"...)
	w.Write(b)
}
