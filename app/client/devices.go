package client

import (
	"context"
	"net/http"
	"strconv"

	"hark/app/protocol"
)

// DeviceCode asks for a one-time code (POST /api/devices/code) that signs
// another device in as this session's person with Link, until the code's
// Expires.
func (c *Client) DeviceCode(ctx context.Context) (protocol.DeviceCode, error) {
	var dc protocol.DeviceCode
	err := c.do(ctx, http.MethodPost, "/api/devices/code", nil, nil, &dc)
	return dc, err
}

// Link signs this device in with a code from another device of the
// person (POST /api/devices/link) and, like Register, keeps the new
// session in the Store. A code that does not sign anyone in is a
// *protocol.Error with code not_found.
func (c *Client) Link(ctx context.Context, code string) (protocol.Session, error) {
	return c.newSession(ctx, "/api/devices/link", protocol.LinkRequest{Code: code})
}

// LeaveEverywhere signs the person out of every device (DELETE
// /api/sessions) and frees the name; like Leave it forgets the session
// here and stops Run. The other devices are told signed_out and show
// their sign-in.
func (c *Client) LeaveEverywhere(ctx context.Context) error {
	return c.leave(ctx, "/api/sessions")
}

// newSession asks path for a new session with body, and keeps it.
func (c *Client) newSession(ctx context.Context, path string, body any) (protocol.Session, error) {
	c.mu.Lock()
	running := c.running
	c.mu.Unlock()
	if running {
		return protocol.Session{}, ErrRunning
	}
	var s protocol.Session
	if err := c.do(ctx, http.MethodPost, path, nil, body, &s); err != nil {
		return protocol.Session{}, err
	}
	c.mu.Lock()
	c.begin(s.Name, s.Token, s.Epoch, s.Seq)
	c.store.Set(keyToken, s.Token)
	c.store.Set(keyName, s.Name)
	c.store.Set(keyEpoch, s.Epoch)
	c.store.Set(keySeq, strconv.FormatUint(s.Seq, 10))
	c.mu.Unlock()
	c.changed()
	return s, nil
}
