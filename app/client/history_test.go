//go:build !js

package client

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"hark/app/protocol"
	"hark/server/chat"
)

// History pages back through everything the session may see, and through
// one DM conversation, on any transport: each message once, in order, to
// the start; bad parameters come back as the server's refusal.
func TestHistory(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, chat.Config{})
			alice := join(t, srv.URL, tr, "Alice", nil)
			bob := rawSession(t, srv.URL, "Bob")
			var all, broadcasts, dms []string
			for i := range 23 {
				id := fmt.Sprintf("m%d", i)
				if i%2 == 0 {
					rawSend(t, srv.URL, bob.Token, id, id)
					broadcasts = append(broadcasts, id)
				} else {
					alice.Send("Bob", id)
					alice.waitTexts(id) // in the log before the next send
					dms = append(dms, id)
				}
				all = append(all, id)
			}
			ctx := context.Background()
			scroll := func(q HistoryQuery) []string {
				var got []string
				q.Limit = 4
				for {
					h, err := alice.History(ctx, q)
					if err != nil {
						t.Fatalf("History(%+v): %v", q, err)
					}
					var page []string
					for _, e := range h.Events {
						page = append(page, e.Text)
					}
					got = append(page, got...)
					if !h.More {
						return got
					}
					q.Before = h.Events[0].Seq
				}
			}
			if got := scroll(HistoryQuery{}); !slices.Equal(got, all) {
				t.Errorf("History scrolled\n got %v\nwant %v", got, all)
			}
			if got := scroll(HistoryQuery{With: "bob"}); !slices.Equal(got, dms) {
				t.Errorf("History with bob\n got %v\nwant %v", got, dms)
			}
			if got := scroll(HistoryQuery{Everyone: true}); !slices.Equal(got, broadcasts) {
				t.Errorf("History of everyone's conversation\n got %v\nwant %v", got, broadcasts)
			}
			if _, err := alice.History(ctx, HistoryQuery{With: "no\x00name"}); !isCode(err, protocol.CodeBadRequest) {
				t.Errorf("History with a bad name: %v, want bad_request", err)
			}
		})
	}
}
