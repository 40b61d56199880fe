package natsstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
)

// DevicesBucket keeps the one-time device codes.
const DevicesBucket = "hark_devices"

// Devices is chat.Devices on a key-value bucket keyed by the hex of a
// code's digest (never the code), and "out." and the hex of a token's
// digest for a device signed out everywhere. Each code is a Create with its own TTL
// (KeyTTL, which needs the bucket's LimitMarkerTTL), so NATS forgets
// codes nobody used; taking one is a delete that expects the revision
// read from the bucket's leader, which NATS grants to one taker on any
// node. No node keeps a copy: a code is read once, when it is used.
type Devices struct {
	kv     jetstream.KeyValue
	leader leaderReads
	now    func() time.Time
}

type codeValue struct {
	Name    string     `json:"n"`
	Reg     chat.RegID `json:"r"`
	Expires int64      `json:"e"` // Unix milliseconds, the chat's clock
	Until   int64      `json:"u"` // Unix milliseconds: the end of its TTL
}

// markerTTL is how long the bucket keeps the marker of an expired code:
// long enough for a taker that read the code to find it gone.
const markerTTL = time.Minute

func openDevices(ctx context.Context, js jetstream.JetStream, cfg Config) (*Devices, error) {
	kv, leader, err := ttlBucket(ctx, js, DevicesBucket, cfg)
	if err != nil {
		return nil, err
	}
	return &Devices{kv: kv, leader: leader, now: time.Now}, nil
}

// ttlBucket binds to a bucket whose keys may each have a TTL (putOnce),
// and to reads from its leader.
func ttlBucket(ctx context.Context, js jetstream.JetStream, name string, cfg Config) (jetstream.KeyValue, leaderReads, error) {
	kc := bucketConfig(name, cfg)
	kc.LimitMarkerTTL = markerTTL
	return bucketAs(ctx, js, kc)
}

func codeKey(k chat.CodeKey) string { return hex.EncodeToString(k[:]) }

// Put implements chat.Devices.
func (d *Devices) Put(ctx context.Context, k chat.CodeKey, c chat.DeviceCode, ttl time.Duration) error {
	v, _ := json.Marshal(codeValue{Name: c.Name, Reg: c.Reg, Expires: c.Expires.UnixMilli(), Until: d.now().Add(ttl).UnixMilli()})
	return putOnce(ctx, d.kv, codeKey(k), v, ttl)
}

// putOnce creates key with value v, to be taken once, and has NATS forget
// it after ttl. KeyTTL is in whole seconds, and NATS removes an expired
// key a moment later: the end kept in the value is exact, and a taker
// refuses a value past it before NATS has removed it.
func putOnce(ctx context.Context, kv jetstream.KeyValue, key string, v []byte, ttl time.Duration) error {
	ttl = max(ttl.Round(time.Second), time.Second)
	return settle(ctx, func() error {
		_, err := kv.Create(ctx, key, v, jetstream.KeyTTL(ttl))
		return err
	})
}

// Take implements chat.Devices.
func (d *Devices) Take(ctx context.Context, k chat.CodeKey) (chat.DeviceCode, bool, error) {
	v, ok, err := takeOnce(ctx, d.kv, d.leader, codeKey(k))
	if !ok || err != nil {
		return chat.DeviceCode{}, false, err
	}
	var cv codeValue
	if json.Unmarshal(v, &cv) != nil {
		return chat.DeviceCode{}, false, nil
	}
	c := chat.DeviceCode{Name: cv.Name, Reg: cv.Reg, Expires: time.UnixMilli(cv.Expires)}
	return c, d.now().Before(time.UnixMilli(cv.Until)), nil
}

// takeOnce removes key and returns its value: ok is false for a key not
// there, and of several takers on any nodes at most one gets ok.
func takeOnce(ctx context.Context, kv jetstream.KeyValue, leader leaderReads, key string) ([]byte, bool, error) {
	for try := 0; ; try++ {
		// From the leader: a replica may not have the key yet, or still
		// have one another taker has used.
		v, rev, err := leader.get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		err = settle(ctx, func() error { return kv.Delete(ctx, key, jetstream.LastRevision(rev)) })
		if err == nil {
			return v, true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil, false, err
		}
		// Taken by another, or the leader still applying the key's
		// write: read it again, and the next read says which.
		if !again(ctx, try) {
			return nil, false, errors.New("natsstore: a one-time key kept changing while being taken")
		}
	}
}

func outKey(d chat.Digest) string { return "out." + hex.EncodeToString(d[:]) }

// SignOut implements chat.Devices: a Put, since a device is signed out
// once, and again changes nothing but the TTL.
func (d *Devices) SignOut(ctx context.Context, dg chat.Digest, ttl time.Duration) error {
	v, _ := json.Marshal(d.now().Add(ttl).UnixMilli())
	return settle(ctx, func() error {
		_, err := d.kv.Create(ctx, outKey(dg), v, jetstream.KeyTTL(max(ttl.Round(time.Second), time.Second)))
		if errors.Is(err, jetstream.ErrKeyExists) {
			return nil // signed out already
		}
		return err
	})
}

// SignedOut implements chat.Devices, from the bucket's leader: a device
// refused a moment after it was signed out must be told so.
func (d *Devices) SignedOut(ctx context.Context, dg chat.Digest) (bool, error) {
	v, _, err := d.leader.get(ctx, outKey(dg))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var until int64
	if json.Unmarshal(v, &until) != nil {
		return false, nil
	}
	return d.now().Before(time.UnixMilli(until)), nil
}

// Held implements chat.Registry, from the bucket's leader.
func (n *Names) Held(ctx context.Context, key string, reg chat.RegID) (bool, error) {
	h, _, ok, err := n.read(ctx, key)
	return ok && h.Reg == reg, err
}

// OfReg implements chat.SessionStore, from the copy.
func (s *Sessions) OfReg(reg chat.RegID) []chat.Digest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []chat.Digest
	for d, cur := range s.byKey {
		if cur.rec.Reg == reg {
			out = append(out, d)
		}
	}
	return out
}
