package client

import (
	"context"
	"net/http"
	"net/url"

	"hark/app/protocol"
)

// CreateRoom makes a room (POST /api/rooms) whose maker is this session's
// person: public, or private; a private one made with members is a group
// conversation (protocol.MinGroup to protocol.MaxGroup people with its
// maker, each online). A refusal (name_taken, bad_request, no_such_user,
// rate_limited) is the server's *protocol.Error.
func (c *Client) CreateRoom(ctx context.Context, name, topic string, private bool, members []string) (protocol.Room, error) {
	var r protocol.Room
	err := c.roomCall(ctx, http.MethodPost, "/api/rooms", protocol.RoomRequest{Name: name, Topic: topic, Private: private, Members: members}, &r)
	return r, err
}

// Rooms reads the list of public rooms (the first protocol.MaxRooms, in
// the order of their names) and every room this person is in (Mine).
func (c *Client) Rooms(ctx context.Context) (protocol.Rooms, error) {
	var rs protocol.Rooms
	err := c.roomCall(ctx, http.MethodGet, "/api/rooms", nil, &rs)
	return rs, err
}

// JoinRoom joins the public room id and returns it as it is now.
func (c *Client) JoinRoom(ctx context.Context, id string) (protocol.Room, error) {
	var r protocol.Room
	err := c.roomCall(ctx, http.MethodPost, "/api/rooms/"+url.PathEscape(id)+"/join", nil, &r)
	return r, err
}

// LeaveRoom leaves the room id.
func (c *Client) LeaveRoom(ctx context.Context, id string) error {
	return c.roomCall(ctx, http.MethodPost, "/api/rooms/"+url.PathEscape(id)+"/leave", nil, nil)
}

// roomCall is one request of the rooms API, which needs a session.
func (c *Client) roomCall(ctx context.Context, method, path string, in, out any) error {
	if c.token() == "" {
		return ErrNoSession
	}
	return c.do(ctx, method, path, nil, in, out)
}

// SendRoom is SendReply for a message to the room id, which this person
// is in: queued in the outbox as every message is, and shown at once as
// pending in the room.
func (c *Client) SendRoom(room, text string, replyTo uint64) string {
	return c.queue(queued{Send: protocol.Send{Room: room, Text: text, ReplyTo: replyTo}})
}
