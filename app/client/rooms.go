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
	err := c.roomCall(ctx, http.MethodPost, roomPath(id)+"/join", nil, &r)
	return r, err
}

// LeaveRoom leaves the room id.
func (c *Client) LeaveRoom(ctx context.Context, id string) error {
	return c.roomCall(ctx, http.MethodPost, roomPath(id)+"/leave", nil, nil)
}

// UpdateRoom renames the room id (name) or sets its topic (topic), a nil
// one left as it is, and returns the room as it is now: its owner's to
// do, others are refused forbidden.
func (c *Client) UpdateRoom(ctx context.Context, id string, name, topic *string) (protocol.Room, error) {
	var r protocol.Room
	err := c.roomCall(ctx, http.MethodPatch, roomPath(id), protocol.RoomPatch{Name: name, Topic: topic}, &r)
	return r, err
}

// AddMember adds name, who is online, to the room id (any member may)
// and returns the room as it is now.
func (c *Client) AddMember(ctx context.Context, id, name string) (protocol.Room, error) {
	var r protocol.Room
	err := c.roomCall(ctx, http.MethodPost, roomPath(id)+"/members", protocol.MemberRequest{Name: name}, &r)
	return r, err
}

// RemoveMember takes name out of the room id: the owner's to do (or
// anyone's for themselves).
func (c *Client) RemoveMember(ctx context.Context, id, name string) error {
	return c.roomCall(ctx, http.MethodDelete, roomPath(id)+"/members/"+url.PathEscape(name), nil, nil)
}

// DeleteRoom deletes the room id, its messages with it: the owner's to
// do.
func (c *Client) DeleteRoom(ctx context.Context, id string) error {
	return c.roomCall(ctx, http.MethodDelete, roomPath(id), nil, nil)
}

// roomPath is the path of the room id in the rooms API.
func roomPath(id string) string { return "/api/rooms/" + url.PathEscape(id) }

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

// SendRoomFile is SendRoom for a message that carries f, a file uploaded
// to the same room (UploadToRoom); text may be empty.
func (c *Client) SendRoomFile(room, text string, f protocol.File, replyTo uint64) string {
	return c.queue(queued{Send: protocol.Send{Room: room, Text: text, ReplyTo: replyTo, File: f.ID}, Attached: &f})
}
