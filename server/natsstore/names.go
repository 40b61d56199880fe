package natsstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
)

// Names is chat.Registry on a key-value bucket: a name's compare key,
// base64url (keys are plain ASCII), holds its display form and the
// registration that took it. Claims are writes that expect the key's last
// revision, which NATS refuses to a second taker on any node; reads come
// from the node's mirror, or the bucket's leader where one decides.
type Names struct {
	kv       jetstream.KeyValue
	leader   leaderReads
	mirror   *chat.MemoryRegistry
	follower *follower
}

type holder struct {
	Display string     `json:"d"`
	Reg     chat.RegID `json:"r"`
}

func nameKey(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func openNames(ctx, run context.Context, js jetstream.JetStream, cfg Config) (*Names, error) {
	kv, leader, err := bucket(ctx, js, NamesBucket, cfg)
	if err != nil {
		return nil, err
	}
	n := &Names{kv: kv, leader: leader, mirror: chat.NewMemoryRegistry()}
	n.follower, err = mirror(ctx, run, js, kv, func(c change) {
		raw, err := base64.RawURLEncoding.DecodeString(c.key)
		if err != nil {
			return
		}
		key := string(raw)
		if c.deleted {
			n.mirror.Remove(key)
			return
		}
		if h, ok := decodeHolder(c.value); ok {
			n.mirror.Set(key, h)
		}
	})
	return n, err
}

// Claim implements chat.Registry. It does what kv.Create does, but reads a
// freed name's delete from the leader: kv.Create reads it from any replica,
// and one that lags still holds a name its leave, on any node, has just
// freed, so a person who left could not take their name back at once.
func (n *Names) Claim(ctx context.Context, key string, h chat.Holder) error {
	v, _ := json.Marshal(holder{Display: h.Display, Reg: h.Reg})
	var rev uint64 // the revision the claim expects: 0, a name never held
	for try := 0; ; try++ {
		err := settle(ctx, func() error { _, err := n.kv.Update(ctx, nameKey(key), v, rev); return err })
		if err == nil {
			n.mirror.Set(key, h) // at once here; the follower confirms
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
		if !again(ctx, try) {
			return errors.New("natsstore: the name kept changing while being claimed")
		}
		_, rev, err = n.leader.get(ctx, nameKey(key))
		switch {
		case errors.Is(err, jetstream.ErrKeyDeleted):
			// Freed: claim it over its delete.
		case errors.Is(err, jetstream.ErrKeyNotFound):
			rev = 0
		case err != nil:
			return err
		default:
			return chat.ErrNameTaken
		}
	}
}

// Release implements chat.Registry: it reads the name from the bucket's
// leader (never the mirror or a replica, which may lag) and deletes it with
// the revision read, so a release never frees a newer holder's claim.
func (n *Names) Release(ctx context.Context, key string, reg chat.RegID) (bool, error) {
	for try := 0; ; try++ {
		h, rev, ok, err := n.read(ctx, key)
		if err != nil || !ok || h.Reg != reg {
			return false, err // free, or freed by another node, which says the leave
		}
		err = settle(ctx, func() error { return n.kv.Delete(ctx, nameKey(key), jetstream.LastRevision(rev)) })
		if err == nil {
			n.mirror.Release(ctx, key, reg)
			return true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) || !again(ctx, try) {
			return false, err
		}
	}
}

// read returns the holder of key from the bucket's leader, with its
// revision; ok is false when the name is free (or its value unreadable).
func (n *Names) read(ctx context.Context, key string) (h chat.Holder, rev uint64, ok bool, err error) {
	v, rev, err := n.leader.get(ctx, nameKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return chat.Holder{}, 0, false, nil
	}
	if err != nil {
		return chat.Holder{}, 0, false, err
	}
	h, ok = decodeHolder(v)
	return h, rev, ok, nil
}

func decodeHolder(b []byte) (chat.Holder, bool) {
	var h holder
	if json.Unmarshal(b, &h) != nil {
		return chat.Holder{}, false
	}
	return chat.Holder{Display: h.Display, Reg: h.Reg}, true
}

// Lookup implements chat.Registry: from the mirror, or, for a name the
// mirror has not seen yet (taken on another node a moment ago), from the
// bucket, so a direct message to a newcomer is not refused for a lag.
func (n *Names) Lookup(key string) (chat.Holder, bool) {
	if h, ok := n.mirror.Lookup(key); ok {
		return h, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	h, _, ok, _ := n.read(ctx, key)
	return h, ok
}

// Count implements chat.Registry, from the mirror.
func (n *Names) Count() int { return n.mirror.Count() }

// List implements chat.Registry, from the mirror.
func (n *Names) List(prefix string, limit int) []string { return n.mirror.List(prefix, limit) }

// Holders implements chat.Registry, from the mirror.
func (n *Names) Holders(visit func(key string, h chat.Holder)) { n.mirror.Holders(visit) }
