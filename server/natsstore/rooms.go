package natsstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
)

// RoomsBucket keeps the rooms and their members.
const RoomsBucket = "hark_rooms"

// Rooms is chat.Rooms on a key-value bucket: "r.<id>" holds a room's
// record, "n.<base64url of its name key>" its id (the name's claim: a
// Create, which NATS grants to one taker on any node), and
// "m.<id>.<registration, hex>" a member. Every node keeps a copy of the
// bucket (a chat.MemoryRooms, by an ordered consumer), which reads come
// from; each write waits until this node's copy has it, so what a node
// wrote it reads back at once.
type Rooms struct {
	kv       jetstream.KeyValue
	leader   leaderReads
	local    *chat.MemoryRooms
	follower *follower
}

func roomKey(id string) string { return "r." + id }

func roomNameKey(key string) string { return "n." + base64.RawURLEncoding.EncodeToString([]byte(key)) }

func memberKey(id string, reg chat.RegID) string {
	return "m." + id + "." + strconv.FormatUint(uint64(reg), 16)
}

func openRooms(ctx, run context.Context, js jetstream.JetStream, cfg Config) (*Rooms, error) {
	kv, leader, err := bucket(ctx, js, RoomsBucket, cfg)
	if err != nil {
		return nil, err
	}
	r := &Rooms{kv: kv, leader: leader, local: chat.NewMemoryRooms()}
	r.follower, err = mirror(ctx, run, js, kv, r.apply)
	return r, err
}

// apply is one change of the bucket, into this node's copy.
func (r *Rooms) apply(c change) {
	switch {
	case strings.HasPrefix(c.key, "r."):
		id := c.key[len("r."):]
		if c.deleted {
			r.local.DropRoom(id)
			return
		}
		var rec chat.RoomRecord
		if json.Unmarshal(c.value, &rec) == nil {
			r.local.SetRoom(rec)
		}
	case strings.HasPrefix(c.key, "m."):
		id, hex, ok := strings.Cut(c.key[len("m."):], ".")
		reg, err := strconv.ParseUint(hex, 16, 64)
		if !ok || err != nil {
			return
		}
		if c.deleted {
			r.local.DropMember(id, chat.RegID(reg))
			return
		}
		var m chat.Member
		if json.Unmarshal(c.value, &m) == nil {
			r.local.SetMember(id, m)
		}
	}
}

// applied waits until this node's copy holds the bucket's write at rev.
func (r *Rooms) applied(ctx context.Context, rev uint64) error {
	return r.follower.pos.waitFor(ctx, rev)
}

// put writes v under key and waits for this node's copy to have it.
func (r *Rooms) put(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var rev uint64
	if err := settle(ctx, func() (err error) { rev, err = r.kv.Put(ctx, key, b); return err }); err != nil {
		return err
	}
	return r.applied(ctx, rev)
}

// claim takes the name key for room id, or reports ErrRoomTaken.
func (r *Rooms) claim(ctx context.Context, key, id string) error {
	err := settle(ctx, func() error { _, err := r.kv.Create(ctx, roomNameKey(key), []byte(id)); return err })
	if errors.Is(err, jetstream.ErrKeyExists) {
		return chat.ErrRoomTaken
	}
	return err
}

// Create implements chat.Rooms: the name's claim decides, then the
// record is written; a record that cannot be written gives the name back.
func (r *Rooms) Create(ctx context.Context, rec chat.RoomRecord) error {
	if err := r.claim(ctx, rec.Key, rec.ID); err != nil {
		return err
	}
	if err := r.put(ctx, roomKey(rec.ID), rec); err != nil {
		r.kv.Delete(context.WithoutCancel(ctx), roomNameKey(rec.Key))
		return err
	}
	return nil
}

// record reads room id's record from the bucket's leader.
func (r *Rooms) record(ctx context.Context, id string) (chat.RoomRecord, error) {
	v, _, err := r.leader.get(ctx, roomKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return chat.RoomRecord{}, chat.ErrNoRoom
	}
	if err != nil {
		return chat.RoomRecord{}, err
	}
	var rec chat.RoomRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return chat.RoomRecord{}, err
	}
	return rec, nil
}

// Update implements chat.Rooms: a new name is claimed before the record
// changes, and the old one freed after.
func (r *Rooms) Update(ctx context.Context, rec chat.RoomRecord) error {
	old, err := r.record(ctx, rec.ID)
	if err != nil {
		return err
	}
	if old.Key != rec.Key {
		if err := r.claim(ctx, rec.Key, rec.ID); err != nil {
			return err
		}
	}
	if err := r.put(ctx, roomKey(rec.ID), rec); err != nil {
		return err
	}
	if old.Key != rec.Key {
		return settle(ctx, func() error { return r.kv.Delete(ctx, roomNameKey(old.Key)) })
	}
	return nil
}

// Delete implements chat.Rooms: the record first (the room is gone for
// every node), then its members and its name.
func (r *Rooms) Delete(ctx context.Context, id string) error {
	rec, err := r.record(ctx, id)
	if errors.Is(err, chat.ErrNoRoom) {
		return nil
	}
	if err != nil {
		return err
	}
	members := r.local.Members(id)
	if err := settle(ctx, func() error { return r.kv.Delete(ctx, roomKey(id)) }); err != nil {
		return err
	}
	for _, m := range members {
		if err := settle(ctx, func() error { return r.kv.Delete(ctx, memberKey(id, m.Reg)) }); err != nil {
			return err
		}
	}
	if err := settle(ctx, func() error { return r.kv.Delete(ctx, roomNameKey(rec.Key)) }); err != nil {
		return err
	}
	return r.Current(ctx)
}

// PutMember implements chat.Rooms.
func (r *Rooms) PutMember(ctx context.Context, id string, m chat.Member) error {
	return r.put(ctx, memberKey(id, m.Reg), m)
}

// RemoveMember implements chat.Rooms: it reads the membership from the
// bucket's leader and deletes the revision read, so of two removers on
// any nodes one is told it was a member.
func (r *Rooms) RemoveMember(ctx context.Context, id string, reg chat.RegID) (bool, error) {
	key := memberKey(id, reg)
	for try := 0; ; try++ {
		_, rev, err := r.leader.get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		err = settle(ctx, func() error { return r.kv.Delete(ctx, key, jetstream.LastRevision(rev)) })
		if err == nil {
			return true, r.Current(ctx)
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) || !again(ctx, try) {
			return false, err
		}
	}
}

// Room implements chat.Rooms, from this node's copy.
func (r *Rooms) Room(id string) (chat.RoomRecord, bool) { return r.local.Room(id) }

// Member implements chat.Rooms, from this node's copy.
func (r *Rooms) Member(id string, reg chat.RegID) (chat.Member, bool) { return r.local.Member(id, reg) }

// Members implements chat.Rooms, from this node's copy.
func (r *Rooms) Members(id string) []chat.Member { return r.local.Members(id) }

// RoomsOf implements chat.Rooms, from this node's copy.
func (r *Rooms) RoomsOf(reg chat.RegID) []string { return r.local.RoomsOf(reg) }

// Public implements chat.Rooms, from this node's copy.
func (r *Rooms) Public(after string, limit int) []chat.RoomRecord {
	return r.local.Public(after, limit)
}

// Memberships implements chat.Rooms, from this node's copy.
func (r *Rooms) Memberships(visit func(string, chat.Member)) { r.local.Memberships(visit) }

// Current implements chat.Rooms: it reads the bucket's last write from
// its leader and waits until this node's copy has applied it.
func (r *Rooms) Current(ctx context.Context) error {
	last, err := r.leader.last(ctx)
	if err != nil {
		return err
	}
	return r.applied(ctx, last)
}
