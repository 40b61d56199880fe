package api

import (
	"net/http"
	"net/url"
	"strings"
)

// originPolicy decides which browser origins may change state (POST,
// DELETE) or open a WebSocket. Requests without an Origin header come from
// programs, not browsers, and carry their token explicitly, so they pass.
type originPolicy struct {
	allow map[string]bool // normalised scheme://host[:port]
}

func newOriginPolicy(origins []string) originPolicy {
	p := originPolicy{allow: make(map[string]bool)}
	for _, o := range origins {
		if u, err := url.Parse(strings.TrimSpace(o)); err == nil && u.Host != "" {
			p.allow[strings.ToLower(u.Scheme+"://"+u.Host)] = true
		}
	}
	return p
}

// allowed reports whether r may proceed. Reads (GET) other than the
// WebSocket handshake are not checked: they change nothing, and a page on
// another origin cannot read their answers without CORS, which Hark does
// not grant.
func (p originPolicy) allowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if r.Method == http.MethodGet && !isWebSocket(r) || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return p.allow[strings.ToLower(u.Scheme+"://"+u.Host)]
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}
