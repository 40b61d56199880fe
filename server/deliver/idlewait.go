package deliver

import (
	"sync/atomic"
	"syscall"
)

// Between its client's messages, a stream's connection waits for the
// client to send something or to go. Where one goroutine can wait for many
// sockets (Linux: idlepoll_linux.go), a waiting connection holds no
// goroutine at all: its wait is parked in the poller, which starts a
// goroutine to read when the socket has something, has ended, or the
// connection is closed. Elsewhere one goroutine per connection waits a few
// calls deep (awaitReadable) and each read runs in a goroutine of its own,
// so the stack a read grows goes with it. Without a way to peek at the
// socket (readable_other.go), reads simply block.
//
// A goroutine costs at least a 2 KiB stack and a record the runtime keeps
// once made; a parked wait costs an entry in the poller's map.

// idleWait is a connection's wait for its client.
type idleWait struct {
	socket syscall.RawConn
	fd     int32  // the socket's descriptor, for the poller's map
	id     uint32 // tells this connection's events from a reused descriptor's

	// read reads what the client sent and reports whether to wait again;
	// false: the connection is over, and end runs.
	read func() bool
	end  func()

	// parked is set while the wait is in the poller; whoever clears it
	// (the poller, or Close through wake) runs resume.
	parked atomic.Bool
}

// newIdleWait returns the wait for c's socket, or nil where there is no
// way to wait without reading (then reads block).
func newIdleWait(c any) *idleWait {
	sc, ok := c.(syscall.Conn)
	if !ok || !peekable {
		return nil
	}
	socket, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &idleWait{socket: socket}
	if socket.Control(func(fd uintptr) { w.fd = int32(fd) }) != nil {
		return nil
	}
	return w
}

// ServeReads runs read whenever the client has sent something, until
// read reports the connection over; then end. Where the poller waits it
// returns at once, and the caller's goroutine may exit; elsewhere it
// returns after end.
func (c *Conn) ServeReads(read func() bool, end func()) {
	w := c.wait
	if w == nil {
		for read() {
		}
		end()
		return
	}
	w.read, w.end = read, end
	if w.park() {
		return
	}
	for awaitReadable(w.socket) == nil {
		more := make(chan bool, 1)
		go func() { more <- w.read() }()
		if !<-more {
			break
		}
	}
	w.end()
}

// resume reads in a goroutine of its own once the poller let the wait go,
// and parks it again when the client has nothing more to say for now.
func (w *idleWait) resume() {
	for w.read() {
		if w.park() {
			return
		}
		// The poller could not take the socket: wait here instead.
		if awaitReadable(w.socket) != nil {
			break
		}
	}
	w.end()
}

// wake lets a parked wait go after its connection was closed: its read
// then finds the connection closed, and end runs.
func (w *idleWait) wake() {
	if w.parked.CompareAndSwap(true, false) {
		w.forget()
		go w.resume()
	}
}
