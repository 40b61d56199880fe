package main

import (
	"errors"
	"flag"
	"os"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"hark/server/api"
	"hark/server/chat"
)

// settings is what the command line says: each flag is bound to the field
// of the config it sets, and shows that config's default (chat.Defaults,
// chat.DefaultLimits, api.Defaults) as its own, so a default is written
// once.
type settings struct {
	chat  chat.Config
	api   api.Config
	store storeConfig

	addr, webDir, origins, hosts string
	tlsCert, tlsKey, logLevel    string
	natsURLs                     string
	idle                         time.Duration
	pprof                        bool
}

// bindFlags defines the server's flags on fs. A flag whose 0 turns a
// limit off writes the config's own spelling of off (a negative value;
// a config's 0 is its default), through the flag.Values below.
func bindFlags(fs *flag.FlagSet) *settings {
	s := &settings{chat: chat.Defaults(), api: api.Defaults(), store: storeConfig{Limits: chat.DefaultLimits()}}
	c, a := &s.chat, &s.api

	fs.StringVar(&s.addr, "addr", envOr("HARK_ADDR", "localhost:8080"), "address to listen on (env HARK_ADDR)")
	fs.StringVar(&s.webDir, "web", "web", "directory of the web files (icons, styles, app.wasm)")
	l := &s.store.Limits
	fs.IntVar(&l.Keep, "keep", l.Keep, "messages kept for resume and history (and as many joins and leaves)")
	fs.DurationVar(&l.MaxAge, "max-age", l.MaxAge, "also drop events older than this (0: keep by count only)")
	fs.DurationVar(&c.Grace, "grace", c.Grace, "how long a name is kept with no open stream")
	fs.IntVar(&c.PresenceThreshold, "presence-threshold", c.PresenceThreshold, "people online above which presence goes by counts")
	fs.Float64Var((*float64)(&c.Rate), "rate", float64(c.Rate), "messages per second each session may send")
	fs.IntVar(&c.Burst, "burst", c.Burst, "messages a session may send at once")
	fs.Var(offDuration{&c.EditWindow}, "edit-window", "how long after sending a message its author may edit it (a `duration`; 0: no bound)")
	fs.IntVar(&c.QueueLen, "queue", c.QueueLen, "events a stream may fall behind before it is disconnected")
	fs.IntVar(&c.QueueBytes, "queue-bytes", c.QueueBytes, "bytes of events a stream may fall behind before it is disconnected")
	fs.StringVar(&s.origins, "allow-origin", "", "comma-separated origins (https://host:port) allowed besides the server's own")
	fs.StringVar(&s.hosts, "allow-host", "", "comma-separated Host headers answered: names or addresses (any port), host:port, prefixes (127.0.0.0/8), or *; empty: loopback names when bound to loopback, any host otherwise")
	fs.DurationVar(&s.idle, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection is kept open")
	fs.Var(offDuration{&a.WriteDelay}, "write-delay", "how long a busy WebSocket or SSE stream's next write waits to carry more events (a `duration`; 0: write every event at once)")
	fs.DurationVar(&a.BodyTimeout, "body-timeout", a.BodyTimeout, "how long a client has to send a request body")
	fs.Var(offRate{&c.AddrRegisterRate}, "addr-register-rate", "registrations per second from one client address (`n` a second, 0: no limit)")
	fs.Var(offInt{&c.AddrRegisterBurst}, "addr-register-burst", "registrations one client address may make at once (`n`, 0: no limit)")
	fs.Var(offInt{&c.AddrSessions}, "addr-sessions", "live sessions one client address may hold (`n`, 0: no limit)")
	fs.Var(offRate{&c.ReadRate}, "read-rate", "history pages and user searches per second for each session (`n` a second, 0: no limit)")
	fs.Var(offInt{&c.ReadBurst}, "read-burst", "reads each session may make at once (`n`, 0: no limit)")
	fs.Var(offRate{&c.AddrReadRate}, "addr-read-rate", "history pages and user searches per second from all of one client address's sessions (`n` a second, 0: no limit)")
	fs.Var(offInt{&c.AddrReadBurst}, "addr-read-burst", "reads one client address may make at once (`n`, 0: no limit)")
	fs.Var(offInt{&c.AddrStreams}, "addr-streams", "streams (WebSocket, SSE, held polls) open on this node for the sessions of one client address (`n`, 0: no limit)")
	fs.Var(offInt{&c.SessionStreams}, "session-streams", "streams open at once for one session (`n`, 0: no limit)")
	fs.Var(offRate{&c.AddrSendRate}, "addr-send-rate", "messages per second from all of one client address's sessions (`n` a second, 0: no limit)")
	fs.Var(offInt{&c.AddrSendBurst}, "addr-send-burst", "messages one client address may send at once (`n`, 0: no limit)")
	fs.Int64Var(&a.MaxFileBytes, "max-file", a.MaxFileBytes, "the largest file an upload may carry, in bytes")
	fs.DurationVar(&a.FileTimeout, "file-timeout", a.FileTimeout, "how long a client has to send an upload's body")
	fs.IntVar(&a.MaxUploads, "uploads", a.MaxUploads, "uploads this node works on at once (more are refused: an image is held whole while it is decoded)")
	fs.Var(perMinute{&c.FileRate}, "file-rate", "uploads per minute for each session (`n` a minute, 0: no limit)")
	fs.Var(offInt{&c.FileBurst}, "file-burst", "uploads a session may make at once (`n`, 0: no limit)")
	fs.Var(perMinute{&c.AddrFileRate}, "addr-file-rate", "uploads per minute from all of one client address's sessions (`n` a minute, 0: no limit)")
	fs.Var(offInt{&c.AddrFileBurst}, "addr-file-burst", "uploads one client address may make at once (`n`, 0: no limit)")
	fs.StringVar(&a.AdminToken, "admin-token", "", "the operator's credential: a session that sends it in the X-Hark-Admin header may rename, set the topic of, remove members from and delete any room, and delete any message it can see (env HARK_ADMIN_TOKEN; empty, the default: no operator)")
	fs.Var(perMinute{&c.RoomRate}, "room-rate", "rooms each person may make a minute (`n` a minute, 0: no limit)")
	fs.Var(offInt{&c.RoomBurst}, "room-burst", "rooms a person may make at once (`n`, 0: no limit)")
	fs.Var(perMinute{&c.AddrRoomRate}, "addr-room-rate", "rooms the people of one client address may make a minute (`n` a minute, 0: no limit)")
	fs.Var(offInt{&c.AddrRoomBurst}, "addr-room-burst", "rooms one client address may make at once (`n`, 0: no limit)")
	fs.StringVar(&s.store.Kind, "store", envOr("HARK_STORE", "nats"), "where history, names and sessions live: nats (durable: embedded in -data, or the -nats cluster) or memory (lost at exit) (env HARK_STORE)")
	fs.StringVar(&s.store.Dir, "data", envOr("HARK_DATA", "data"), "directory of the embedded NATS JetStream store (env HARK_DATA)")
	fs.StringVar(&s.natsURLs, "nats", envOr("HARK_NATS", ""), "comma-separated URLs of an external NATS cluster to share with other nodes, instead of the embedded server (env HARK_NATS)")
	fs.IntVar(&s.store.Replicas, "replicas", 0, "copies of the stream and buckets on an external NATS cluster (default 3, fewer on a smaller cluster, 1 on a single server or embedded)")
	fs.StringVar(&s.store.Fsync, "fsync", "", "embedded JetStream fsync: always, or an interval such as 1s (default: NATS's 2m; a process crash loses nothing acknowledged either way)")
	fs.StringVar(&s.tlsCert, "tls-cert", "", "TLS certificate file: serve HTTPS with HTTP/2")
	fs.StringVar(&s.tlsKey, "tls-key", "", "TLS key file")
	fs.BoolVar(&s.pprof, "pprof", false, "serve runtime profiles at /debug/pprof/")
	fs.StringVar(&s.logLevel, "log-level", "info", "debug, info, warn or error")
	return s
}

// finish fills in what follows from the flags once they are parsed.
func (s *settings) finish() {
	s.store.NATS = splitList(s.natsURLs)
	if s.api.AdminToken == "" {
		// Read here, not as the flag's default, which -help would print.
		s.api.AdminToken = os.Getenv("HARK_ADMIN_TOKEN")
	}
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

var errNotNumber = errors.New("not a number")

// offInt binds an int field whose negative value turns a limit off to a
// flag where 0 (or less) does.
type offInt struct{ p *int }

func (f offInt) String() string {
	if f.p == nil || *f.p < 0 {
		return "0"
	}
	return strconv.Itoa(*f.p)
}

func (f offInt) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return errNotNumber
	}
	if n <= 0 {
		n = -1
	}
	*f.p = n
	return nil
}

// offRate is offInt for a rate.
type offRate struct{ p *rate.Limit }

func (f offRate) String() string {
	if f.p == nil || *f.p < 0 {
		return "0"
	}
	return strconv.FormatFloat(float64(*f.p), 'g', -1, 64)
}

func (f offRate) Set(v string) error {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return errNotNumber
	}
	*f.p = rate.Limit(n)
	if n <= 0 {
		*f.p = -1
	}
	return nil
}

// perMinute is offRate counted a minute: uploads are few, and "0.1666"
// a second says less than 10 a minute.
type perMinute struct{ p *rate.Limit }

func (f perMinute) String() string {
	if f.p == nil || *f.p < 0 {
		return "0"
	}
	return strconv.FormatFloat(float64(*f.p)*60, 'g', 4, 64)
}

func (f perMinute) Set(v string) error {
	if err := offRate(f).Set(v); err != nil {
		return err
	}
	if *f.p > 0 {
		*f.p /= 60
	}
	return nil
}

// offDuration is offInt for a duration.
type offDuration struct{ p *time.Duration }

func (f offDuration) String() string {
	if f.p == nil || *f.p < 0 {
		return "0s"
	}
	return f.p.String()
}

func (f offDuration) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return err
	}
	*f.p = d
	if d <= 0 {
		*f.p = -1
	}
	return nil
}
