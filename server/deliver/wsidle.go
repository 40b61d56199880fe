package deliver

import (
	"encoding/binary"
	"errors"
	"sync/atomic"
	"syscall"
)

// An idle WebSocket's reader waits for its client in a goroutine a few
// small calls deep, and reads in a short-lived goroutine of its own.
//
// Why: a goroutine's stack is kept for its life, and grows to fit the
// deepest call it makes. The WebSocket library's read path is some twenty
// calls deep, so a reader that blocks inside it keeps a 4 KiB stack per
// connection, and the runtime never shrinks it back (it shrinks only a
// stack used below a quarter, and its allowance for the calls that do not
// check their stack is most of a quarter of 4 KiB). Blocking in the
// library is also what keep-alives would bring back: the client's answer
// to every ping is read there, after which the reader would stay inside.
//
// How: the reader waits until the socket has something to read
// (awaitReadable: a peek, never a read), then hands the reading to a new
// goroutine, which reads frames through the library until the library,
// between two messages, asks for bytes the socket does not have yet. That
// read returns ErrParked instead of blocking (Conn.Read, told by a
// frameTracker where messages end), the library returns it as an error
// before touching anything of the next frame, and the goroutine exits,
// taking the deep stack with it. Mid-message the read blocks as usual,
// and so do the reads of a close handshake (the sink turns parking off
// before one).

// ErrParked is a read's answer, between messages, when nothing has
// arrived: the caller goes back to waiting.
var ErrParked = errors.New("deliver: nothing to read between messages")

// parkedReads is the part of Conn that lets a WebSocket's reads park.
// The library reads one at a time (its read lock), whoever it reads for.
type parkedReads struct {
	socket  syscall.RawConn // nil: reads never park
	frames  frameTracker
	parking atomic.Bool // cleared before a close handshake, whose reads must block
}

// park reports whether a read should return ErrParked now: between
// messages, parking on, and nothing to read.
func (p *parkedReads) park() bool {
	return p.socket != nil && p.parking.Load() && p.frames.between() && !readableNow(p.socket)
}

// frameTracker follows the frames a client sends, from the bytes read for
// the library, to know when what has been read ends a message: then the
// library has consumed every byte read (it reads the socket only when its
// buffer is empty) and its next read begins a frame of a new message.
// Control frames may come between the fragments of a message, so only a
// frame with FIN that ends a text or binary message counts.
type frameTracker struct {
	head      [14]byte // the header being read
	got, want int      // bytes of it read; its length once known, else 0
	left      uint64   // payload bytes of the current frame still to come
	inMessage bool     // a message's first frames came, not its last
}

// between reports whether the bytes read so far end a message, or a
// control frame outside one.
func (t *frameTracker) between() bool { return t.got == 0 && t.left == 0 && !t.inMessage }

// feed follows p, the next bytes read from the client.
func (t *frameTracker) feed(p []byte) {
	for len(p) > 0 {
		if t.left > 0 {
			n := min(uint64(len(p)), t.left)
			t.left -= n
			p = p[n:]
			continue
		}
		t.head[t.got] = p[0]
		t.got++
		p = p[1:]
		if t.got == 2 {
			t.want = 2
			switch t.head[1] & 0x7f {
			case 126:
				t.want += 2
			case 127:
				t.want += 8
			}
			if t.head[1]&0x80 != 0 { // masked: every client frame
				t.want += 4
			}
		}
		if t.got < 2 || t.got < t.want {
			continue
		}
		t.endHeader()
	}
}

// endHeader takes in a complete header.
func (t *frameTracker) endHeader() {
	fin, opcode := t.head[0]&0x80 != 0, t.head[0]&0x0f
	switch n := t.head[1] & 0x7f; n {
	case 126:
		t.left = uint64(binary.BigEndian.Uint16(t.head[2:4]))
	case 127:
		t.left = binary.BigEndian.Uint64(t.head[2:10])
	default:
		t.left = uint64(n)
	}
	if opcode < 8 { // data or continuation, not control
		t.inMessage = !fin
	}
	t.got, t.want = 0, 0
}
