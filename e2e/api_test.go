package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"hark/app/protocol"
)

// apiUser is a person who talks to the server from Go, to keep sending
// while a browser does something else.
type apiUser struct {
	base  string
	token string
}

func newAPIUser(t *testing.T, base, name string) *apiUser {
	t.Helper()
	body, _ := json.Marshal(protocol.SessionRequest{Name: name})
	resp, err := http.Post(base+"/api/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s protocol.Session
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&s) != nil {
		t.Fatalf("registering %s: %s", name, resp.Status)
	}
	return &apiUser{base: base, token: s.Token}
}

// send posts one broadcast.
func (u *apiUser) send(id, text string) error { return u.sendTo(id, "", text) }

// sendNumbered sends "prefix 1" … "prefix n", perSecond of them a second.
func (u *apiUser) sendNumbered(prefix string, n, perSecond int) error {
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	for i := 1; i <= n; i++ {
		<-tick.C
		if err := u.send(fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("%s %d", prefix, i)); err != nil {
			return err
		}
	}
	return nil
}

// users lists the names online.
func (u *apiUser) users(t *testing.T) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u.base+"/api/users", nil)
	req.Header.Set("Authorization", "Bearer "+u.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l protocol.Users
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&l) != nil {
		t.Fatalf("listing users: %s", resp.Status)
	}
	return l.Users
}
