package api

// PollsIdle reports whether waiting connections are parked in the poller
// here, holding no goroutine (idlewait.go).
func PollsIdle() bool { return pollsIdle() }
