package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"hark/app/protocol"
)

// stableAfter is how long a stream must have lasted for the next failure
// to count as the first: a stream that dies right after opening backs off
// further each time instead of hammering the server.
const stableAfter = 10 * time.Second

// Run connects and keeps a stream open until ctx is done, Leave is called
// or the session expires: it reconnects with backoff, resumes from the last
// seq, reloads history on start and after a reset, and sends the outbox
// whenever connected. It returns nil after Leave, ctx's error when ctx is
// done, and the server's *protocol.Error when the session expired and its
// name could not be taken again (someone else has it), in which case
// State.Conn is Stopped and State.LastError says why. A session the server
// merely forgot (a restart, a lapse longer than the grace) is taken again
// under the same name without stopping.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.tok == "" {
		c.mu.Unlock()
		return ErrNoSession
	}
	if c.running {
		c.mu.Unlock()
		return ErrRunning
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	c.running, c.stopRun = true, stop
	c.st.Conn, c.st.LastError = Connecting, nil
	c.mu.Unlock()
	c.changed()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.flushLoop(ctx)
	}()
	err := c.loop(ctx)
	stop(err)
	wg.Wait()

	c.mu.Lock()
	c.running, c.stopRun, c.cur, c.curCancel, c.switching = false, nil, nil, nil, false
	c.st.Conn, c.st.Active, c.st.RetryAt = Stopped, "", time.Time{}
	c.mu.Unlock()
	c.changed()
	if errors.Is(err, errLeft) {
		return nil
	}
	return err
}

// loop is Run's connect, read, back off cycle.
func (c *Client) loop(ctx context.Context) error {
	failures := 0
	for {
		select { // a kick from before this attempt is spent
		case <-c.kick:
		default:
		}
		st, t, first, sctx, err := c.connect(ctx)
		if err == nil {
			began := time.Now()
			err = c.pump(sctx, &pumpState{st: st, t: t}, first)
			c.disconnect(st)
			if time.Since(began) >= stableAfter {
				failures = 0
			}
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if isCode(err, protocol.CodeSignedOut) {
			// The person signed this device out from another: show the
			// sign-in, never take the name back behind their back.
			c.expire(err)
			return err
		}
		if isCode(err, protocol.CodeUnauthorized) {
			// The server no longer knows the token: it restarted, or the
			// name was released after a long absence. Take the name
			// again, as the person would, and resume from where we were.
			rerr := c.reclaim(ctx)
			if rerr == nil {
				failures = 0
				continue
			}
			if _, refused := refusal(rerr); refused {
				c.expire(rerr)
				return rerr
			}
			err = rerr
		}
		if c.takeSwitch() {
			continue
		}
		failures++
		if err := c.wait(ctx, failures, err); err != nil {
			return err
		}
	}
}

// wait sleeps before the next attempt, showing when it will be, until the
// delay passes, SetTransport asks to go now, or ctx is done.
func (c *Client) wait(ctx context.Context, failures int, cause error) error {
	d := c.backoff.delay(failures)
	c.mu.Lock()
	c.st.Conn = Reconnecting
	if unreachable(cause) {
		c.st.Conn = Offline
	}
	c.st.Active, c.st.RetryAt = "", time.Now().Add(d)
	c.mu.Unlock()
	c.changed()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.kick:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}

// unreachable reports whether err means the server could not be reached
// at all (as opposed to a stream that broke or a refusal).
func unreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) || errors.As(err, &dns) || errors.Is(err, errUnreachable) || fetchFailed(err)
}

func (c *Client) takeSwitch() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.switching
	c.switching = false
	return s
}

// connect opens a stream over the chosen transport, or for Auto over the
// first that opens and says hello in time. The returned context ends the
// stream (SetTransport cancels it).
func (c *Client) connect(ctx context.Context) (stream, Transport, protocol.Event, context.Context, error) {
	c.mu.Lock()
	chosen, settled := c.st.Chosen, c.settled
	c.mu.Unlock()
	order, timeout := []Transport{chosen}, openTimeout
	if chosen == Auto {
		// Where Auto settled before goes first: a network that blocks
		// WebSocket should not cost a timeout on every reconnect.
		order, timeout = []Transport{}, c.opts.AutoOpenTimeout
		if settled != "" {
			order = append(order, settled)
		}
		for _, t := range autoOrder {
			if t != settled {
				order = append(order, t)
			}
		}
	}
	var err error
	for _, t := range order {
		sctx, cancel := context.WithCancel(ctx)
		c.mu.Lock()
		c.curCancel = cancel
		c.mu.Unlock()
		var st stream
		var first protocol.Event
		st, first, err = c.open(sctx, t, timeout)
		if err == nil {
			return st, t, first, sctx, nil
		}
		cancel()
		if ctx.Err() != nil || tokenRefused(err) || c.switchPending() {
			break
		}
	}
	return nil, "", protocol.Event{}, nil, err
}

func (c *Client) switchPending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.switching
}

// open dials t and waits for its first event (hello) within timeout: a
// transport that connects but delivers nothing (a proxy that buffers) is
// as useless as one that fails.
func (c *Client) open(ctx context.Context, t Transport, timeout time.Duration) (stream, protocol.Event, error) {
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	l := link{c: c, pos: c.position}
	st, err := dial(octx, t, l)
	if err != nil {
		return nil, protocol.Event{}, err
	}
	ev, err := st.next(octx)
	if err != nil {
		st.close()
		return nil, protocol.Event{}, err
	}
	return st, ev, nil
}

// position is where a stream resumes: the last seq seen and its epoch.
func (c *Client) position() (uint64, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Seq, c.st.Epoch
}

// goLive marks the stream open, once its first event is applied (so the
// state shows the hello's roster by the time it says connected), and lets
// the outbox go.
func (c *Client) goLive(ps *pumpState) {
	ps.live = true
	c.mu.Lock()
	c.cur, c.st.Active, c.st.Conn, c.st.RetryAt = ps.st, ps.t, Connected, time.Time{}
	if c.st.Chosen == Auto {
		c.settled = ps.t
	}
	c.mu.Unlock()
	c.wake(c.flushCh)
	c.changed()
}

// disconnect closes st and clears the connection's state.
func (c *Client) disconnect(st stream) {
	st.close()
	c.mu.Lock()
	c.cur, c.curCancel, c.st.Active = nil, nil, ""
	c.mu.Unlock()
}

// reclaim registers the session's name again after the server forgot its
// token, keeping the position, the list and the outbox: if the server
// restarted, the stream's reset reloads history; if only the name had
// lapsed, the stream resumes where it was. A refusal (the name was taken
// meanwhile) is returned as is, for expire.
func (c *Client) reclaim(ctx context.Context) error {
	c.mu.Lock()
	name := c.st.Name
	c.mu.Unlock()
	var s protocol.Session
	if err := c.do(ctx, http.MethodPost, "/api/session", nil, protocol.SessionRequest{Name: name}, &s); err != nil {
		return err
	}
	c.mu.Lock()
	c.tok = s.Token
	c.store.Set(keyToken, s.Token)
	c.mu.Unlock()
	return nil
}

// expire ends the session after the server refused its token and its name
// could not be taken again: the UI shows the join page, with LastError to
// say why.
func (c *Client) expire(err error) {
	perr, _ := refusal(err)
	c.mu.Lock()
	c.forget()
	c.st.LastError = perr
	stop := c.stopRun
	c.mu.Unlock()
	if stop != nil {
		stop(err)
	}
	c.changed()
}

// loadHistory replaces the display's sense of the past with the last
// messages (GET /api/history), merged by seq with what is listed.
func (c *Client) loadHistory(ctx context.Context) error {
	var h protocol.Events
	q := url.Values{"limit": {strconv.Itoa(historyLimit)}}
	if err := c.do(ctx, http.MethodGet, "/api/history", q, nil, &h); err != nil {
		return err
	}
	c.mu.Lock()
	for _, ev := range h.Events {
		if ev.Sequenced() {
			c.list(ev)
		}
	}
	c.needHistory = false
	c.mu.Unlock()
	c.changed()
	return nil
}
