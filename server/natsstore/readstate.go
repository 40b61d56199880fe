package natsstore

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"hark/app/protocol"
	"hark/server/chat"
)

// ReadBucket keeps the read positions of each person.
const ReadBucket = "hark_read"

// ReadKeep is how long the read positions of a person who marks nothing
// are kept: a person's positions go when the name is freed, and a node
// that fails to drop them leaves them for this long at most.
const ReadKeep = 30 * 24 * time.Hour

// ReadState is chat.ReadState on a key-value bucket: one key per
// registration (its hex), whose value is every position of the person,
// a JSON object by conversation key. A device reading its positions when
// it connects is then one read, and a person's marks, a few a second at
// most, contend only with each other: a mark reads the value from the
// bucket's leader and writes it back expecting that revision, again if
// another node wrote first, so of racing marks the highest is kept. No
// node keeps a copy.
type ReadState struct {
	kv     jetstream.KeyValue
	leader leaderReads
}

func openReadState(ctx context.Context, js jetstream.JetStream, cfg Config) (*ReadState, error) {
	kc := bucketConfig(ReadBucket, cfg)
	kc.TTL = ReadKeep
	kv, leader, err := bucketAs(ctx, js, kc)
	if err != nil {
		return nil, err
	}
	return &ReadState{kv: kv, leader: leader}, nil
}

func readKey(reg chat.RegID) string { return strconv.FormatUint(uint64(reg), 16) }

// positions reads reg's positions and the revision a write over them
// expects (0: none yet).
func (r *ReadState) positions(ctx context.Context, reg chat.RegID) (map[string]protocol.ReadMark, uint64, error) {
	v, rev, err := r.leader.get(ctx, readKey(reg))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return map[string]protocol.ReadMark{}, rev, nil
	}
	if err != nil {
		return nil, 0, err
	}
	pos := map[string]protocol.ReadMark{}
	if err := json.Unmarshal(v, &pos); err != nil {
		return nil, 0, err
	}
	return pos, rev, nil
}

// Mark implements chat.ReadState.
func (r *ReadState) Mark(ctx context.Context, reg chat.RegID, conv string, m protocol.ReadMark) (protocol.ReadMark, bool, error) {
	for try := 0; ; try++ {
		pos, rev, err := r.positions(ctx, reg)
		if err != nil {
			return protocol.ReadMark{}, false, err
		}
		if old, ok := pos[conv]; ok && old.Seq >= m.Seq {
			return old, false, nil
		}
		pos[conv] = m
		v, _ := json.Marshal(pos)
		err = settle(ctx, func() error { _, err := r.kv.Update(ctx, readKey(reg), v, rev); return err })
		if err == nil {
			return m, true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return protocol.ReadMark{}, false, err
		}
		// Another device's mark came first: read what it kept.
		if !again(ctx, try) {
			return protocol.ReadMark{}, false, errors.New("natsstore: the read positions kept changing while being marked")
		}
	}
}

// Positions implements chat.ReadState, from the bucket's leader: a
// device that connects a moment after another marked must see the mark.
func (r *ReadState) Positions(ctx context.Context, reg chat.RegID) ([]protocol.ReadMark, error) {
	pos, _, err := r.positions(ctx, reg)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.ReadMark, 0, len(pos))
	for _, p := range pos {
		out = append(out, p)
	}
	return out, nil
}

// Forget implements chat.ReadState. Most people never mark anything: a
// read first, so that freeing their names stores no delete marker.
func (r *ReadState) Forget(ctx context.Context, reg chat.RegID) error {
	_, _, err := r.leader.get(ctx, readKey(reg))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil
	}
	if err != nil {
		return err
	}
	return settle(ctx, func() error { return r.kv.Delete(ctx, readKey(reg)) })
}
