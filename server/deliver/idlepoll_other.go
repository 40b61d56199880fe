//go:build !linux

package deliver

// park reports false: without epoll, a waiting connection keeps a
// goroutine (idlewait.go).
func (w *idleWait) park() bool { return false }

func (w *idleWait) forget() {}

// PollsIdle reports false: without epoll no wait parks.
func PollsIdle() bool { return false }

// ParkedWaits is 0: without epoll no wait parks.
func ParkedWaits() int { return 0 }
