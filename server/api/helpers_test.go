package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hark/app/protocol"
	"hark/internal/sse"
	"hark/internal/testkit"
	"hark/server/api"
	"hark/server/chat"
)

// wait is how long a test waits for something that should happen at once.
// It is generous because -race on a busy machine is slow; a passing test
// never waits for it.
const wait = 10 * time.Second

// testServer is a real Hark server on a loopback port.
type testServer struct {
	*httptest.Server
	api  *api.Server
	logs *testkit.Buffer
	// files is the store's files, for tests that check what was kept.
	files *chat.MemoryFiles

	mu     sync.Mutex
	tokens []string // every token handed out, to check the logs for
}

// fastConfig is the contract's behaviour with timings small enough for
// tests. Tests change what they exercise.
// config is what a test server is made of: the chat's policies and the
// API's settings.
type config struct {
	api.Config
	Chat chat.Config
	// Store is what the chat's memory store keeps.
	Store chat.Limits
}

func fastConfig() config {
	return config{
		Chat: chat.Config{
			Grace:            time.Minute,
			PresenceInterval: 20 * time.Millisecond,
			Rate:             10000,
			Burst:            10000,
			QueueLen:         4096,
			// Every test client comes from 127.0.0.1: the per-address
			// budgets are off unless a test turns them on.
			AddrRegisterRate: -1,
			AddrSessions:     -1,
			AddrStreams:      -1,
			AddrReadRate:     -1,
			ReadRate:         -1,
			AddrSendRate:     -1,
		},
		Config: api.Config{
			PollWait:     2 * time.Second,
			WriteTimeout: 10 * time.Second,
		},
	}
}

// newServer starts a server with fastConfig changed by edit (which may be
// nil). Its logs go to a buffer at debug level; when the test ends, the
// server is closed and the logs are checked for every token it handed out.
func newServer(t *testing.T, edit func(*config)) *testServer {
	t.Helper()
	return newServerOn(t, edit, nil)
}

// newServerOn is newServer with the listener wrapped by wrap, if not nil.
func newServerOn(t *testing.T, edit func(*config), wrap func(net.Listener) net.Listener) *testServer {
	t.Helper()
	cfg := fastConfig()
	if edit != nil {
		edit(&cfg)
	}
	ts := &testServer{logs: &testkit.Buffer{}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if cfg.Chat.Logger == nil {
		cfg.Chat.Logger = cfg.Logger
	}
	st := chat.MemoryStore(cfg.Store, nil)
	ts.files = st.Files.(*chat.MemoryFiles)
	ts.api = api.New(chat.New(st, cfg.Chat), cfg.Config)
	ts.Server = httptest.NewUnstartedServer(ts.api)
	if wrap != nil {
		ts.Listener = wrap(ts.Listener)
	}
	ts.Start()
	t.Cleanup(func() {
		// End the streams first, so that closing the listener does not
		// wait for them.
		ts.api.Chat().Close()
		ts.Server.Close()
		logs := ts.logs.String()
		ts.mu.Lock()
		defer ts.mu.Unlock()
		for _, tok := range ts.tokens {
			if strings.Contains(logs, tok) {
				t.Errorf("a session token appears in the server's logs:\n%s", logs)
				return
			}
		}
	})
	return ts
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request describes one HTTP request to the server.
type request struct {
	method, path, token string
	body                any // string or []byte sent as is; anything else as JSON
	header              map[string]string
}

func (ts *testServer) do(t *testing.T, rq request) response {
	t.Helper()
	var body io.Reader
	switch b := rq.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	case io.Reader: // of no length known: sent chunked
		body = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	req, err := http.NewRequest(rq.method, ts.URL+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", rq.method, rq.path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode parses the body into v, failing the test if it is not that JSON.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d %q is not the JSON expected: %v", r.status, r.body, err)
	}
}

// wantError checks that r is the contract's refusal: status, code, and a
// message that says what is wrong (contains says).
func (r response) wantError(t *testing.T, status int, code, says string) {
	t.Helper()
	wantErrorBody(t, r.status, r.header, r.body, status, code, says)
}

func wantErrorBody(t *testing.T, gotStatus int, h http.Header, body []byte, status int, code, says string) {
	t.Helper()
	if gotStatus != status {
		t.Errorf("status %d, want %d (body %q)", gotStatus, status, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q, want application/json", ct)
	}
	var eb struct {
		Error *protocol.Error `json:"error"`
	}
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error == nil {
		t.Fatalf("body %q is not an error body: %v", body, err)
	}
	if eb.Error.Code != code {
		t.Errorf("code %q, want %q (message %q)", eb.Error.Code, code, eb.Error.Message)
	}
	if len(eb.Error.Message) < 10 || !strings.Contains(eb.Error.Message, says) {
		t.Errorf("message %q does not say %q", eb.Error.Message, says)
	}
}

// register takes name and fails the test if it cannot.
func (ts *testServer) register(t *testing.T, name string) protocol.Session {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: "/api/session", body: protocol.SessionRequest{Name: name}})
	if r.status != http.StatusCreated {
		t.Fatalf("registering %q: %d %s", name, r.status, r.body)
	}
	var s protocol.Session
	r.decode(t, &s)
	ts.remember(s.Token)
	return s
}

func (ts *testServer) remember(tok string) {
	ts.mu.Lock()
	ts.tokens = append(ts.tokens, tok)
	ts.mu.Unlock()
}

// tryRegister registers without judging the answer.
func (ts *testServer) tryRegister(t *testing.T, name string) response {
	t.Helper()
	return ts.trySession(t, "/api/session", protocol.SessionRequest{Name: name})
}

// trySession asks path for a new session with body, without judging the
// answer, and remembers the token of one made.
func (ts *testServer) trySession(t *testing.T, path string, body any) response {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: path, body: body})
	if r.status == http.StatusCreated {
		var s protocol.Session
		r.decode(t, &s)
		ts.remember(s.Token)
	}
	return r
}

// send posts a message and returns its seq, failing the test on a refusal.
func (ts *testServer) send(t *testing.T, token, id, to, text string) uint64 {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: "/api/messages", token: token, body: protocol.Send{ID: id, To: to, Text: text}})
	if r.status != http.StatusOK {
		t.Fatalf("sending %q: %d %s", id, r.status, r.body)
	}
	var res protocol.SendResult
	r.decode(t, &res)
	if res.ID != id || res.Seq == 0 {
		t.Fatalf("send %q answered %+v", id, res)
	}
	return res.Seq
}

// leave deletes the session.
func (ts *testServer) leave(t *testing.T, token string) {
	t.Helper()
	if r := ts.do(t, request{method: "DELETE", path: "/api/session", token: token}); r.status != http.StatusNoContent {
		t.Fatalf("DELETE /api/session: %d %s", r.status, r.body)
	}
}

// streamQuery is the query string of a stream: the token, and a resume
// position when since is not nil.
func streamQuery(token string, since *uint64, epoch string) string {
	q := url.Values{"token": {token}}
	if since != nil {
		q.Set("since", strconv.FormatUint(*since, 10))
	}
	if epoch != "" {
		q.Set("epoch", epoch)
	}
	return q.Encode()
}

func at(seq uint64) *uint64 { return &seq }

// client is one open stream, over any transport: its events arrive on ch,
// in the order the transport delivered them.
type client struct {
	t         *testing.T
	transport string
	ch        chan protocol.Event
	done      chan struct{} // closed when the stream has ended
	err       error         // why it ended; read after done
	stop      func()

	ws *websocket.Conn // for WebSocket clients: sends and close codes

	mu       sync.Mutex
	problems []string // framing faults found by the reader
}

func newClient(t *testing.T, transport string) *client {
	return &client{t: t, transport: transport, ch: make(chan protocol.Event, 1<<14), done: make(chan struct{})}
}

func (c *client) problem(format string, args ...any) {
	c.mu.Lock()
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// finish records why the stream ended.
func (c *client) finish(err error) {
	c.err = err
	close(c.done)
}

// Close ends the stream from the client's side and waits for its reader.
func (c *client) Close() {
	c.stop()
	select {
	case <-c.done:
	case <-time.After(wait):
		c.t.Errorf("%s client did not stop", c.transport)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.problems {
		c.t.Errorf("%s stream: %s", c.transport, p)
	}
	c.problems = nil
}

// next returns the next event, or false if none came within d or the
// stream ended.
func (c *client) next(d time.Duration) (protocol.Event, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case e := <-c.ch:
		return e, true
	default:
	}
	select {
	case e := <-c.ch:
		return e, true
	case <-c.done:
		// Events read before the end are still queued.
		select {
		case e := <-c.ch:
			return e, true
		default:
			return protocol.Event{}, false
		}
	case <-timer.C:
		return protocol.Event{}, false
	}
}

// expect skips events until one satisfies match and returns it; it fails
// the test if none comes in time.
func (c *client) expect(t *testing.T, what string, match func(protocol.Event) bool) protocol.Event {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		e, ok := c.next(time.Until(deadline))
		if !ok {
			t.Fatalf("%s stream: no %s (ended: %v)", c.transport, what, c.ended())
		}
		if match(e) {
			return e
		}
	}
}

// hello expects the first event to be a hello and returns it.
func (c *client) hello(t *testing.T) protocol.Event {
	t.Helper()
	e, ok := c.next(wait)
	if !ok || e.Type != protocol.TypeHello {
		t.Fatalf("%s stream: first event %+v (ok %v), want hello", c.transport, e, ok)
	}
	return e
}

// until collects every event up to and including the one with seq; it
// fails on a timeout, a gap-free order violation (seq not strictly
// increasing) or an event past seq.
func (c *client) until(t *testing.T, seq uint64) []protocol.Event {
	t.Helper()
	var out []protocol.Event
	var last uint64
	deadline := time.Now().Add(wait)
	for last < seq {
		e, ok := c.next(time.Until(deadline))
		if !ok {
			t.Fatalf("%s stream: waiting for seq %d, got up to %d (ended: %v)", c.transport, seq, last, c.ended())
		}
		out = append(out, e)
		if e.Seq == 0 || !e.Sequenced() {
			continue
		}
		if e.Seq <= last {
			t.Fatalf("%s stream: seq %d after %d", c.transport, e.Seq, last)
		}
		last = e.Seq
	}
	if last != seq {
		t.Fatalf("%s stream: went past seq %d to %d", c.transport, seq, last)
	}
	return out
}

// ended reports whether the stream has ended, with its error.
func (c *client) ended() string {
	select {
	case <-c.done:
		return fmt.Sprintf("yes, %v", c.err)
	default:
		return "no"
	}
}

// waitEnd waits for the stream to end and returns why.
func (c *client) waitEnd(t *testing.T) error {
	t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(wait):
		t.Fatalf("%s stream did not end", c.transport)
		return nil
	}
}

// openWS opens a WebSocket stream with the given query (see streamQuery).
func (ts *testServer) openWS(t *testing.T, query string) *client {
	t.Helper()
	conn, resp, err := ts.dialWS(t, query, nil)
	if err != nil {
		t.Fatalf("dialing the WebSocket: %v (%v)", err, resp)
	}
	return ts.readWS(t, conn)
}

func (ts *testServer) dialWS(t *testing.T, query string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/api/ws?" + query
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: header})
	if conn != nil {
		conn.SetReadLimit(1 << 20)
	}
	return conn, resp, err
}

// readWS starts reading events from conn.
func (ts *testServer) readWS(t *testing.T, conn *websocket.Conn) *client {
	c := newClient(t, "ws")
	c.ws = conn
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = func() {
		cancel()
		conn.CloseNow()
	}
	go func() {
		for {
			typ, data, err := conn.Read(ctx)
			if err != nil {
				c.finish(err)
				return
			}
			if typ != websocket.MessageText {
				c.problem("a binary frame")
			}
			var e protocol.Event
			if err := json.Unmarshal(data, &e); err != nil {
				c.problem("frame %q is not an event: %v", data, err)
				continue
			}
			c.ch <- e
		}
	}()
	t.Cleanup(c.Close)
	return c
}

// writeWS writes a text frame on a WebSocket client.
func (c *client) writeWS(t *testing.T, v any) {
	t.Helper()
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("writing a frame: %v", err)
	}
}

// openSSE opens an SSE stream with the given query and extra headers.
func (ts *testServer) openSSE(t *testing.T, query string, header map[string]string) *client {
	t.Helper()
	resp, cancel := ts.getSSE(t, query, header)
	return readSSE(t, resp, cancel)
}

// getSSE opens an SSE stream and checks its headers, without reading it.
func (ts *testServer) getSSE(t *testing.T, query string, header map[string]string) (*http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/events?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /api/events: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("GET /api/events: %d %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("SSE Content-Type %q", ct)
	}
	if xa := resp.Header.Get("X-Accel-Buffering"); xa != "no" {
		t.Errorf("SSE X-Accel-Buffering %q, want no", xa)
	}
	return resp, cancel
}

// readSSE starts reading events from an SSE response, checking the
// framing: retry once, before any event; no comment but pings; no field
// but id, data and retry; id equal to the seq of every sequenced event
// and absent on control events; no line cut off at the end.
func readSSE(t *testing.T, resp *http.Response, cancel context.CancelFunc) *client {
	c := newClient(t, "sse")
	c.stop = func() {
		cancel()
		resp.Body.Close()
	}
	go func() {
		defer resp.Body.Close()
		body := &lastByte{r: resp.Body}
		p := sse.NewParser(body)
		retries, frames := 0, 0
		var id string
		hasID := false
		p.OnField = func(name, value string) {
			switch name {
			case "retry":
				retries++
				if retries > 1 || frames > 0 {
					c.problem("retry: sent again or after events")
				}
			case "":
				if value != "ping" {
					c.problem("comment %q", value)
				}
			case "id":
				id, hasID = value, true
			case "data":
			default:
				c.problem("unknown SSE field %q: %q", name, value)
			}
		}
		for {
			ev, err := p.Next()
			if err != nil {
				if err == io.EOF && body.last != 0 && body.last != '\n' {
					err = fmt.Errorf("stream ended inside a line: %w", err)
				}
				c.finish(err)
				return
			}
			frames++
			var e protocol.Event
			if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
				c.problem("data %q is not an event: %v", ev.Data, err)
			} else {
				if e.Sequenced() != hasID || hasID && id != strconv.FormatUint(e.Seq, 10) {
					c.problem("event %s has id %q (present %v)", ev.Data, id, hasID)
				}
				c.ch <- e
			}
			id, hasID = "", false
		}
	}()
	t.Cleanup(c.Close)
	return c
}

// lastByte remembers the last byte read from r, 0 before any.
type lastByte struct {
	r    io.Reader
	last byte
}

func (l *lastByte) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}

// openPoll long-polls in a loop from since (from the head, with a hello,
// when since is nil), handing each answer's events on, until closed or the
// server refuses.
func (ts *testServer) openPoll(t *testing.T, token string, since *uint64, epoch string) *client {
	t.Helper()
	c := newClient(t, "poll")
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	go func() {
		for {
			q := url.Values{}
			if since != nil {
				q.Set("since", strconv.FormatUint(*since, 10))
				q.Set("epoch", epoch)
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/poll?"+q.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := ts.Client().Do(req)
			if err != nil {
				c.finish(err)
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				c.finish(err)
				return
			}
			if resp.StatusCode != http.StatusOK {
				c.finish(fmt.Errorf("poll: %d %s", resp.StatusCode, b))
				return
			}
			var evs struct {
				Events []protocol.Event `json:"events"`
			}
			if err := json.Unmarshal(b, &evs); err != nil || evs.Events == nil {
				c.problem("answer %q is not {\"events\": [...]}: %v", b, err)
			}
			for _, e := range evs.Events {
				switch {
				case e.Type == protocol.TypeHello:
					since, epoch = at(e.Seq), e.Epoch
				case e.Sequenced():
					since = at(e.Seq)
				}
				c.ch <- e
			}
		}
	}()
	t.Cleanup(c.Close)
	return c
}

// open opens a stream of the named transport.
func (ts *testServer) open(t *testing.T, transport, token string, since *uint64, epoch string) *client {
	t.Helper()
	switch transport {
	case "ws":
		return ts.openWS(t, streamQuery(token, since, epoch))
	case "sse":
		return ts.openSSE(t, streamQuery(token, since, epoch), nil)
	case "poll":
		return ts.openPoll(t, token, since, epoch)
	}
	t.Fatalf("no transport %q", transport)
	return nil
}

var transports = []string{"ws", "sse", "poll"}

// messages keeps the message events of evs.
func messages(evs []protocol.Event) []protocol.Event {
	var out []protocol.Event
	for _, e := range evs {
		if e.Type == protocol.TypeMessage {
			out = append(out, e)
		}
	}
	return out
}

// seqs lists the seqs of the sequenced events of evs.
func seqs(evs []protocol.Event) []uint64 {
	var out []uint64
	for _, e := range evs {
		if e.Sequenced() {
			out = append(out, e.Seq)
		}
	}
	return out
}

// has reports whether evs holds a message with id.
func has(evs []protocol.Event, id string) bool {
	for _, e := range evs {
		if e.Type == protocol.TypeMessage && e.ID == id {
			return true
		}
	}
	return false
}

// closeCode is the WebSocket close code in err, or -1.
func closeCode(err error) websocket.StatusCode {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// stillServes checks that the server still takes a registration and
// delivers a broadcast: whatever came before broke nothing.
func (ts *testServer) stillServes(t *testing.T) {
	t.Helper()
	ts.mu.Lock()
	n := len(ts.tokens)
	ts.mu.Unlock()
	s := ts.register(t, fmt.Sprintf("check%d", n))
	c := ts.openSSE(t, streamQuery(s.Token, at(s.Seq), ""), nil)
	seq := ts.send(t, s.Token, "still-serves", "", "still here")
	evs := c.until(t, seq)
	if !has(evs, "still-serves") {
		t.Fatalf("the server stopped delivering: %+v", evs)
	}
	c.Close()
	ts.leave(t, s.Token)
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// readAll reads and closes a response body.
func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
