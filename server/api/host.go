package api

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"hark/app/protocol"
)

// LoopbackHosts are the hosts a server bound to a loopback address answers
// by default: localhost, 127.0.0.0/8 and ::1, on any port. A page on
// another site whose name an attacker points at 127.0.0.1 (DNS rebinding)
// still sends its own name as Host, and is refused.
var LoopbackHosts = []string{"localhost", "127.0.0.0/8", "::1"}

// hostPolicy decides which Host headers the server answers, so that a page
// served under another name cannot drive it.
type hostPolicy struct {
	any      bool
	names    map[string]bool // host, any port: lower case, no trailing dot
	hostport map[string]bool // host:port, exactly that port
	prefixes []netip.Prefix  // addresses, any port
}

// newHostPolicy reads a list of allowed hosts: names ("localhost",
// "chat.example"), addresses ("127.0.0.1", "::1"), either with a port
// ("chat.example:8443", "[::1]:8080") to allow only that port, address
// prefixes ("127.0.0.0/8"), or "*" for any host. An empty list allows any
// host.
func newHostPolicy(hosts []string) hostPolicy {
	p := hostPolicy{any: len(hosts) == 0, names: map[string]bool{}, hostport: map[string]bool{}}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		switch {
		case h == "*":
			p.any = true
		case strings.Contains(h, "/"):
			if pfx, err := netip.ParsePrefix(h); err == nil {
				p.prefixes = append(p.prefixes, pfx.Masked())
			}
		default:
			if host, port, err := net.SplitHostPort(h); err == nil && port != "" {
				p.hostport[canonicalHost(host)+":"+port] = true
			} else {
				p.names[canonicalHost(h)] = true
			}
		}
	}
	return p
}

// ValidHost reports whether h is something newHostPolicy understands, for
// checking a flag before serving.
func ValidHost(h string) bool {
	h = strings.TrimSpace(h)
	switch {
	case h == "":
		return false
	case h == "*":
		return true
	case strings.Contains(h, "/"):
		_, err := netip.ParsePrefix(h)
		return err == nil
	}
	return !strings.ContainsAny(h, " \t,")
}

// allowed reports whether a request whose Host header is host may be
// served. A request without a Host (HTTP/1.0) passes: every browser sends
// one, and browsers are what the policy is about.
func (p hostPolicy) allowed(host string) bool {
	if p.any || host == "" {
		return true
	}
	name, port := splitHost(host)
	name = canonicalHost(name)
	if p.names[name] || port != "" && p.hostport[name+":"+port] {
		return true
	}
	if addr, err := netip.ParseAddr(name); err == nil {
		addr = addr.Unmap()
		for _, pfx := range p.prefixes {
			if pfx.Contains(addr) {
				return true
			}
		}
	}
	return false
}

// splitHost splits a Host header into its host and its port, if any:
// "localhost:8080", "[::1]:8080", "[::1]", "127.0.0.1".
func splitHost(h string) (host, port string) {
	if host, port, err := net.SplitHostPort(h); err == nil {
		return host, port
	}
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), ""
}

// canonicalHost is the form of a host name or address that two spellings
// of one host share: lower case, without a trailing dot, an address in its
// standard notation.
func canonicalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")), ".")
	if addr, err := netip.ParseAddr(h); err == nil {
		return addr.Unmap().String()
	}
	return h
}

// hostRefusal is the answer to a request for a host not allowed.
func hostRefusal(host string) *protocol.Error {
	if len(host) > 100 {
		host = host[:100] + "…"
	}
	return protocol.Errorf(protocol.CodeForbiddenHost, "this server does not answer for host %q; its -allow-host flag lists those it does", host)
}

// CheckHost wraps h, a handler served beside the API (the web app,
// profiles), with the same allowed-hosts policy. The API itself checks in
// ServeHTTP.
func (s *Server) CheckHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.allowed(r.Host) {
			writeError(w, hostRefusal(r.Host))
			return
		}
		h.ServeHTTP(w, r)
	})
}
