package api

import (
	"log/slog"
	"net/http"

	"hark/app/protocol"
	"hark/server/chat"
)

// relyingParty is who a passkey made through r is for: the host name the
// browser asked (passkeys belong to a name, not a port), and the origins
// its pages may come from: this host on either scheme (browsers allow
// passkeys over plain HTTP on localhost only) and the allowed origins.
// The Host header has passed the allowed-hosts policy by now.
func (s *Server) relyingParty(r *http.Request) chat.RelyingParty {
	host, _ := splitHost(r.Host)
	origins := append([]string{"http://" + r.Host, "https://" + r.Host}, s.cfg.AllowOrigins...)
	return chat.RelyingParty{ID: canonicalHost(host), Origins: origins}
}

// handlePasskeyBegin starts adding a passkey to the asker's name: POST
// /api/passkeys/begin.
func (s *Server) handlePasskeyBegin(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	id, opts, err := s.chat.PasskeyBegin(r.Context(), sess, s.relyingParty(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.PasskeyCeremony{Ceremony: id, Options: opts})
}

// handlePasskeyFinish keeps the passkey the browser made: POST
// /api/passkeys/finish {"ceremony", "credential"}, answered 204.
func (s *Server) handlePasskeyFinish(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	req, err := passkeyFinish(r)
	if err == nil {
		err = s.chat.PasskeyFinish(r.Context(), sess, s.relyingParty(r), req.Ceremony, req.Credential)
	}
	if err != nil {
		s.metrics.refused.WithLabelValues(refusal(err).Code).Inc()
		writeError(w, err)
		return
	}
	s.log.Info("added a passkey", slog.String("name", sess.Name().Display))
	w.WriteHeader(http.StatusNoContent)
}

// passkeyFinish reads the body of a ceremony's finish.
func passkeyFinish(r *http.Request) (protocol.PasskeyFinish, error) {
	var req protocol.PasskeyFinish
	body, err := readBody(r)
	if err != nil {
		return req, err
	}
	if err := protocol.DecodeJSON(body, &req); err != nil {
		return req, err
	}
	return req, nil
}

// handlePasskeys tells how many passkeys keep the asker's name: GET
// /api/passkeys.
func (s *Server) handlePasskeys(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		writeError(w, err)
		return
	}
	n, err := s.chat.HasPasskey(r.Context(), sess)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.Passkeys{Count: n})
}

// handleRemovePasskeys forgets the passkeys of the asker's name: DELETE
// /api/passkeys, answered 204.
func (s *Server) handleRemovePasskeys(w http.ResponseWriter, r *http.Request) {
	s.leave(w, r, s.chat.RemovePasskeys, "removed passkeys")
}

// handlePasskeyLoginBegin starts a sign-in with a passkey: POST
// /api/passkeys/login/begin {"name"}.
func (s *Server) handlePasskeyLoginBegin(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req protocol.PasskeyLogin
	if err := protocol.DecodeJSON(body, &req); err != nil {
		writeError(w, err)
		return
	}
	id, opts, err := s.chat.PasskeyLoginBegin(r.Context(), req.Name, clientAddr(r), s.relyingParty(r))
	if err != nil {
		s.metrics.refused.WithLabelValues(refusal(err).Code).Inc()
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.PasskeyCeremony{Ceremony: id, Options: opts})
}

// handlePasskeyLogin signs this device in with a passkey: POST
// /api/passkeys/login/finish {"ceremony", "credential"}, answered like a
// registration.
func (s *Server) handlePasskeyLogin(w http.ResponseWriter, r *http.Request) {
	req, err := passkeyFinish(r)
	var sess *chat.Session
	var token string
	var head uint64
	if err == nil {
		sess, token, head, err = s.chat.PasskeyLogin(r.Context(), s.relyingParty(r), req.Ceremony, req.Credential, clientAddr(r))
	}
	if err != nil {
		s.metrics.refused.WithLabelValues(refusal(err).Code).Inc()
		writeError(w, err)
		return
	}
	s.log.Info("signed in with a passkey", slog.String("name", sess.Name().Display))
	writeJSON(w, http.StatusCreated, protocol.Session{Name: sess.Name().Display, Token: token, Epoch: s.chat.Epoch(), Seq: head})
}
