package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"hark/app/protocol"
)

// maxResponse bounds a JSON body read from the server: a poll answer holds
// up to a thousand events of at most 16 KiB.
const maxResponse = 32 << 20

// errNoBase is returned on the host when Options.BaseURL is empty.
var errNoBase = errors.New("client: Options.BaseURL is required outside the browser")

// endpoint returns the absolute URL of path with query q.
func (c *Client) endpoint(path string, q url.Values) (string, error) {
	if c.base == "" {
		return "", errNoBase
	}
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, nil
}

// token returns the session token, or "" without a session.
func (c *Client) token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok
}

// do sends a request with the session's bearer token and decodes a 2xx
// JSON answer into out (if not nil). A refusal is returned as the server's
// *protocol.Error; a failure to reach the server as the transport's error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	contentType := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	resp, err := c.request(ctx, method, path, q, body, contentType)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	return decodeAnswer(resp, out, method+" "+path)
}

// decodeAnswer decodes a 2xx JSON answer into out; what names the request
// in the error.
func decodeAnswer(resp *http.Response, out any, what string) error {
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(out); err != nil {
		return fmt.Errorf("client: reading %s: %w", what, err)
	}
	return nil
}

// request sends a request with the session's bearer token and body (of
// contentType, if not nil) and returns a 2xx answer, its body for the
// caller to read and close. A refusal is returned as the server's
// *protocol.Error.
func (c *Client) request(ctx context.Context, method, path string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	u, err := c.endpoint(path, q)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if tok := c.token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	return resp, nil
}

// readError turns a refusal into the server's *protocol.Error. A body that
// is not the contract's (a proxy's error page) still yields an Error, with
// a code that matches the status, so callers need only one kind of check.
func readError(resp *http.Response) *protocol.Error {
	var eb protocol.ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &eb) != nil || eb.Error == nil || eb.Error.Code == "" {
		eb.Error = &protocol.Error{Code: codeOf(resp.StatusCode), Message: "the server answered " + resp.Status}
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		eb.Error.RetryAfter = s
	}
	return eb.Error
}

// codeOf is the contract's code for a status, for answers without a body.
func codeOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return protocol.CodeBadRequest
	case http.StatusUnauthorized:
		return protocol.CodeUnauthorized
	case http.StatusForbidden:
		return protocol.CodeForbiddenOrigin
	case http.StatusRequestEntityTooLarge:
		return protocol.CodeTooLarge
	case http.StatusTooManyRequests:
		return protocol.CodeRateLimited
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return protocol.CodeUnavailable
	}
	return protocol.CodeInternal
}

// refusal returns err as a *protocol.Error if it is one.
func refusal(err error) (*protocol.Error, bool) {
	var perr *protocol.Error
	ok := errors.As(err, &perr)
	return perr, ok
}

// isCode reports whether err is a refusal with code.
// tokenRefused reports whether err refuses the session's token: unknown
// (unauthorized) or signed out from another device (signed_out).
func tokenRefused(err error) bool {
	return isCode(err, protocol.CodeUnauthorized) || isCode(err, protocol.CodeSignedOut)
}

func isCode(err error, code string) bool {
	perr, ok := refusal(err)
	return ok && perr.Code == code
}

// errUnreachable marks a failure to reach the server at all, which the
// status bar shows as offline rather than as a broken stream.
var errUnreachable = errors.New("client: the server cannot be reached")

// probe asks the server whether the session is still good, for the
// browser, whose EventSource and WebSocket fail without saying why. It
// returns the refusal; errUnreachable (wrapped) if the server cannot be
// reached; nil if the session is accepted (the stream itself failed).
func (c *Client) probe(ctx context.Context) error {
	err := c.do(ctx, http.MethodGet, "/api/users", url.Values{"limit": {"1"}}, nil, nil)
	if _, ok := refusal(err); ok || err == nil {
		return err
	}
	return fmt.Errorf("%w: %v", errUnreachable, err)
}
