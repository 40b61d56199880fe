package natsstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
)

// Headers that carry what a record holds besides its body.
const (
	hdrKind = "Hark-Kind"
	hdrFrom = "Hark-From"
	hdrTo   = "Hark-To"
	// The compare keys of a direct message's names, for the history
	// index; records stored without them have them read from the body.
	hdrFromKey = "Hark-From-Key"
	hdrToKey   = "Hark-To-Key"
	// The room whose members alone may see the event.
	hdrRoom = "Hark-Room"
)

// Log is chat.Log on a JetStream stream. Appends publish and wait for the
// stream's ack (the seq); the node's copy, which Since, Messages and Head
// read, is filled by one ordered consumer, which also feeds the fan-out.
type Log struct {
	js       jetstream.JetStream
	cache    *chat.MemoryLog
	follower *follower

	// Changed says which of the stream's limits this node's Config changed
	// when it opened ("keep 10000 -> 500"): every node sets them, so the
	// last one started wins, and nodes that disagree should be told.
	Changed []string
}

// limitChanges lists the limits in which want differs from have.
func limitChanges(have, want jetstream.StreamConfig) []string {
	var out []string
	if have.MaxMsgsPerSubject != want.MaxMsgsPerSubject {
		out = append(out, fmt.Sprintf("keep %d -> %d", have.MaxMsgsPerSubject, want.MaxMsgsPerSubject))
	}
	if have.MaxAge != want.MaxAge {
		out = append(out, fmt.Sprintf("max-age %v -> %v", have.MaxAge, want.MaxAge))
	}
	if have.Replicas != want.Replicas {
		out = append(out, fmt.Sprintf("replicas %d -> %d", have.Replicas, want.Replicas))
	}
	if have.Duplicates != want.Duplicates {
		out = append(out, fmt.Sprintf("duplicate window %v -> %v", have.Duplicates, want.Duplicates))
	}
	return out
}

func openLog(ctx, run context.Context, js jetstream.JetStream, cfg Config) (*Log, error) {
	scfg := jetstream.StreamConfig{
		Name:              StreamName,
		Subjects:          []string{subjectMessages, subjectPresence},
		Storage:           jetstream.FileStorage,
		Replicas:          cfg.Replicas,
		MaxMsgsPerSubject: int64(max(cfg.Keep, cfg.KeepPresence)),
		Duplicates:        cfg.Duplicates,
		MaxAge:            cfg.MaxAge,
		Discard:           jetstream.DiscardOld,
		// Any server holding the stream answers a direct get: a node's
		// copy reads on that way while its consumer is made again.
		AllowDirect: true,
	}
	// The epoch lives in the stream: it changes only when the stream is
	// made anew, that is when history was really lost.
	var epoch string
	var changed []string
	s, err := js.Stream(ctx, StreamName)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		epoch = chat.NewEpoch()
		scfg.Metadata = map[string]string{epochKey: epoch}
		s, err = js.CreateStream(ctx, scfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return openLog(ctx, run, js, cfg) // another node made it first
		}
		if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		epoch = s.CachedInfo().Config.Metadata[epochKey]
		if epoch == "" {
			return nil, errors.New("stream " + StreamName + " has no epoch in its metadata")
		}
		old := s.CachedInfo().Config
		changed = limitChanges(old, scfg)
		scfg.Metadata = old.Metadata
		if s, err = js.UpdateStream(ctx, scfg); err != nil {
			return nil, err
		}
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	l := &Log{js: js, cache: chat.NewMemoryLogAt(epoch, cfg.Keep, cfg.KeepPresence), Changed: changed}
	l.cache.SetMaxAge(cfg.MaxAge, time.Now) // the copy drops what the stream drops
	// What the stream's limits dropped is gone for the copy too, even when
	// they dropped everything (a quiet spell longer than -max-age): the
	// head stays where the stream's is, and a resume from before is reset.
	first := info.State.FirstSeq
	if first > 1 {
		l.cache.SkipTo(first - 1)
	}
	l.follower, err = follow(ctx, js, StreamName, subjectEvents, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}, l.receive)
	if err != nil {
		return nil, err
	}
	if first > 1 {
		l.follower.pos.advance(first - 1) // what no message will bring
	}
	// Serve only once the kept history is here.
	if err := l.follower.waitLoaded(run); err != nil {
		return nil, err
	}
	return l, nil
}

// receive adds one message of the stream to the node's copy.
func (l *Log) receive(m message) {
	h := m.header
	rec := chat.Record{Kind: h.Get(hdrKind), Body: m.data, At: m.stored}
	from, _ := strconv.ParseUint(h.Get(hdrFrom), 16, 64)
	to, _ := strconv.ParseUint(h.Get(hdrTo), 16, 64)
	rec.From, rec.To = chat.RegID(from), chat.RegID(to)
	rec.FromKey, rec.ToKey = h.Get(hdrFromKey), h.Get(hdrToKey)
	rec.Room = h.Get(hdrRoom)
	l.cache.Add(chat.EntryFromRecord(m.seq, rec))
}

// Epoch implements chat.Log.
func (l *Log) Epoch() string { return l.cache.Epoch() }

// Head implements chat.Log: the last seq this node has.
func (l *Log) Head() uint64 { return l.cache.Head() }

// Since implements chat.Log, from this node's copy.
func (l *Log) Since(seq uint64, visit func(*chat.Entry) bool) error {
	return l.cache.Since(seq, visit)
}

// Message implements chat.Log, from this node's copy.
func (l *Log) Message(seq uint64) (*chat.Entry, bool) { return l.cache.Message(seq) }

// Messages implements chat.Log, from this node's copy.
func (l *Log) Messages(before uint64, c chat.Conversation, visit func(*chat.Entry) bool) {
	l.cache.Messages(before, c, visit)
}

// Follow implements chat.Log: the ordered consumer feeds every entry it
// adds from now on.
func (l *Log) Follow(feed func(*chat.Entry)) { l.cache.Follow(feed) }

// Current implements chat.Log: it waits for the ordered consumer to
// bring seq into this node's copy.
func (l *Log) Current(ctx context.Context, seq uint64) error {
	return l.follower.pos.waitFor(ctx, seq)
}

// Append implements chat.Log: it publishes the record and gives e the seq
// of the stream's ack. A retry of a message (same sender name and client
// id) within the stream's duplicate window is stored once and answered
// with the first seq, on whichever node it arrives.
func (l *Log) Append(ctx context.Context, e *chat.Entry) error {
	rec := e.Record()
	subject := subjectPresence
	if chat.KindOf(rec.Kind).Ring == chat.RingMessages {
		subject = subjectMessages
	}
	m := nats.NewMsg(subject)
	m.Data = rec.Body
	m.Header.Set(hdrKind, rec.Kind)
	if rec.From != 0 {
		m.Header.Set(hdrFrom, strconv.FormatUint(uint64(rec.From), 16))
	}
	if rec.To != 0 {
		m.Header.Set(hdrTo, strconv.FormatUint(uint64(rec.To), 16))
		m.Header.Set(hdrFromKey, rec.FromKey)
		m.Header.Set(hdrToKey, rec.ToKey)
	}
	if rec.Room != "" {
		m.Header.Set(hdrRoom, rec.Room)
	}
	var opts []jetstream.PublishOpt
	if rec.Dedupe != "" {
		sum := sha256.Sum256([]byte(rec.Dedupe))
		opts = append(opts, jetstream.WithMsgID(base64.RawURLEncoding.EncodeToString(sum[:18])))
	}
	var ack *jetstream.PubAck
	err := settle(ctx, func() (err error) { ack, err = l.js.PublishMsg(ctx, m, opts...); return err })
	if err != nil {
		return err
	}
	e.Seal(ack.Sequence)
	return nil
}
