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
	set := bindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	set.finish()
	var level slog.Level
	if err := level.UnmarshalText([]byte(set.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)
	for _, h := range splitList(set.hosts) {
		if !api.ValidHost(h) {
			return fmt.Errorf("-allow-host: %q is not a host, host:port, address prefix or *", h)
		}
	}

	st, err := openStore(set.store, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	ln, err := net.Listen("tcp", set.addr)
	if err != nil {
		return err
	}
	allowHosts := allowedHosts(set.hosts, ln.Addr())
	// The wiring, in the order data flows: store -> chat -> api -> web.
	cc := set.chat
	cc.Logger = logger
	ch := chat.New(st.Store, cc)
	ac := set.api
	ac.AllowOrigins, ac.AllowHosts, ac.Logger = splitList(set.origins), allowHosts, logger
	srv := api.New(ch, ac)

	if !web.Built(set.webDir) {
		logger.Warn("the web app is not built: the page will say so until it is; run make serve, or make wasm and point -web at web/", "web", set.webDir)
	}
	mux := newMux(srv, web.Config{Version: version, WebDir: set.webDir}, set.pprof)
	hs := newHTTPServer(mux, logger, set.idle)
	scheme := "http"
	if set.tlsCert != "" || set.tlsKey != "" {
		cert, err := tls.LoadX509KeyPair(set.tlsCert, set.tlsKey)
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
