//go:build linux

package deliver

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pollerListener listens on loopback for a test of the poller, which it
// skips where there is none.
func pollerListener(t *testing.T) net.Listener {
	t.Helper()
	if !PollsIdle() {
		t.Skip("no poller here")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// accepted dials ln unless client is given, and returns the server's side
// as a Conn that waits in the poller, and the client's.
func accepted(t *testing.T, ln net.Listener, client net.Conn) (*Conn, net.Conn) {
	t.Helper()
	if client == nil {
		var err error
		if client, err = net.Dial("tcp", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { client.Close() })
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	rc := newConn(sc, time.Second)
	if rc.wait = newIdleWait(sc); rc.wait == nil {
		t.Fatal("no idle wait for a TCP connection")
	}
	t.Cleanup(func() { rc.Close() })
	return rc, client
}

// A reader that reaches park after its connection was closed from
// elsewhere (the driver hanging up on a failed write, say) must leave the
// descriptor's number alone: a newer connection may have it by then, parked
// in the poller, and losing its entry would drop its client's sends.
func TestLateParkLeavesAReusedDescriptorAlone(t *testing.T) {
	ln := pollerListener(t)
	old, _ := accepted(t, ln, nil)
	old.wait.read, old.wait.end = old.Discard, func() {}

	// The next connection waits in the accept queue while the old one is
	// closed, so accepting it takes the old one's descriptor.
	next, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	fresh, client := accepted(t, ln, next)
	if fresh.wait.fd != old.wait.fd {
		t.Skipf("descriptor not reused (%d, then %d)", old.wait.fd, fresh.wait.fd)
	}
	read := make(chan struct{}, 1)
	fresh.ServeReads(func() bool {
		select {
		case read <- struct{}{}:
		default:
		}
		return fresh.Discard()
	}, func() {})

	if old.wait.park() {
		t.Fatal("a closed connection's wait parked")
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-read:
	case <-time.After(5 * time.Second):
		t.Fatal("the newer connection's client sent a byte, and it was never read: its wait was lost from the poller")
	}
}

// Parking a socket that is already readable lets the poller start a
// reader, which may park again, before the first park has returned. Run
// under -race, with clients that never stop writing; every connection
// must go on being read, a park and a wake-up per read.
func TestParkingBusySocketsIsRaceFree(t *testing.T) {
	ln := pollerListener(t)
	const conns = 32
	var reads [conns]atomic.Int64
	var clients []net.Conn
	var writers sync.WaitGroup
	for i := range conns {
		rc, client := accepted(t, ln, nil)
		clients = append(clients, client)
		rc.ServeReads(func() bool {
			var b [64]byte
			_, err := rc.Conn.Read(b[:])
			reads[i].Add(1)
			return err == nil
		}, func() {})
		writers.Go(func() {
			buf := make([]byte, 64)
			for {
				if _, err := client.Write(buf); err != nil {
					return // closed below
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	for _, c := range clients {
		c.Close()
	}
	writers.Wait()
	for i := range reads {
		if n := reads[i].Load(); n < 2 {
			t.Errorf("connection %d was read %d times in 2 s of its client writing", i, n)
		}
	}
}
