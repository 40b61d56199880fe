package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"hark/app/protocol"
)

// Upload sends a file's bytes to the server (POST /api/files) for the
// conversation with to ("" for everyone's) and returns the File to send
// with SendFile. contentType is what the file says it is (the server
// checks it against the bytes); name is its name as the person knows it.
// Unlike a message it is not queued: it needs the network now, and a
// refusal (too_large, bad_request for a file that is not what it says,
// rate_limited) is the server's *protocol.Error.
func (c *Client) Upload(ctx context.Context, to, name, contentType string, body io.Reader) (protocol.File, error) {
	q := url.Values{"name": {name}}
	if to != "" {
		q.Set("to", to)
	}
	return c.upload(ctx, q, contentType, body)
}

// UploadToRoom is Upload for a file to the room id, which this person is
// in; the file goes out with SendRoomFile, and only the room's members
// who see that message may read it. A refusal of the room is the one a
// send to it gets (not_found, forbidden).
func (c *Client) UploadToRoom(ctx context.Context, room, name, contentType string, body io.Reader) (protocol.File, error) {
	return c.upload(ctx, url.Values{"name": {name}, "room": {room}}, contentType, body)
}

func (c *Client) upload(ctx context.Context, q url.Values, contentType string, body io.Reader) (protocol.File, error) {
	if c.token() == "" {
		return protocol.File{}, ErrNoSession
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	resp, err := c.request(ctx, http.MethodPost, "/api/files", q, body, contentType)
	if err != nil {
		return protocol.File{}, err
	}
	defer resp.Body.Close()
	var f protocol.File
	if err := decodeAnswer(resp, &f, "the upload's answer"); err != nil {
		return protocol.File{}, err
	}
	return f, nil
}

// FileData reads a file's bytes (GET /api/files/{id}), or with thumb its
// thumbnail's, at most limit bytes, and the media type the server serves
// them as. Only the people who may see the message that carries it may
// read a file; to anyone else it is not_found.
func (c *Client) FileData(ctx context.Context, id string, thumb bool, limit int64) ([]byte, string, error) {
	path := "/api/files/" + url.PathEscape(id)
	if thumb {
		path += "/thumb"
	}
	resp, err := c.request(ctx, http.MethodGet, path, nil, nil, "")
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", err
	}
	if int64(len(b)) > limit {
		return nil, "", fmt.Errorf("client: %s is over %d bytes", path, limit)
	}
	return b, resp.Header.Get("Content-Type"), nil
}
