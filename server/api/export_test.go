package api

// PollsIdle reports whether waiting connections are parked in the poller
// here, holding no goroutine (idlewait.go).
func PollsIdle() bool { return pollsIdle() }

// ParkedWaits is how many connections' waits the poller holds.
func ParkedWaits() int { return parkedWaits() }
