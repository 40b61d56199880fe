package natsstore_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
	"hark/server/chat/storetest"
	"hark/server/natsstore"
)

// The NATS store keeps the store contract: on the embedded server, each
// clause on a server of its own with two nodes on it; on a three-server
// cluster, two nodes on different servers, the stream and buckets
// deleted between clauses.
func TestStoreContract(t *testing.T) {
	t.Parallel() // its own servers; waits more than it works
	t.Run("embedded", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, l chat.Limits) storetest.Deployment {
			srv, nc, err := natsstore.Embedded(natsstore.EmbeddedConfig{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nc.Close(); srv.Shutdown(); srv.WaitForShutdown() })
			return nodesOn(l, 1, srv)
		})
	})
	t.Run("cluster", func(t *testing.T) {
		servers := cluster(t, 3)
		admin := connectAll(t, servers)
		storetest.Run(t, func(t *testing.T, l chat.Limits) storetest.Deployment {
			deleteAll(t, admin)
			return nodesOn(l, 3, servers...)
		})
	})
}

// nodesOn is a deployment whose nodes each connect to the next of
// servers (in process: the embedded server listens on no port), keeping
// replicas copies.
func nodesOn(l chat.Limits, replicas int, servers ...*server.Server) storetest.Deployment {
	next := 0
	return func(t *testing.T) chat.Store {
		t.Helper()
		s := servers[next%len(servers)]
		next++
		nc, err := nats.Connect("", nats.InProcessServer(s))
		if err != nil {
			t.Fatal(err)
		}
		st := openStore(t, nc, natsstore.Config{Limits: l, Replicas: replicas})
		t.Cleanup(func() { st.Close(); nc.Close() })
		return st.Chat()
	}
}

// deleteAll deletes the stream and buckets, so the next deployment
// starts empty, with a new epoch.
func deleteAll(t *testing.T, nc *nats.Conn) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"KV_" + natsstore.NamesBucket, "KV_" + natsstore.SessionsBucket, "OBJ_" + natsstore.FilesBucket, "KV_" + natsstore.DevicesBucket, "KV_" + natsstore.RoomsBucket, "KV_" + natsstore.ReadBucket, natsstore.StreamName} {
		if err := js.DeleteStream(ctx, name); err != nil && err != jetstream.ErrStreamNotFound {
			t.Fatalf("deleting %s: %v", name, err)
		}
	}
}
