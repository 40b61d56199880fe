// Command load drives a running Hark server through app/client (the code
// the browser runs, built for the host) and reports how fast and how lean it
// is: deliveries per second and per server CPU-second, end-to-end latency,
// lost, duplicated and out-of-order deliveries, slow-consumer disconnects,
// memory per idle connection, reconnect-storm and mass-join times.
//
//	go run ./bench/load -spawn bin/hark-bench -scenarios broadcast -n 1000 -rate 100
//
// With -spawn it starts the server binary itself (a fresh one per scenario,
// so each starts clean) and knows its PID; with -pid it measures a server
// started by hand. Only loopback targets are accepted. Every scenario ends
// by itself within -duration plus -drain.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hark/app/client"
)

// config is the command line.
type config struct {
	Addr       string        `json:"addr"`
	Spawn      string        `json:"spawn,omitempty"`
	ServerArgs string        `json:"server_args,omitempty"`
	ServerLog  string        `json:"-"`
	PID        int           `json:"pid,omitempty"`
	Nodes      int           `json:"nodes"`
	NATSServer string        `json:"-"`
	Scenarios  []string      `json:"scenarios"`
	N          []int         `json:"clients"`
	Mix        string        `json:"mix"`
	Rates      []float64     `json:"rates"`
	Senders    int           `json:"senders"`
	Duration   time.Duration `json:"duration_ns"`
	Drain      time.Duration `json:"drain_ns"`
	IdleWait   time.Duration `json:"idle_wait_ns"`
	Sources    int           `json:"source_addresses"`
	ConnConc   int           `json:"connect_concurrency"`
	StormAt    float64       `json:"storm_at"`
	ProfileDir string        `json:"-"`
	SelfProf   string        `json:"-"`
	JSON       string        `json:"-"`
	Peer       bool          `json:"peer,omitempty"`
	Repeat     int           `json:"repeat,omitempty"`

	ws, sse, poll float64
}

// defaultServerArgs are added before -server-args when spawning: sends
// are not rate-limited per session (a few senders carry the whole load),
// nor are registrations, sessions and sends per client address (every
// client comes from a handful of loopback addresses, thousands of
// registrations apiece), the log is quiet (a line per registration would
// cost the server CPU the figures should not include), and pprof is on for
// -profile and for the garbage collection before idle RSS readings.
const defaultServerArgs = "-log-level warn -pprof -rate 1000000 -burst 1000000" +
	" -addr-register-rate 0 -addr-sessions 0 -addr-streams 0 -addr-read-rate 0 -read-rate 0 -addr-send-rate 0"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func parseFlags() (*config, error) {
	c := &config{}
	var scen, ns, rates string
	flag.StringVar(&c.Addr, "addr", "127.0.0.1:18080", "server address (loopback only)")
	flag.StringVar(&c.Spawn, "spawn", "", "server binary to start (fresh per scenario) on -addr; empty: measure the server at -addr with -pid")
	flag.StringVar(&c.ServerArgs, "server-args", "", "extra flags for the spawned server, after \""+defaultServerArgs+"\"")
	flag.StringVar(&c.ServerLog, "server-log", "", "append the spawned server's log to this file")
	flag.IntVar(&c.PID, "pid", 0, "PID of the server at -addr, for CPU and RSS (without -spawn)")
	flag.IntVar(&c.Nodes, "nodes", 1, "Hark nodes to spawn (on -addr and the ports after it), sharing a three-server NATS cluster when more than one; clients go round-robin; CPU and RSS are summed over every process")
	flag.StringVar(&c.NATSServer, "nats-server", "bin/nats-server", "the nats-server binary for -nodes (built from the module if missing)")
	flag.StringVar(&scen, "scenarios", "idle,broadcast,direct,storm,join", "comma-separated scenarios: idle, broadcast, direct, storm, join")
	flag.StringVar(&ns, "n", "1000", "clients; a comma-separated list runs each scenario at each size")
	flag.Float64Var(&c.ws, "ws", 0.5, "fraction of clients on WebSocket")
	flag.Float64Var(&c.sse, "sse", 0.4, "fraction of clients on Server-Sent Events")
	flag.Float64Var(&c.poll, "poll", 0.1, "fraction of clients on long polling")
	flag.StringVar(&rates, "rate", "100", "messages per second, whole run (broadcast, direct, storm); a comma-separated list measures each in turn")
	flag.IntVar(&c.Senders, "senders", 0, "broadcast senders; 0: max(4, rate/50), so no one client's outbox is the bottleneck")
	flag.DurationVar(&c.Duration, "duration", 10*time.Second, "how long each measured stretch sends (join: how long to wait for everyone)")
	flag.DurationVar(&c.Drain, "drain", 5*time.Second, "how long to wait after sending for deliveries still on their way")
	flag.DurationVar(&c.IdleWait, "idle-wait", 3*time.Second, "idle: how long connections sit before memory is read")
	flag.IntVar(&c.Sources, "sources", 16, "loopback source addresses to spread client sockets over (127.0.0.2 onwards)")
	flag.IntVar(&c.ConnConc, "connect-concurrency", 256, "connections opened at once while setting up (join opens all at once)")
	flag.Float64Var(&c.StormAt, "storm-at", 0.3, "storm: when, as a fraction of -duration, every connection is cut")
	flag.StringVar(&c.ProfileDir, "profile", "", "save a server CPU profile of each measured stretch, and heap and goroutine profiles of each idle fleet, in this directory (server needs -pprof)")
	flag.StringVar(&c.SelfProf, "cpuprofile", "", "write the load generator's own CPU profile to this file")
	flag.BoolVar(&c.Peer, "peer", false, "measure the peer table instead of -scenarios: for WebSocket and SSE alone, idle KiB per connection at 10,000, deliveries per server CPU-second and p99 at 1,000 × 100/s, the highest rate at 1,000 clients with p99 ≤ 100 ms and nothing lost, p99 at 10,000 × 10/s (several minutes)")
	flag.IntVar(&c.Repeat, "repeat", 1, "with -peer: measure the table this many times, one after the other, and print each figure's median with its range (the peers were compared on the median of three)")
	flag.StringVar(&c.JSON, "json", "", "also write the results, machine and parameters as JSON to this file")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: load [flags]\n\nDrives a Hark server on loopback and reports throughput, latency, loss and memory.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", flag.Args())
	}
	if err := checkLoopback(c.Addr); err != nil {
		return nil, err
	}
	if (c.Spawn == "") == (c.PID == 0) {
		return nil, errors.New("give exactly one of -spawn (start the server) and -pid (measure the one at -addr)")
	}
	if c.Nodes < 1 || (c.Nodes > 1 && c.Spawn == "") {
		return nil, errors.New("-nodes: at least 1, and more only with -spawn")
	}
	for _, s := range strings.Split(scen, ",") {
		switch s = strings.TrimSpace(s); s {
		case "idle", "broadcast", "direct", "storm", "join":
			c.Scenarios = append(c.Scenarios, s)
		case "":
		default:
			return nil, fmt.Errorf("-scenarios: unknown scenario %q", s)
		}
	}
	for _, s := range strings.Split(ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 {
			return nil, fmt.Errorf("-n: %q is not a client count of at least 2", s)
		}
		c.N = append(c.N, n)
	}
	for _, s := range strings.Split(rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("-rate: %q is not a positive rate", s)
		}
		c.Rates = append(c.Rates, r)
	}
	if c.Peer {
		c.N = []int{peerIdleN}
	}
	if c.Repeat < 1 {
		return nil, errors.New("-repeat: at least 1")
	}
	if c.ws < 0 || c.sse < 0 || c.poll < 0 || c.ws+c.sse+c.poll == 0 {
		return nil, errors.New("-ws, -sse and -poll are fractions, not negative, and not all zero")
	}
	if c.Sources < 0 || c.Sources > 250 {
		return nil, errors.New("-sources: 0 to 250")
	}
	c.Mix = mixString(c.mix())
	return c, nil
}

// share is one transport's fraction of the clients.
type share struct {
	tr   client.Transport
	frac float64
}

// mix is the transports with a share, fractions normalised to sum to one.
func (c *config) mix() []share {
	total := c.ws + c.sse + c.poll
	var out []share
	for _, s := range []share{{client.WebSocket, c.ws}, {client.SSE, c.sse}, {client.Poll, c.poll}} {
		if s.frac > 0 {
			out = append(out, share{s.tr, s.frac / total})
		}
	}
	return out
}

func mixString(mix []share) string {
	if len(mix) == 1 {
		return string(mix[0].tr)
	}
	var parts []string
	for _, s := range mix {
		parts = append(parts, fmt.Sprintf("%s=%.2g", s.tr, s.frac))
	}
	return strings.Join(parts, " ")
}

// report is the -json file.
type report struct {
	Started time.Time `json:"started"`
	Machine machine   `json:"machine"`
	Params  *config   `json:"params"`
	// ServerArgs are the flags of the server measured (spawned ones).
	ServerArgs []string `json:"server_args,omitempty"`
	FileLimit  uint64   `json:"file_limit"`
	Results    []result `json:"results"`
	// Peer is the peer table: each figure the median of PeerRuns.
	Peer     []peerRow   `json:"peer,omitempty"`
	PeerRuns [][]peerRow `json:"peer_runs,omitempty"`
}

func run() error {
	cfg, err := parseFlags()
	if err != nil {
		return err
	}
	// The generator shares the cores with the server: a lazier collector
	// leaves more of them to the server, and memory is plentiful.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	maxN := slices.Max(cfg.N)
	limit, err := raiseFileLimit(uint64(8*maxN + 4096))
	if err != nil {
		return fmt.Errorf("raising the open-file limit: %w", err)
	}
	if limit < uint64(2*maxN+256) {
		fmt.Fprintf(os.Stderr, "load: warning: open-file limit %d is low for %d clients\n", limit, maxN)
	}
	if cfg.SelfProf != "" {
		f, err := os.Create(cfg.SelfProf)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep := &report{Started: time.Now().UTC(), Machine: describeMachine(), Params: cfg, FileLimit: limit}
	r := &runner{cfg: cfg, base: "http://" + cfg.Addr}
	addrs, err := nodeAddrs(cfg.Addr, cfg.Nodes)
	if err != nil {
		return err
	}
	r.nodeAddrs = addrs
	for _, a := range addrs {
		r.bases = append(r.bases, "http://"+a)
	}
	r.dialer = newDialer(cfg.Sources)
	r.hc = newHTTPClient(r.dialer, 2*maxN+256)
	// Control requests (metrics, pprof) go around the clients' pool, so a
	// storm's cut does not touch them.
	r.ctl = newControlClient()
	fmt.Fprintf(os.Stderr, "load: %d CPUs, %s, file limit %d, mix %s\n", rep.Machine.CPUs, rep.Machine.GoVersion, limit, cfg.Mix)

	if cfg.Peer {
		for i := range cfg.Repeat {
			rows, err := r.peerTable(ctx, rep)
			if len(rows) > 0 {
				rep.PeerRuns = append(rep.PeerRuns, rows)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "load: peer, run %d: %v\n", i+1, err)
				break
			}
		}
		rep.Peer = medianPeer(rep.PeerRuns)
		cfg.N = nil
	}
	for _, n := range cfg.N {
		for _, s := range cfg.Scenarios {
			if ctx.Err() != nil {
				break
			}
			res, args, err := r.scenario(ctx, s, n)
			if args != nil {
				rep.ServerArgs = args
			}
			rep.Results = append(rep.Results, res...)
			if err != nil {
				fmt.Fprintf(os.Stderr, "load: %s n=%d: %v\n", s, n, err)
			}
			for _, x := range res {
				fmt.Fprintln(os.Stderr, "load: done:", x.line())
			}
		}
	}
	printTable(os.Stdout, rep)
	if cfg.Peer {
		printPeer(os.Stdout, rep.PeerRuns)
	}
	if cfg.JSON != "" {
		if err := writeJSON(cfg.JSON, rep); err != nil {
			return err
		}
	}
	return ctx.Err()
}
