package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"hark/app/protocol"
	"hark/server/chat"
)

// AdminHeader carries the operator's credential (Config.AdminToken)
// beside a session's token: with it, the session may do what a room's
// owner may, in every room, and delete any message it can see.
const AdminHeader = "X-Hark-Admin"

// admin reports whether r carries the operator's credential. Without one
// set, nobody is the operator.
func (s *Server) admin(r *http.Request) bool {
	got := r.Header.Get(AdminHeader)
	if s.cfg.AdminToken == "" || got == "" {
		return false
	}
	// Compared by digest, in constant time: neither the length nor a
	// prefix of the credential shows in the time of a refusal.
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(s.cfg.AdminToken))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (s *Server) routeRooms() {
	s.mux.HandleFunc("POST /api/rooms", s.handleCreateRoom)
	s.mux.HandleFunc("GET /api/rooms", s.handleRooms)
	s.mux.HandleFunc("PATCH /api/rooms/{id}", s.handleUpdateRoom)
	s.mux.HandleFunc("DELETE /api/rooms/{id}", s.handleDeleteRoom)
	s.mux.HandleFunc("POST /api/rooms/{id}/join", s.handleJoinRoom)
	s.mux.HandleFunc("POST /api/rooms/{id}/leave", s.handleLeaveRoom)
	s.mux.HandleFunc("POST /api/rooms/{id}/members", s.handleAddMember)
	s.mux.HandleFunc("DELETE /api/rooms/{id}/members/{name}", s.handleRemoveMember)
}

// roomRequest authenticates r and decodes its body into v (nil: no body).
func (s *Server) roomRequest(w http.ResponseWriter, r *http.Request, v any) (*chat.Session, bool) {
	sess, err := s.authenticate(r, false)
	if err == nil && v != nil {
		var body []byte
		if body, err = readBody(r); err == nil {
			err = protocol.DecodeJSON(body, v)
		}
	}
	if err != nil {
		writeError(w, err)
		return nil, false
	}
	return sess, true
}

// answerRoom answers with room, or with err.
func answerRoom(w http.ResponseWriter, status int, room protocol.Room, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, status, room)
}

// answerDone answers 204, or with err.
func answerDone(w http.ResponseWriter, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleCreateRoom makes a room: POST /api/rooms {"name", "topic",
// "private", "members"}, answered 201 with the room.
func (s *Server) handleCreateRoom(w http.ResponseWriter, r *http.Request) {
	var req protocol.RoomRequest
	if sess, ok := s.roomRequest(w, r, &req); ok {
		room, err := s.chat.CreateRoom(r.Context(), sess, req)
		answerRoom(w, http.StatusCreated, room, err)
	}
}

// handleRooms lists public rooms and the asker's: GET /api/rooms
// ?after=KEY&limit=N, a read like history's.
func (s *Server) handleRooms(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.roomRequest(w, r, nil)
	if !ok {
		return
	}
	limit, err := queryInt(r, "limit", protocol.MaxRooms, protocol.MaxRooms)
	if err == nil {
		err = s.chat.Read(sess)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.chat.RoomList(sess, r.URL.Query().Get("after"), limit))
}

// handleUpdateRoom renames a room or sets its topic: PATCH
// /api/rooms/{id} {"name", "topic"}, its owner's (or the operator's).
func (s *Server) handleUpdateRoom(w http.ResponseWriter, r *http.Request) {
	var p protocol.RoomPatch
	if sess, ok := s.roomRequest(w, r, &p); ok {
		room, err := s.chat.UpdateRoom(r.Context(), sess, r.PathValue("id"), p, s.admin(r))
		answerRoom(w, http.StatusOK, room, err)
	}
}

// handleDeleteRoom deletes a room: DELETE /api/rooms/{id}, its owner's
// (or the operator's).
func (s *Server) handleDeleteRoom(w http.ResponseWriter, r *http.Request) {
	if sess, ok := s.roomRequest(w, r, nil); ok {
		answerDone(w, s.chat.DeleteRoom(r.Context(), sess, r.PathValue("id"), s.admin(r)))
	}
}

// handleJoinRoom joins a public room: POST /api/rooms/{id}/join.
func (s *Server) handleJoinRoom(w http.ResponseWriter, r *http.Request) {
	if sess, ok := s.roomRequest(w, r, nil); ok {
		room, err := s.chat.JoinRoom(r.Context(), sess, r.PathValue("id"))
		answerRoom(w, http.StatusOK, room, err)
	}
}

// handleLeaveRoom leaves a room: POST /api/rooms/{id}/leave, 204.
func (s *Server) handleLeaveRoom(w http.ResponseWriter, r *http.Request) {
	if sess, ok := s.roomRequest(w, r, nil); ok {
		answerDone(w, s.chat.LeaveRoom(r.Context(), sess, r.PathValue("id")))
	}
}

// handleAddMember adds someone online to a room: POST
// /api/rooms/{id}/members {"name"}, any member's to do.
func (s *Server) handleAddMember(w http.ResponseWriter, r *http.Request) {
	var req protocol.MemberRequest
	if sess, ok := s.roomRequest(w, r, &req); ok {
		room, err := s.chat.AddMember(r.Context(), sess, r.PathValue("id"), req.Name, s.admin(r))
		answerRoom(w, http.StatusOK, room, err)
	}
}

// handleRemoveMember takes someone out of a room: DELETE
// /api/rooms/{id}/members/{name}, its owner's (or the operator's, or the
// member's own).
func (s *Server) handleRemoveMember(w http.ResponseWriter, r *http.Request) {
	if sess, ok := s.roomRequest(w, r, nil); ok {
		answerDone(w, s.chat.RemoveMember(r.Context(), sess, r.PathValue("id"), r.PathValue("name"), s.admin(r)))
	}
}
