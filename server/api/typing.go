package api

import (
	"net/http"

	"hark/app/protocol"
	"hark/server/chat"
)

// handleTyping says the session is typing: POST /api/typing {"to"} or
// {"room"}, answered 204.
func (s *Server) handleTyping(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	body, err := readBody(r)
	var t protocol.Typing
	if err == nil {
		err = protocol.DecodeJSON(body, &t)
	}
	if err == nil && t.Type != "" && t.Type != protocol.TypeTyping {
		err = protocol.Errorf(protocol.CodeBadRequest, "a typing body has type %q or none, not %q", protocol.TypeTyping, t.Type)
	}
	if err = s.typing(sess, t, err); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// typing hands a typing notice to the chat unless decoding it failed with
// decodeErr, and counts the outcome either way, as send does for sends.
func (s *Server) typing(sess *chat.Session, t protocol.Typing, decodeErr error) error {
	err := decodeErr
	switch {
	case err != nil:
	case t.Room != "" && t.To != "":
		err = protocol.Errorf(protocol.CodeBadRequest, "typing is to a person or in a room, not both")
	case t.Room != "":
		err = s.chat.RoomTyping(sess, t.Room)
	default:
		err = s.chat.Typing(sess, t.To)
	}
	s.metrics.typing.WithLabelValues(outcome(err)).Inc()
	return err
}
