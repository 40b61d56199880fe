package natsstore

import (
	"context"
	"strconv"
	"sync/atomic"

	"github.com/nats-io/nats.go"

	"hark/server/chat"
)

// subjectSignals is the core NATS subject (no JetStream: nothing on it is
// stored) on which every node publishes signals and hears every node's,
// its own included.
const subjectSignals = "hark.signals"

// Signals is chat.Signals on a core NATS subject: a publish reaches every
// node subscribed at that moment, at most once, and is kept nowhere, which
// is all a typing notice needs. A room's signal carries its room and
// sender in headers, as a room's record does, and each node hands it to
// its own streams of the room's members.
type Signals struct {
	nc   *nats.Conn
	sub  *nats.Subscription
	feed atomic.Pointer[func(chat.Signal)]
}

// openSignals subscribes to the signals subject, and waits until the
// server has the subscription, so a signal another node sends after Open
// returns reaches this one.
func openSignals(ctx context.Context, nc *nats.Conn) (*Signals, error) {
	s := &Signals{nc: nc}
	sub, err := nc.Subscribe(subjectSignals, s.receive)
	if err != nil {
		return nil, err
	}
	s.sub = sub
	if err := nc.FlushWithContext(ctx); err != nil {
		sub.Unsubscribe()
		return nil, err
	}
	return s, nil
}

// receive hands a signal from any node to the feed. It runs on the
// subscription's goroutine, and the feed only queues.
func (s *Signals) receive(m *nats.Msg) {
	feed := s.feed.Load()
	if feed == nil {
		return
	}
	to, _ := strconv.ParseUint(m.Header.Get(hdrTo), 16, 64)
	sig := chat.Signal{Kind: m.Header.Get(hdrKind), To: chat.RegID(to), JSON: m.Data}
	if sig.Room = m.Header.Get(hdrRoom); sig.Room != "" {
		from, _ := strconv.ParseUint(m.Header.Get(hdrFrom), 16, 64)
		sig.From = chat.RegID(from)
	}
	(*feed)(sig)
}

// Publish implements chat.Signals. Core NATS buffers the publish and
// returns; it fails only when the connection is closed.
func (s *Signals) Publish(sig chat.Signal) error {
	m := nats.NewMsg(subjectSignals)
	m.Data = sig.JSON
	m.Header.Set(hdrKind, sig.Kind)
	if sig.To != 0 {
		m.Header.Set(hdrTo, strconv.FormatUint(uint64(sig.To), 16))
	}
	if sig.Room != "" {
		m.Header.Set(hdrRoom, sig.Room)
		m.Header.Set(hdrFrom, strconv.FormatUint(uint64(sig.From), 16))
	}
	return s.nc.PublishMsg(m)
}

// Follow implements chat.Signals.
func (s *Signals) Follow(feed func(chat.Signal)) { s.feed.Store(&feed) }

func (s *Signals) stop() {
	if s.sub != nil {
		s.sub.Unsubscribe()
	}
}
