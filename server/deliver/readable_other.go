//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package deliver

import "syscall"

// peekable says there is no way to peek at a socket here: reads never
// park (see wsidle.go), WebSocketResponse leaves the socket unset, and these are
// never called.
const peekable = false

func awaitReadable(syscall.RawConn) error { return nil }

func readableNow(syscall.RawConn) bool { return true }
