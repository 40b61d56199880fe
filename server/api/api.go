// Package api is Hark's HTTP face: registration, sending, reading, and the
// three transports that push events (WebSocket, Server-Sent Events, long
// polling), over the domain in server/chat. It implements the contract in
// docs/PROTOCOL.md.
package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hark/app/protocol"
	"hark/server/chat"
	"hark/server/deliver"
)

// Config sets up a Server. The zero value serves the contract's defaults.
type Config struct {
	// AllowOrigins lists origins (scheme://host[:port]) other than the
	// server's own from which browsers may send and open WebSockets.
	AllowOrigins []string
	// AllowHosts lists the Host headers the server answers: names and
	// addresses (any port), host:port (that port), address prefixes
	// (127.0.0.0/8), or "*". Empty allows any host; a server bound to
	// loopback should pass LoopbackHosts, so that a page whose name is
	// pointed at 127.0.0.1 (DNS rebinding) cannot drive it. Others get 403
	// forbidden_host.
	AllowHosts []string
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// Metrics is where the server registers its metrics; nil means a
	// registry of its own, served at /metrics.
	Metrics *prometheus.Registry
	// PingInterval is how often streams send a keep-alive (at most 15 s).
	PingInterval time.Duration
	// PollWait is how long a long poll waits for an event (at most 25 s).
	PollWait time.Duration
	// WriteTimeout bounds each write to a stream, so a client that stops
	// reading cannot hold a connection forever.
	WriteTimeout time.Duration
	// WriteDelay is how long a busy stream's next write waits for more
	// to send with it: a WebSocket or SSE stream that wrote less than
	// WriteDelay ago writes again on the next tick of a shared clock
	// (every WriteDelay), everything ready in one go, so a stream that
	// receives many events a second costs a write per tick, not one per
	// event. A stream that has been quiet writes at once. Zero means
	// DefaultWriteDelay; negative, every event is written at once.
	WriteDelay time.Duration
	// BodyTimeout bounds the reading of a request body, from its first
	// read to its end (default 10 s), so a client that trickles one
	// cannot hold a connection forever. A read deadline for the body
	// only, not the server's ReadTimeout, which would cut streams.
	BodyTimeout time.Duration
	// MaxFileBytes is the largest file an upload may carry (default
	// protocol.DefaultMaxFileBytes); larger ones are refused too_large.
	MaxFileBytes int64
	// FileTimeout bounds the reading of an upload's body (default 2
	// minutes), in place of BodyTimeout: 10 MiB takes longer than a
	// message on a slow link.
	FileTimeout time.Duration
	// MaxUploads is how many uploads this node works on at once (default
	// 8); more are refused rate_limited. An image is held whole while it
	// is decoded, so this bounds the memory uploads take.
	MaxUploads int
	// AdminToken is the operator's credential (sent in AdminHeader): it
	// gives a session a room owner's powers in every room. Empty, the
	// default: there is no operator.
	AdminToken string
}

// DefaultWriteDelay is Config.WriteDelay's default: at most 50 writes a
// second to one busy connection, a delay people do not notice in a chat.
const DefaultWriteDelay = 20 * time.Millisecond

// Defaults are the settings a zero field of Config takes, written here
// once; the server's flags show them as theirs.
func Defaults() Config {
	return Config{
		PingInterval: protocol.PingInterval,
		PollWait:     protocol.MaxPollWait,
		WriteTimeout: 10 * time.Second,
		WriteDelay:   DefaultWriteDelay,
		BodyTimeout:  10 * time.Second,
		MaxFileBytes: protocol.DefaultMaxFileBytes,
		FileTimeout:  2 * time.Minute,
		MaxUploads:   8,
	}
}

func (c *Config) setDefaults() {
	d := Defaults()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = prometheus.NewRegistry()
	}
	if c.PingInterval <= 0 || c.PingInterval > protocol.PingInterval {
		c.PingInterval = d.PingInterval
	}
	if c.PollWait <= 0 || c.PollWait > protocol.MaxPollWait {
		c.PollWait = d.PollWait
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.WriteDelay == 0 {
		c.WriteDelay = d.WriteDelay
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = d.BodyTimeout
	}
	if c.MaxFileBytes <= 0 {
		c.MaxFileBytes = d.MaxFileBytes
	}
	if c.FileTimeout <= 0 {
		c.FileTimeout = d.FileTimeout
	}
	if c.MaxUploads <= 0 {
		c.MaxUploads = d.MaxUploads
	}
}

// Server serves /api/, /healthz and /metrics.
type Server struct {
	cfg     Config
	chat    *chat.Chat
	log     *slog.Logger
	metrics *metrics
	mux     *http.ServeMux
	origins originPolicy
	hosts   hostPolicy
	// writes holds back busy streams' writes (Config.WriteDelay); nil
	// when every event is written at once.
	writes *deliver.Coalescer
	// uploads holds a token for each upload in progress (MaxUploads).
	uploads chan struct{}
}

// New returns a server of the chat c, which its caller made and closes:
// closing the chat ends every stream the server holds (WebSocket clients
// are told to reconnect elsewhere).
func New(c *chat.Chat, cfg Config) *Server {
	cfg.setDefaults()
	s := &Server{
		cfg:     cfg,
		chat:    c,
		log:     cfg.Logger,
		mux:     http.NewServeMux(),
		origins: newOriginPolicy(cfg.AllowOrigins),
		hosts:   newHostPolicy(cfg.AllowHosts),
		writes:  deliver.NewCoalescer(cfg.WriteDelay),
		uploads: make(chan struct{}, cfg.MaxUploads),
	}
	s.metrics = newMetrics(cfg.Metrics, s.chat)
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST /api/session", s.handleRegister)
	s.mux.HandleFunc("DELETE /api/session", s.handleLeave)
	s.mux.HandleFunc("DELETE /api/sessions", s.handleLeaveEverywhere)
	s.mux.HandleFunc("POST /api/devices/code", s.handleDeviceCode)
	s.mux.HandleFunc("POST /api/devices/link", s.handleLink)
	s.mux.HandleFunc("GET /api/passkeys", s.handlePasskeys)
	s.mux.HandleFunc("DELETE /api/passkeys", s.handleRemovePasskeys)
	s.mux.HandleFunc("POST /api/passkeys/begin", s.handlePasskeyBegin)
	s.mux.HandleFunc("POST /api/passkeys/finish", s.handlePasskeyFinish)
	s.mux.HandleFunc("POST /api/passkeys/login/begin", s.handlePasskeyLoginBegin)
	s.mux.HandleFunc("POST /api/passkeys/login/finish", s.handlePasskeyLogin)
	s.mux.HandleFunc("POST /api/messages", s.handleSend)
	s.mux.HandleFunc("POST /api/actions", s.handleAct)
	s.mux.HandleFunc("POST /api/typing", s.handleTyping)
	s.mux.HandleFunc("POST /api/read", s.handleMarkRead)
	s.mux.HandleFunc("GET /api/read", s.handleReadPositions)
	s.mux.HandleFunc("GET /api/history", s.handleHistory)
	s.mux.HandleFunc("GET /api/users", s.handleUsers)
	s.mux.HandleFunc("GET /api/events", s.handleSSE)
	s.mux.HandleFunc("GET /api/ws", s.handleWebSocket)
	s.mux.HandleFunc("GET /api/poll", s.handlePoll)
	s.mux.HandleFunc("POST /api/files", s.handleUpload)
	s.mux.HandleFunc("GET /api/files/{id}", s.handleFile)
	s.mux.HandleFunc("GET /api/files/{id}/thumb", s.handleThumb)
	s.routeRooms()
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	s.mux.Handle("GET /metrics", s.metrics.handler(s.cfg.Metrics))
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, protocol.Errorf(protocol.CodeBadRequest, "no endpoint %s %s", r.Method, r.URL.Path))
	})
}

// drainWait bounds the reading of what is left of a refused request's
// body after its answer (see statusRecorder).
const drainWait = time.Second

// Chat is the domain the server drives.
func (s *Server) Chat() *chat.Chat { return s.chat }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, http1: r.ProtoMajor == 1}
	if r.Body != nil && r.Body != http.NoBody {
		rec.body = &timedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), timeout: s.cfg.BodyTimeout}
		r.Body = rec.body
	}
	switch {
	case !s.hosts.allowed(r.Host):
		writeError(rec, hostRefusal(r.Host))
	case !s.origins.allowed(r):
		writeError(rec, protocol.Errorf(protocol.CodeForbiddenOrigin, "requests from origin %q are not allowed", r.Header.Get("Origin")))
	default:
		s.mux.ServeHTTP(rec, r)
	}
	if rec.http1 && rec.body != nil && !rec.body.done {
		// After the handler, net/http discards what is left of the body
		// (up to 256 KiB) with no deadline: bound that read. The answer
		// is out and says Connection: close. Not a deadline already
		// past: a client that sent its body promptly would have it
		// unread in the kernel when the socket closes, which resets the
		// connection, and the answer with it.
		rec.body.rc.SetReadDeadline(time.Now().Add(drainWait))
	}
	// The route matched, not the URL: tokens travel in query strings, a
	// client may put anything in a path, and neither may reach a log.
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
		slog.String("method", r.Method), slog.String("route", r.Pattern),
		slog.Int("status", rec.status), slog.Duration("took", time.Since(start)))
}

// authenticate returns the session of the request's token: the
// Authorization header, or the token query parameter where allowQuery (the
// browser cannot set headers on EventSource and WebSocket).
func (s *Server) authenticate(r *http.Request, allowQuery bool) (*chat.Session, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && allowQuery {
		tok = r.URL.Query().Get("token")
	}
	return s.chat.Authenticate(strings.TrimSpace(tok))
}

// readBody reads a request body of at most protocol.MaxBodyBytes, within
// the body timeout that ServeHTTP set on r.Body (see timedBody). A longer
// declared Content-Length is refused before anything is read.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > protocol.MaxBodyBytes {
		// Refused on what the client declares, before a byte is read.
		return nil, tooLarge()
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxBodyBytes+1))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "the request body came too slowly; send it at once")
	}
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "reading the body: %v", err)
	}
	if len(b) > protocol.MaxBodyBytes {
		return nil, tooLarge()
	}
	return b, nil
}

// tooLarge refuses a body longer than the contract allows.
func tooLarge() error {
	return protocol.Errorf(protocol.CodeTooLarge, "a request is at most %d bytes", protocol.MaxBodyBytes)
}

// timedBody is a request body that must arrive within timeout of its first
// read: a read deadline on the connection (the stream, over HTTP/2), set
// through the ResponseController, and lifted once the body has ended so
// that it cannot fire later under a handler still at work. done also
// tells statusRecorder whether the body was read to its end.
type timedBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	started bool
	done    bool // the body ended: EOF, or an error
}

func (b *timedBody) Read(p []byte) (int, error) {
	if !b.started {
		b.started = true
		// ErrNotSupported (a writer without deadlines) leaves the body
		// unbounded, as before.
		b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	}
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// refusal is err as the contract's error. Errors that are not
// *protocol.Error are the server's own failures: they become a generic
// internal error, so internals never reach a client.
func refusal(err error) *protocol.Error {
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		perr = protocol.Errorf(protocol.CodeInternal, "the server failed; try again")
	}
	return perr
}

// writeError answers with the contract's error body for err.
func writeError(w http.ResponseWriter, err error) {
	perr := refusal(err)
	if perr.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(perr.RetryAfter))
	}
	writeJSON(w, perr.Status(), protocol.ErrorBody{Error: perr})
}

// position reads where a stream resumes: since and epoch from the query,
// or Last-Event-ID, which a browser's EventSource sends on its own
// reconnects and which is newer than the since in its URL.
func position(r *http.Request) (chat.Position, error) {
	q := r.URL.Query()
	raw := q.Get("since")
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		raw = id
	}
	pos := chat.Position{Epoch: q.Get("epoch")}
	if raw == "" {
		return pos, nil
	}
	n, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return pos, protocol.Errorf(protocol.CodeBadRequest, "since must be a seq (a whole number), not %q", raw)
	}
	pos.Since, pos.Resume = n, true
	return pos, nil
}

// statusRecorder remembers the status a handler answered, for the log. It
// passes Flush and Hijack through (via Unwrap) so streams keep working.
//
// It also closes an HTTP/1 connection whose request body was not read to
// its end when the answer starts (a refusal before the body: a bad token,
// a foreign host or origin, an unknown path, a declared length over the
// limit). Otherwise net/http reads what is left of the body, up to
// 256 KiB, before it writes the answer, so that the connection can carry
// the next request; a client that trickles that body holds the
// connection, and a goroutine, for as long as it likes, with no answer
// and no timeout running (-body-timeout starts at the handler's first
// read, -idle-timeout after the answer).
type statusRecorder struct {
	http.ResponseWriter
	status int
	http1  bool
	body   *timedBody // nil when the request has no body
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.wrote = code >= 200
	if r.http1 && r.body != nil && !r.body.done {
		r.Header().Set("Connection", "close")
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write starts the answer as WriteHeader does, when the handler did not.
func (r *statusRecorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes flushes through, for code that asserts http.Flusher.
func (r *statusRecorder) Flush() {
	http.NewResponseController(r.ResponseWriter).Flush()
}
