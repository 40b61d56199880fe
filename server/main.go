// Command server runs Hark: the API and its three transports under /api/,
// health and metrics, and the progressive web app at /.
//
//	go run ./server -addr 127.0.0.1:9000
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"hark/server/api"
	"hark/server/chat"
	"hark/server/web"
)

// version is the release, set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hark:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("hark", flag.ContinueOnError)
	var (
		addr      = fs.String("addr", envOr("HARK_ADDR", "localhost:8080"), "address to listen on (env HARK_ADDR)")
		webDir    = fs.String("web", "web", "directory of the web files (icons, styles, app.wasm)")
		keep      = fs.Int("keep", 10000, "messages kept for resume and history (and as many joins and leaves)")
		maxAge    = fs.Duration("max-age", 0, "also drop events older than this (0: keep by count only)")
		grace     = fs.Duration("grace", 30*time.Second, "how long a name is kept with no open stream")
		threshold = fs.Int("presence-threshold", 200, "people online above which presence goes by counts")
		sendRate  = fs.Float64("rate", 10, "messages per second each session may send")
		burst     = fs.Int("burst", 20, "messages a session may send at once")
		queue     = fs.Int("queue", 256, "events a stream may fall behind before it is disconnected")
		queueB    = fs.Int("queue-bytes", 1<<20, "bytes of events a stream may fall behind before it is disconnected")
		origins   = fs.String("allow-origin", "", "comma-separated origins (https://host:port) allowed besides the server's own")
		hosts     = fs.String("allow-host", "", "comma-separated Host headers answered: names or addresses (any port), host:port, prefixes (127.0.0.0/8), or *; empty: loopback names when bound to loopback, any host otherwise")
		idle      = fs.Duration("idle-timeout", 120*time.Second, "how long an idle keep-alive connection is kept open")
		delay     = fs.Duration("write-delay", api.DefaultWriteDelay, "how long a busy WebSocket or SSE stream's next write waits to carry more events (0: write every event at once)")
		bodyWait  = fs.Duration("body-timeout", 10*time.Second, "how long a client has to send a request body")
		regRate   = fs.Float64("addr-register-rate", 5, "registrations per second from one client address (0 or negative: no limit)")
		regBurst  = fs.Int("addr-register-burst", 20, "registrations one client address may make at once (0 or negative: no limit)")
		addrSess  = fs.Int("addr-sessions", 50, "live sessions one client address may hold (0 or negative: no limit)")
		readRate  = fs.Float64("read-rate", 10, "history pages and user searches per second for each session (0 or negative: no limit)")
		readBurst = fs.Int("read-burst", 30, "reads each session may make at once")
		addrRead  = fs.Float64("addr-read-rate", 50, "history pages and user searches per second from all of one client address's sessions (0 or negative: no limit)")
		addrReadB = fs.Int("addr-read-burst", 100, "reads one client address may make at once (0 or negative: no limit)")
		addrStrm  = fs.Int("addr-streams", 200, "streams (WebSocket, SSE, held polls) open on this node for the sessions of one client address (0 or negative: no limit)")
		sessStrm  = fs.Int("session-streams", 10, "streams open at once for one session (0 or negative: no limit)")
		addrRate  = fs.Float64("addr-send-rate", 50, "messages per second from all of one client address's sessions (0 or negative: no limit)")
		addrBurst = fs.Int("addr-send-burst", 100, "messages one client address may send at once (0 or negative: no limit)")
		storeKind = fs.String("store", envOr("HARK_STORE", "nats"), "where history, names and sessions live: nats (durable: embedded in -data, or the -nats cluster) or memory (lost at exit) (env HARK_STORE)")
		dataDir   = fs.String("data", envOr("HARK_DATA", "data"), "directory of the embedded NATS JetStream store (env HARK_DATA)")
		natsURLs  = fs.String("nats", envOr("HARK_NATS", ""), "comma-separated URLs of an external NATS cluster to share with other nodes, instead of the embedded server (env HARK_NATS)")
		replicas  = fs.Int("replicas", 0, "copies of the stream and buckets on an external NATS cluster (default 3 with -nats, 1 embedded)")
		fsync     = fs.String("fsync", "", "embedded JetStream fsync: always, or an interval such as 1s (default: NATS's 2m; a process crash loses nothing acknowledged either way)")
		tlsCert   = fs.String("tls-cert", "", "TLS certificate file: serve HTTPS with HTTP/2")
		tlsKey    = fs.String("tls-key", "", "TLS key file")
		pprofOn   = fs.Bool("pprof", false, "serve runtime profiles at /debug/pprof/")
		logLevel  = fs.String("log-level", "info", "debug, info, warn or error")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)
	for _, h := range splitList(*hosts) {
		if !api.ValidHost(h) {
			return fmt.Errorf("-allow-host: %q is not a host, host:port, address prefix or *", h)
		}
	}

	st, err := openStore(storeConfig{Kind: *storeKind, Dir: *dataDir, NATS: splitList(*natsURLs), Replicas: *replicas, Fsync: *fsync, Keep: *keep, MaxAge: *maxAge}, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	allowHosts := allowedHosts(*hosts, ln.Addr())
	regLimit, regN := addrLimit(*regRate, *regBurst)
	sendLimit, sendN := addrLimit(*addrRate, *addrBurst)
	readLimit, readN := addrLimit(*readRate, *readBurst)
	addrReadLimit, addrReadN := addrLimit(*addrRead, *addrReadB)
	// The wiring, in the order data flows: store -> chat -> api -> web.
	ch := chat.New(chat.Config{
		Keep:              *keep,
		MaxAge:            *maxAge,
		Grace:             *grace,
		PresenceThreshold: *threshold,
		Rate:              rate.Limit(*sendRate),
		Burst:             *burst,
		QueueLen:          *queue,
		QueueBytes:        *queueB,
		AddrRegisterRate:  regLimit,
		AddrRegisterBurst: regN,
		AddrSessions:      offIfNotPositive(*addrSess),
		ReadRate:          readLimit,
		ReadBurst:         readN,
		AddrReadRate:      addrReadLimit,
		AddrReadBurst:     addrReadN,
		AddrStreams:       offIfNotPositive(*addrStrm),
		SessionStreams:    offIfNotPositive(*sessStrm),
		AddrSendRate:      sendLimit,
		AddrSendBurst:     sendN,
		Log:               st.Log,
		Registry:          st.Registry,
		Sessions:          st.Sessions,
		Signals:           st.Signals,
		Logger:            logger,
	})
	srv := api.New(ch, api.Config{
		AllowOrigins: splitList(*origins),
		AllowHosts:   allowHosts,
		BodyTimeout:  *bodyWait,
		WriteDelay:   writeDelay(*delay),
		Logger:       logger,
	})

	if !web.Built(*webDir) {
		logger.Warn("the web app is not built: the page will say so until it is; run make serve, or make wasm and point -web at web/", "web", *webDir)
	}
	mux := newMux(srv, web.Config{Version: version, WebDir: *webDir}, *pprofOn)
	hs := newHTTPServer(mux, logger, *idle)
	scheme := "http"
	if *tlsCert != "" || *tlsKey != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			return fmt.Errorf("loading TLS key pair: %w", err)
		}
		// HTTP/2 lets a browser hold many SSE streams on one connection
		// instead of six per host.
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
		scheme = "https"
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		if hs.TLSConfig != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	logger.Info("serving", "url", scheme+"://"+displayAddr(ln.Addr()), "version", version, "allow_hosts", hostsForLog(allowHosts))
	fmt.Printf("Hark is running at %s://%s/\n", scheme, displayAddr(ln.Addr()))

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	// End the streams first (clients are told to reconnect), then let
	// in-flight requests finish; streams would otherwise hold Shutdown.
	ch.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// writeDelay turns the -write-delay flag, where 0 means none, into
// api.Config's, where 0 means the default.
func writeDelay(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// newHTTPServer is the http.Server for handler. Headers must arrive within
// 10 s and an idle keep-alive connection is closed after idle. There is no
// ReadTimeout or WriteTimeout: they would cut the streams, which bound
// their own writes, and api.Server bounds the reading of request bodies.
func newHTTPServer(handler http.Handler, logger *slog.Logger, idle time.Duration) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       idle,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// allowedHosts is the -allow-host list, or its default for a server
// listening on bound: only loopback names when that is a loopback address
// (a local server must not answer a page whose name was pointed at it),
// any host otherwise (nil).
func allowedHosts(flagValue string, bound net.Addr) []string {
	if hosts := splitList(flagValue); len(hosts) > 0 {
		return hosts
	}
	if tcp, ok := bound.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return api.LoopbackHosts
	}
	return nil
}

func hostsForLog(hosts []string) string {
	if len(hosts) == 0 {
		return "*"
	}
	return strings.Join(hosts, ",")
}

// addrLimit maps the flags of a per-address budget to chat.Config's
// fields, where a negative rate turns the budget off: a flag of 0 or less,
// rate or burst, turns it off.
func addrLimit(perSecond float64, burst int) (rate.Limit, int) {
	if perSecond <= 0 || burst <= 0 {
		return -1, 0
	}
	return rate.Limit(perSecond), burst
}

// offIfNotPositive maps a flag where 0 or less means no limit to
// chat.Config's spelling of it, a negative value (zero takes the default).
func offIfNotPositive(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// newMux routes the API, health and metrics to srv, the profiles when
// pprofOn, and everything else to the web app; every route answers only
// the hosts srv allows.
func newMux(srv *api.Server, webCfg web.Config, pprofOn bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", srv)
	mux.Handle("/healthz", srv)
	mux.Handle("/metrics", srv)
	if pprofOn {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	}
	// The app behind the mux, never as the root handler: go-app's Handler
	// alone would serve files relative to the working directory.
	mux.Handle("/", web.Handler(webCfg))
	// The API checks the host itself; this covers the rest too.
	return srv.CheckHost(mux)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// displayAddr is the listening address as a person would type it.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
