package ui

import "hark/app/client"

// newStore keeps the session in the tab's sessionStorage, so a reload
// resumes the same name and position, and the outbox in localStorage.
func newStore() client.Store { return client.NewBrowserStore() }
