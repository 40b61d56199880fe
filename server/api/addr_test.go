package api

import (
	"net/http"
	"testing"
)

// The per-address budgets count an IPv4 client by its address and an IPv6
// client by its /64, so a client cannot dodge them with a fresh address
// from its own network per request.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ remote, want string }{
		{"192.0.2.7:5000", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:5000", "192.0.2.7"}, // IPv4-mapped counts as IPv4
		{"[2001:db8:1:2:aaaa::1]:5000", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb:cccc:dddd:eeee]:443", "2001:db8:1:2::/64"}, // same /64
		{"[2001:db8:1:3::1]:5000", "2001:db8:1:3::/64"},                 // the next /64
		{"not an address", "not an address"},
	} {
		r := &http.Request{RemoteAddr: c.remote}
		if got := clientAddr(r); got != c.want {
			t.Errorf("clientAddr(%q) = %q, want %q", c.remote, got, c.want)
		}
	}
}
