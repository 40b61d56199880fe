//go:build !linux

package api

// park reports false: without epoll, a waiting connection keeps a
// goroutine (idlewait.go).
func (w *idleWait) park() bool { return false }

func (w *idleWait) forget() {}

func pollsIdle() bool { return false }

func parkedWaits() int { return 0 }
