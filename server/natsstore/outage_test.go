package natsstore_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"hark/app/protocol"
	"hark/server/chat"
	"hark/server/natsstore"
)

// followAgainBound is how long after its NATS server dies a node's copy of
// the log, and the streams it feeds, may lag what the stream
// acknowledged.
const followAgainBound = 2 * time.Second

// When the NATS server that feeds a node's copy of the log dies, the copy
// and the streams it feeds stay within followAgainBound of what the
// cluster acknowledges: every message node a sends after the loss reaches
// a stream on node b at most that long after its acknowledgement. Waiting
// for the ordered consumer to be made again took 5-11 s when the lost
// server was also the JetStream meta leader, since no consumer can be made
// until a new one is elected.
//
// HARK_KILLS=20 runs twenty losses, each on a fresh cluster, and reports
// the lags (make test runs one).
func TestLogCopyFollowsAgainAfterItsServerDies(t *testing.T) {
	kills := 1
	if n, err := strconv.Atoi(os.Getenv("HARK_KILLS")); err == nil && n > 0 {
		kills = n
	}
	var lags []time.Duration
	for i := range kills {
		t.Run(fmt.Sprint("loss", i+1), func(t *testing.T) {
			lag, meta := copyLagAfterLoss(t)
			t.Logf("loss %d (meta leader too: %v): the longest lag after an ack was %v", i+1, meta, lag)
			lags = append(lags, lag)
			if lag > followAgainBound {
				t.Errorf("node b's stream lagged %v behind an acknowledgement, want at most %v", lag, followAgainBound)
			}
		})
	}
	slices.Sort(lags)
	t.Logf("longest lag after each of %d losses, sorted: %v", kills, lags)
}

// copyLagAfterLoss kills the server that feeds node b's copy of the log
// while node a sends, and returns the longest time from a message's
// acknowledgement on a to its delivery to a stream on b, and whether the
// server lost was the meta leader too.
func copyLagAfterLoss(t *testing.T) (time.Duration, bool) {
	servers := cluster(t, 3)
	// The worst loss: the server node b is connected to, which is also
	// the JetStream meta leader, without which no consumer can be made.
	// Node b connects as a Hark node does (every URL, nats.go's default
	// reconnect timing), to that server first.
	var victim string
	var urls []string
	for _, s := range servers {
		if s.JetStreamIsLeader() {
			victim = s.Name()
			urls = append([]string{s.ClientURL()}, urls...)
		} else {
			urls = append(urls, s.ClientURL())
		}
	}
	nc, err := nats.Connect(strings.Join(urls, ","), nats.MaxReconnects(-1), nats.DontRandomize())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	b := newNodeKeeping(t, nc, 3, time.Minute, 1000)
	if victim == "" || nc.ConnectedServerName() != victim {
		t.Fatalf("node b is connected to %s, not to the meta leader %q", nc.ConnectedServerName(), victim)
	}
	t.Logf("losing %s; the log consumer's host: %s", victim, streamConsumerHost(t, servers, natsstore.StreamName))
	others := without(servers, victim)
	a := newNodeKeeping(t, connectAll(t, others), 3, time.Minute, 1000)
	alice, _ := register(t, a.chat, "Alice")
	_, bobTok := register(t, b.chat, "Bob")
	st := openStream(t, b.chat, bobTok)

	var mu sync.Mutex
	seen := map[uint64]time.Time{}
	readCtx, stopReading := context.WithCancel(context.Background())
	defer stopReading()
	go func() {
		for {
			e, err := st.Next(readCtx)
			if err != nil {
				return
			}
			if e.Type() == protocol.TypeMessage {
				mu.Lock()
				seen[e.Seq()] = time.Now()
				mu.Unlock()
			}
		}
	}()

	meta := false
	for _, s := range servers {
		if s.Name() == victim {
			meta = s.JetStreamIsLeader()
			s.Shutdown()
		}
	}
	// Send for long enough to cover an election; a copy that waits for
	// its consumer (10-11 s) gets these late, which is the failure.
	acked := map[uint64]time.Time{}
	// (And for at least twenty acknowledgements, however long the
	// stream's own election holds the sends.)
	end, giveUp := time.Now().Add(6*time.Second), time.Now().Add(30*time.Second)
	for i := 0; time.Now().Before(end) || len(acked) < 20 && time.Now().Before(giveUp); i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		seq, err := a.chat.Send(ctx, alice, protocol.Send{ID: fmt.Sprint("m", i), Text: "after the loss"})
		cancel()
		if err == nil {
			acked[seq] = time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(acked) < 20 {
		t.Fatalf("only %d sends were acknowledged in the 30 s after the loss", len(acked))
	}
	missing := func() []uint64 {
		mu.Lock()
		defer mu.Unlock()
		var out []uint64
		for seq := range acked {
			if _, ok := seen[seq]; !ok {
				out = append(out, seq)
			}
		}
		slices.Sort(out)
		return out
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(missing()) > 0 {
		if time.Now().After(deadline) {
			m := missing()
			inCopy := 0
			b.store.Log.Since(0, func(e *chat.Entry) bool {
				if _, ok := slices.BinarySearch(m, e.Seq()); ok {
					inCopy++
				}
				return true
			})
			aHas := 0
			a.store.Log.Since(0, func(e *chat.Entry) bool {
				if _, ok := slices.BinarySearch(m, e.Seq()); ok {
					aHas++
				}
				return true
			})
			t.Logf("of the missing, %d are in b's copy, %d in a's; missing: %v", inCopy, aHas, m)
			t.Fatalf("node b's stream lacks %d of %d acknowledged messages 30 s on (from seq %d); b's copy is at %d, a's at %d; b's stream: %v",
				len(m), len(acked), m[0], b.store.Log.Head(), a.store.Log.Head(), st.Reason())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var lag time.Duration
	mu.Lock()
	for seq, at := range acked {
		lag = max(lag, seen[seq].Sub(at))
	}
	mu.Unlock()
	return lag, meta
}
