package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"

	"hark/app/protocol"
	"hark/server/chat"
)

// handleRegister takes a name: POST /api/session {"name": …}.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	sess, err := s.register(r)
	if err != nil {
		s.metrics.refused.WithLabelValues(refusal(err).Code).Inc()
		writeError(w, err)
		return
	}
	s.log.Info("registered", slog.String("name", sess.Name))
	writeJSON(w, http.StatusCreated, sess)
}

func (s *Server) register(r *http.Request) (protocol.Session, error) {
	body, err := readBody(r)
	if err != nil {
		return protocol.Session{}, err
	}
	var req protocol.SessionRequest
	if err := protocol.DecodeJSON(body, &req); err != nil {
		return protocol.Session{}, err
	}
	sess, token, head, err := s.chat.Register(r.Context(), req.Name, clientAddr(r))
	if err != nil {
		return protocol.Session{}, err
	}
	return protocol.Session{Name: sess.Name().Display, Token: token, Epoch: s.chat.Epoch(), Seq: head}, nil
}

// handleLeave frees the session's name: DELETE /api/session.
func (s *Server) handleLeave(w http.ResponseWriter, r *http.Request) {
	s.leave(w, r, s.chat.Leave, "left")
}

// leave ends the asker's session with end (this device, or every one of
// its person's), answering 204, and logs what.
func (s *Server) leave(w http.ResponseWriter, r *http.Request, end func(context.Context, *chat.Session) error, what string) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := end(r.Context(), sess); err != nil {
		writeError(w, err)
		return
	}
	s.log.Info(what, slog.String("name", sess.Name().Display))
	w.WriteHeader(http.StatusNoContent)
}

// clientAddr is the address the per-address budgets count against: the
// peer's IPv4 address, or the /64 of its IPv6 address (one subscriber's
// network: an address of its own per request costs a client nothing).
// Behind a reverse proxy every client shares the proxy's address, so there
// the budgets should be raised or turned off.
func clientAddr(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
