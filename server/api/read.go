package api

import (
	"net/http"

	"hark/app/protocol"
)

// handleMarkRead keeps how far the session's person has read a
// conversation: POST /api/read {"with"|"everyone"|"room", "seq"}, answered 204.
func (s *Server) handleMarkRead(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	body, err := readBody(r)
	var m protocol.ReadMark
	if err == nil {
		err = protocol.DecodeJSON(body, &m)
	}
	if err == nil {
		err = s.chat.MarkRead(r.Context(), sess, m)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleReadPositions answers GET /api/read with every read position of
// the session's person.
func (s *Server) handleReadPositions(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	read, err := s.chat.ReadPositions(r.Context(), sess)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.ReadMarks{Read: read})
}
