package deliver

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// poller waits for the sockets of parked connections, all on one
// goroutine blocked in epoll_wait. Each socket is armed one-shot: its
// first event disarms it, and it is armed again when its connection
// parks again. A closed socket leaves the epoll set by itself, and its
// connection's Close wakes the wait (idleWait.wake). Arming happens inside
// RawConn.Control, which keeps the descriptor from being closed, and its
// number reused, meanwhile.
type poller struct {
	epfd int
	ids  atomic.Uint32

	// mu guards waits; nothing else is done under it.
	mu    sync.Mutex
	waits map[int32]*idleWait // parked, by descriptor
}

var (
	thePoller atomic.Pointer[poller]
	// pollerMu serialises starting the poller; pollerRetry is when a
	// start that failed may be tried again, in Unix nanoseconds.
	pollerMu    sync.Mutex
	pollerRetry atomic.Int64
)

// pollerRetryAfter is how long after a failed start (epoll_create1 out of
// descriptors, say) waits keep their own goroutines before the next try:
// a failure is not for the process's life, and trying at every park would
// cost a system call each.
const pollerRetryAfter = time.Second

// idlePoller returns the process's poller, started on first use; nil if
// it could not be started (then waits keep a goroutine each).
func idlePoller() *poller {
	if p := thePoller.Load(); p != nil {
		return p
	}
	if time.Now().UnixNano() < pollerRetry.Load() {
		return nil
	}
	pollerMu.Lock()
	defer pollerMu.Unlock()
	if p := thePoller.Load(); p != nil {
		return p
	}
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		pollerRetry.Store(time.Now().Add(pollerRetryAfter).UnixNano())
		return nil
	}
	p := &poller{epfd: epfd, waits: make(map[int32]*idleWait)}
	thePoller.Store(p)
	go p.run()
	return p
}

// park hands the wait to the poller and reports true, or reports false
// if the poller could not take it (the caller then waits itself). Once
// it reports true, resume runs in another goroutine, maybe before park
// returns.
func (w *idleWait) park() bool {
	p := idlePoller()
	if p == nil {
		return false
	}
	if w.id == 0 {
		w.id = p.ids.Add(1)
	}
	w.parked.Store(true) // before arming: the event may come at once
	armErr := errors.New("deliver: socket closed")
	w.socket.Control(func(fd uintptr) {
		// Only inside Control is the descriptor this connection's: once
		// it is closed its number may belong to a newer connection,
		// whose entry a store made outside would replace (and a failed
		// park's forget then delete, dropping that connection's events).
		p.mu.Lock()
		p.waits[w.fd] = w
		p.mu.Unlock()
		armErr = w.arm(p.epfd)
	})
	if armErr == nil {
		return true
	}
	// Closed, or epoll refused: take the wait back unless the poller or
	// Close already let it go.
	if !w.parked.CompareAndSwap(true, false) {
		return true
	}
	w.forget()
	return false
}

// arm re-enables the socket in the epoll set, or adds it there the first
// time: the kernel knows which (a closed socket leaves the set by itself,
// so a reused descriptor is added afresh), and a flag of our own would be
// one more thing for a reader the event already started to race on.
func (w *idleWait) arm(epfd int) error {
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     w.fd,
		Pad:    int32(w.id),
	}
	err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_MOD, int(w.fd), &ev)
	if errors.Is(err, syscall.ENOENT) {
		err = syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, int(w.fd), &ev)
	}
	return err
}

// forget removes the wait from the poller's map, unless a newer
// connection on the same descriptor has taken its place.
func (w *idleWait) forget() {
	p := idlePoller()
	p.mu.Lock()
	if p.waits[w.fd] == w {
		delete(p.waits, w.fd)
	}
	p.mu.Unlock()
}

// run lets go the waits whose sockets have something, starting a reader
// for each.
func (p *poller) run() {
	events := make([]syscall.EpollEvent, 256)
	var ready []*idleWait
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			// Only a bad epoll descriptor or buffer gets here: nothing
			// parked would ever wake, so stop loudly.
			panic(fmt.Sprintf("deliver: epoll_wait: %v", err))
		}
		p.mu.Lock()
		for _, ev := range events[:n] {
			// A closed descriptor's number may be reused by a newer
			// connection before its last event is read: the id tells.
			if w := p.waits[ev.Fd]; w != nil && w.id == uint32(ev.Pad) {
				delete(p.waits, ev.Fd)
				ready = append(ready, w)
			}
		}
		p.mu.Unlock()
		for i, w := range ready {
			if w.parked.CompareAndSwap(true, false) {
				go w.resume()
			}
			ready[i] = nil
		}
		ready = ready[:0]
	}
}

// PollsIdle reports whether a connection waiting for its client parks in
// the poller here, holding no goroutine (idlewait.go).
func PollsIdle() bool { return idlePoller() != nil }

// ParkedWaits is how many connections' waits the poller holds.
func ParkedWaits() int {
	p := idlePoller()
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waits)
}
