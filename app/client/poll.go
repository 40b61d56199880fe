package client

import (
	"context"
	"net/http"
	"time"

	"hark/app/protocol"
)

// pollTimeout bounds one poll: the server holds it at most
// protocol.MaxPollWait, so an answer later than this means a dead link.
const pollTimeout = protocol.MaxPollWait + 15*time.Second

// pollStream is a stream made of GET /api/poll requests, each asking from
// the client's position at that moment, so a reset or an epoch change in
// one answer is followed by the next request.
type pollStream struct {
	l   link
	buf []protocol.Event

	ctx    context.Context // ended by close, so close stops a held poll
	cancel context.CancelFunc
	// catchUp reads the read positions again after answers that carried
	// messages (see pollReads).
	catchUp pollReads
}

// dialPoll makes the first poll. It asks for hello (hello=1), which the
// server puts first and answers at once, so opening is as quick as the
// other transports and the roster arrives the same way.
func dialPoll(ctx context.Context, l link) (stream, error) {
	sctx, cancel := context.WithCancel(context.Background())
	s := &pollStream{l: l, ctx: sctx, cancel: cancel}
	evs, err := s.poll(ctx, true)
	if err != nil {
		cancel()
		return nil, err
	}
	s.buf = evs
	return s, nil
}

// next implements stream.
func (s *pollStream) next(ctx context.Context) (protocol.Event, error) {
	for len(s.buf) == 0 {
		evs, err := s.poll(ctx, false)
		if err != nil {
			return protocol.Event{}, err
		}
		s.buf = evs
		s.catchUp.after(s.ctx, s.l.c, evs)
	}
	ev := s.buf[0]
	s.buf[0] = protocol.Event{}
	s.buf = s.buf[1:]
	return ev, nil
}

func (s *pollStream) poll(ctx context.Context, hello bool) ([]protocol.Event, error) {
	if s.ctx.Err() != nil {
		return nil, errClosed
	}
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	q := s.l.query(false)
	if hello {
		q.Set("hello", "1")
	}
	var out protocol.Events
	if err := s.l.c.do(ctx, http.MethodGet, "/api/poll", q, nil, &out); err != nil {
		if s.ctx.Err() != nil {
			return nil, errClosed
		}
		return nil, err
	}
	// A reset says to go on from the head, which only a hello tells: the
	// server puts one before every reset it answers.
	return out.Events, nil
}

// send implements stream: polling sends by POST.
func (s *pollStream) send(context.Context, protocol.Send) (protocol.SendResult, bool, error) {
	return protocol.SendResult{}, false, nil
}

// close implements stream.
func (s *pollStream) close() {
	s.cancel()
	s.catchUp.stop()
}
