package api

import (
	"net/http"

	"hark/server/chat"
)

// openStream authenticates r and opens a stream at the position it asks
// for, counting it under transport until the returned close is called.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request, transport string, tokenInQuery bool) (*chat.Stream, func(), bool) {
	sess, err := s.authenticate(r, tokenInQuery)
	if err != nil {
		writeError(w, err)
		return nil, nil, false
	}
	pos, err := position(r)
	if err != nil {
		writeError(w, err)
		return nil, nil, false
	}
	st, err := s.chat.Open(sess, pos)
	if err != nil {
		writeError(w, err)
		return nil, nil, false
	}
	g := s.metrics.streams.WithLabelValues(transport)
	g.Inc()
	return st, func() {
		st.Close()
		g.Dec()
	}, true
}
