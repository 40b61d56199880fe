package natsstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
)

// PasskeysBucket keeps the passkeys that keep names, and the state of
// passkey ceremonies under way.
const PasskeysBucket = "hark_passkeys"

// Passkeys is chat.Passkeys on a key-value bucket: "name." and the
// base64url of a name's compare key holds what keeps the name (a change
// expects the revision it read, so two nodes adding passkeys at once both
// land); "cer." and the hex of a ceremony id's digest holds a ceremony,
// made with its own TTL (KeyTTL, which needs the bucket's LimitMarkerTTL)
// so NATS forgets those never finished, and taken like a device code: a
// delete expecting the revision read from the leader, granted to one
// taker on any node. Reads a decision rests on come from the leader; no
// node keeps a copy.
type Passkeys struct {
	kv     jetstream.KeyValue
	leader leaderReads
	now    func() time.Time
}

type keptValue struct {
	Display     string                `json:"n"`
	Reg         chat.RegID            `json:"r"`
	Handle      []byte                `json:"h"`
	Credentials []webauthn.Credential `json:"c"`
}

type ceremonyValue struct {
	Ceremony chat.Ceremony `json:"c"`
	Until    int64         `json:"u"` // Unix milliseconds: the end of its TTL
}

func openPasskeys(ctx context.Context, js jetstream.JetStream, cfg Config) (*Passkeys, error) {
	kv, leader, err := ttlBucket(ctx, js, PasskeysBucket, cfg)
	if err != nil {
		return nil, err
	}
	return &Passkeys{kv: kv, leader: leader, now: time.Now}, nil
}

func keptKey(key string) string         { return "name." + nameKey(key) }
func ceremonyKey(k chat.CodeKey) string { return "cer." + hex.EncodeToString(k[:]) }

// read returns what keeps name key and its revision (the revision of a
// delete, or 0, when nothing does), from the leader.
func (p *Passkeys) read(ctx context.Context, key string) (keptValue, uint64, bool, error) {
	v, rev, err := p.leader.get(ctx, keptKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return keptValue{}, rev, false, nil
	}
	if err != nil {
		return keptValue{}, 0, false, err
	}
	var kv keptValue
	if err := json.Unmarshal(v, &kv); err != nil {
		return keptValue{}, 0, false, err
	}
	return kv, rev, true, nil
}

// Keep implements chat.Passkeys.
func (p *Passkeys) Keep(ctx context.Context, key string) (chat.Kept, bool, error) {
	v, _, ok, err := p.read(ctx, key)
	return chat.Kept(v), ok, err
}

// Add implements chat.Passkeys.
func (p *Passkeys) Add(ctx context.Context, key string, k chat.Kept, cred webauthn.Credential) error {
	for try := 0; ; try++ {
		old, rev, ok, err := p.read(ctx, key)
		if err != nil {
			return err
		}
		if ok && old.Reg != k.Reg {
			return chat.ErrKeptByOther
		}
		if !ok {
			old = keptValue{Display: k.Display, Reg: k.Reg, Handle: k.Handle}
		}
		kept := chat.Kept(old)
		kept.Credentials = chat.WithCredential(kept.Credentials, cred)
		v, err := json.Marshal(keptValue(kept))
		if err != nil {
			return err
		}
		err = settle(ctx, func() error {
			if rev == 0 {
				_, err := p.kv.Create(ctx, keptKey(key), v)
				return err
			}
			_, err := p.kv.Update(ctx, keptKey(key), v, rev)
			return err
		})
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
		// Another node changed it meanwhile: read it again.
		if !again(ctx, try) {
			return errors.New("natsstore: a name's passkeys kept changing while one was added")
		}
	}
}

// Remove implements chat.Passkeys.
func (p *Passkeys) Remove(ctx context.Context, key string, reg chat.RegID) (bool, error) {
	for try := 0; ; try++ {
		old, rev, ok, err := p.read(ctx, key)
		if err != nil || !ok || old.Reg != reg {
			return false, err
		}
		err = settle(ctx, func() error { return p.kv.Delete(ctx, keptKey(key), jetstream.LastRevision(rev)) })
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return false, err
		}
		if !again(ctx, try) {
			return false, errors.New("natsstore: a name's passkeys kept changing while they were removed")
		}
	}
}

// PutCeremony implements chat.Passkeys.
func (p *Passkeys) PutCeremony(ctx context.Context, k chat.CodeKey, c chat.Ceremony, ttl time.Duration) error {
	v, err := json.Marshal(ceremonyValue{Ceremony: c, Until: p.now().Add(ttl).UnixMilli()})
	if err != nil {
		return err
	}
	return putOnce(ctx, p.kv, ceremonyKey(k), v, ttl)
}

// TakeCeremony implements chat.Passkeys.
func (p *Passkeys) TakeCeremony(ctx context.Context, k chat.CodeKey) (chat.Ceremony, bool, error) {
	v, ok, err := takeOnce(ctx, p.kv, p.leader, ceremonyKey(k))
	if !ok || err != nil {
		return chat.Ceremony{}, false, err
	}
	var cv ceremonyValue
	if json.Unmarshal(v, &cv) != nil {
		return chat.Ceremony{}, false, nil
	}
	return cv.Ceremony, p.now().Before(time.UnixMilli(cv.Until)), nil
}
