//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package deliver

import (
	"errors"
	"syscall"
)

// awaitReadable blocks until the socket has bytes to read, has ended or
// has failed, reading nothing: the read that follows finds out which.
func awaitReadable(socket syscall.RawConn) error {
	return socket.Read(func(fd uintptr) bool { return peek(fd) })
}

// readableNow reports, without blocking, whether a read of the socket
// would return at once (bytes, its end, or an error).
func readableNow(socket syscall.RawConn) bool {
	ready := true
	socket.Read(func(fd uintptr) bool {
		ready = peek(fd)
		return true
	})
	return ready
}

// peek reports whether a read of fd would return at once. A pending
// socket error makes recv return it, which clears it; the read that
// follows then sees the end of the connection instead of that error,
// and the connection ends either way.
func peek(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return !errors.Is(err, syscall.EAGAIN)
}

// peekable says awaitReadable and readableNow work here.
const peekable = true
