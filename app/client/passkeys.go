package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"hark/app/protocol"
)

// ErrNoPasskeys is returned where no authenticator can be asked: passkeys
// are made and used by a browser (navigator.credentials), never by this
// package on the host.
var ErrNoPasskeys = errors.New("client: passkeys need a browser with WebAuthn")

// Passkeys is how many passkeys keep this session's name (GET
// /api/passkeys); 0 means the name is freed after the grace like anyone's.
func (c *Client) Passkeys(ctx context.Context) (int, error) {
	var p protocol.Passkeys
	err := c.do(ctx, http.MethodGet, "/api/passkeys", nil, nil, &p)
	return p.Count, err
}

// AddPasskey has the browser make a passkey for this session's name and
// keeps it on the server (POST /api/passkeys/begin, then finish): the
// name is then kept while its person is offline, and can be signed into
// with the passkey on any device.
func (c *Client) AddPasskey(ctx context.Context) error {
	var begun protocol.PasskeyCeremony
	if err := c.do(ctx, http.MethodPost, "/api/passkeys/begin", nil, nil, &begun); err != nil {
		return err
	}
	cred, err := createCredential(ctx, begun.Options)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/api/passkeys/finish", nil, protocol.PasskeyFinish{Ceremony: begun.Ceremony, Credential: cred}, nil)
}

// RemovePasskeys forgets the passkeys of this session's name (DELETE
// /api/passkeys).
func (c *Client) RemovePasskeys(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/api/passkeys", nil, nil, nil)
}

// SignInWithPasskey signs in to name with one of its passkeys (POST
// /api/passkeys/login/begin, then finish) and, like Register, keeps the
// new session in the Store. A name without a passkey is a
// *protocol.Error with code not_found.
func (c *Client) SignInWithPasskey(ctx context.Context, name string) (protocol.Session, error) {
	var begun protocol.PasskeyCeremony
	if err := c.do(ctx, http.MethodPost, "/api/passkeys/login/begin", nil, protocol.PasskeyLogin{Name: name}, &begun); err != nil {
		return protocol.Session{}, err
	}
	cred, err := getCredential(ctx, begun.Options)
	if err != nil {
		return protocol.Session{}, err
	}
	return c.newSession(ctx, "/api/passkeys/login/finish", protocol.PasskeyFinish{Ceremony: begun.Ceremony, Credential: cred})
}

// credentialCall is navigator.credentials.create or get, given the
// options JSON ({"publicKey": …}), answering the credential's JSON.
type credentialCall func(ctx context.Context, options json.RawMessage) (json.RawMessage, error)

var (
	_ credentialCall = createCredential
	_ credentialCall = getCredential
)
