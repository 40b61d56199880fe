package api

import (
	"log/slog"
	"net/http"

	"hark/app/protocol"
)

// handleDeviceCode makes a one-time code that signs another device in as
// the asker's person: POST /api/devices/code.
func (s *Server) handleDeviceCode(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	code, exp, err := s.chat.DeviceCode(r.Context(), sess)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.DeviceCode{Code: code, Expires: protocol.NewTime(exp)})
}

// handleLink signs this device in with a code from another:
// POST /api/devices/link {"code": …}, answered like a registration.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req protocol.LinkRequest
	if err := protocol.DecodeJSON(body, &req); err != nil {
		writeError(w, err)
		return
	}
	sess, token, head, err := s.chat.Link(r.Context(), req.Code, clientAddr(r))
	if err != nil {
		s.metrics.refused.WithLabelValues(refusal(err).Code).Inc()
		writeError(w, err)
		return
	}
	s.log.Info("linked a device", slog.String("name", sess.Name().Display))
	writeJSON(w, http.StatusCreated, protocol.Session{Name: sess.Name().Display, Token: token, Epoch: s.chat.Epoch(), Seq: head})
}

// handleLeaveEverywhere signs the person out of every device and frees
// the name: DELETE /api/sessions.
func (s *Server) handleLeaveEverywhere(w http.ResponseWriter, r *http.Request) {
	s.leave(w, r, s.chat.LeaveEverywhere, "left everywhere")
}
