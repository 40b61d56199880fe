package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// checkLoopback refuses any target outside 127.0.0.0/8 (or ::1): the load
// generator opens thousands of sockets and must never aim them at a real
// network.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %q: only loopback targets (127.0.0.0/8, ::1, localhost) are allowed", addr)
	}
	return nil
}

// loopbackOnly is a net.Dialer's Control: it sees the address after name
// resolution, just before the connect.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	return checkLoopback(address)
}

// dialer opens the clients' sockets. Each connection binds the next of
// several loopback source addresses in turn: a (source, destination) pair
// has only ~28,000 ephemeral ports, and 10,000 streams plus their send and
// poll requests and the TIME_WAITs of a reconnect storm would exhaust one.
// It tracks open connections so a storm can cut them all at once.
type dialer struct {
	sources []*net.TCPAddr
	next    atomic.Uint64
	base    net.Dialer

	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newDialer(sources int) *dialer {
	d := &dialer{conns: make(map[*trackedConn]struct{}), base: net.Dialer{Timeout: 30 * time.Second, KeepAlive: -1, Control: loopbackOnly}}
	for i := 0; i < sources; i++ {
		// 127.0.0.2 onwards: every 127/8 address is the loopback
		// interface's on Linux, with no setup.
		d.sources = append(d.sources, &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(i+2))})
	}
	return d
}

// DialContext dials addr from the next source address. Like every dial
// of the load generator, it refuses addresses outside loopback, whether
// named by a redirect or resolved from a name such as localhost.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	nd := d.base
	if len(d.sources) > 0 {
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			nd.LocalAddr = d.sources[d.next.Add(1)%uint64(len(d.sources))]
		}
	}
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, d: d}
	d.mu.Lock()
	d.conns[tc] = struct{}{}
	d.mu.Unlock()
	return tc, nil
}

// cutAll closes every open connection at once, as a network blip or a
// restarting proxy would, and returns how many it closed.
func (d *dialer) cutAll() int {
	d.mu.Lock()
	all := make([]*trackedConn, 0, len(d.conns))
	for c := range d.conns {
		all = append(all, c)
	}
	d.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
	return len(all)
}

// open is the number of connections open now.
func (d *dialer) open() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.conns)
}

type trackedConn struct {
	net.Conn
	d    *dialer
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.d.mu.Lock()
		delete(c.d.conns, c)
		c.d.mu.Unlock()
	})
	return c.Conn.Close()
}

// newHTTPClient is the one client every simulated person shares: one
// pool, so a finished poll or send leaves its connection for the next
// request of anyone, as N browsers on N machines would not, but as one
// process holding N people must to stay within its file limit.
func newHTTPClient(d *dialer, idle int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConns:        idle,
		MaxIdleConnsPerHost: idle,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// newControlClient is the client for metrics and profiles: its own pool,
// so a storm's cut does not touch it, and the same loopback check on
// every dial as the clients'.
func newControlClient() *http.Client {
	nd := &net.Dialer{Control: loopbackOnly}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if err := checkLoopback(addr); err != nil {
				return nil, err
			}
			return nd.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
		DisableCompression:  true,
	}}
}
