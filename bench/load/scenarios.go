package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"hark/app/client"
)

// runner runs scenarios against one address, spawning servers as asked.
type runner struct {
	cfg       *config
	base      string   // the (first) server's URL
	bases     []string // every node's URL: clients go round-robin
	nodeAddrs []string
	dialer    *dialer
	hc        *http.Client // the clients' shared pool
	ctl       *http.Client // metrics and profiles
}

// target is the server of one scenario.
func (r *runner) target(ctx context.Context) (*server, error) {
	if r.cfg.Spawn == "" {
		return &server{pid: r.cfg.PID}, nil
	}
	args := strings.Fields(defaultServerArgs + " " + r.cfg.ServerArgs)
	if r.cfg.Nodes > 1 {
		return r.spawnCluster(ctx, args)
	}
	return spawnServer(ctx, r.ctl, r.cfg.Spawn, r.cfg.Addr, r.base, args, r.cfg.ServerLog)
}

// scenario runs one scenario at n clients and returns its rows (one per
// rate or transport) and the server's flags when it spawned one.
func (r *runner) scenario(ctx context.Context, name string, n int) ([]result, []string, error) {
	if name == "idle" {
		return r.idle(ctx, n)
	}
	srv, err := r.target(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	f := newFleet(r.bases, r.hc)
	f.add(n, r.cfg.mix())
	defer f.stop(context.Background(), r.cfg.Spawn == "")

	if name == "join" {
		res, err := r.join(ctx, srv, f)
		res.Notes = append(res.Notes, r.clusterNote()...)
		return []result{res}, srv.args, err
	}
	start := time.Now()
	if _, _, _, err := f.connect(ctx, r.cfg.ConnConc, 2*time.Minute); err != nil {
		return nil, srv.args, err
	}
	fmt.Fprintf(os.Stderr, "load: %s: %d clients connected in %v\n", name, n, time.Since(start).Round(time.Millisecond))
	var out []result
	for _, rate := range r.cfg.Rates {
		if ctx.Err() != nil {
			break
		}
		res, err := r.traffic(ctx, srv, f, name, rate)
		res.Notes = append(res.Notes, r.clusterNote()...)
		out = append(out, res)
		if err != nil {
			return out, srv.args, err
		}
	}
	return out, srv.args, nil
}

// sample is the server's state at one moment.
type sample struct {
	cpu        time.Duration
	rss        uint64
	goroutines float64
	slow       float64
}

func (r *runner) sample(ctx context.Context, srv *server) sample {
	var s sample
	for _, pid := range srv.pids() {
		cpu, _ := procCPU(pid)
		rss, _ := procRSS(pid)
		s.cpu += cpu
		s.rss += rss
	}
	for _, base := range r.bases {
		m, err := scrape(ctx, r.ctl, base, "go_goroutines", "hark_slow_consumer_disconnects_total")
		if err == nil {
			s.goroutines += m["go_goroutines"]
			s.slow += m["hark_slow_consumer_disconnects_total"]
		}
	}
	return s
}

// selfCPU is the load generator's own CPU time, reported beside the
// server's: on a shared machine it is the other half of the story.
func selfCPU() time.Duration {
	d, _ := procCPU(os.Getpid())
	return d
}

// snapshot saves the server's heap and goroutine profiles, if asked: what
// an idle connection holds.
func (r *runner) snapshot(ctx context.Context, label string) error {
	if r.cfg.ProfileDir == "" {
		return nil
	}
	if err := os.MkdirAll(r.cfg.ProfileDir, 0o755); err != nil {
		return err
	}
	for _, p := range []string{"heap", "goroutine"} {
		file := filepath.Join(r.cfg.ProfileDir, label+"-"+p+".pprof")
		if err := saveProfile(ctx, r.ctl, r.base+"/debug/pprof/"+p, 30*time.Second, file); err != nil {
			return err
		}
	}
	return nil
}

// profile starts a CPU profile of the server over the coming d, if asked.
func (r *runner) profile(ctx context.Context, label string, d time.Duration) chan error {
	if r.cfg.ProfileDir == "" {
		return nil
	}
	done := make(chan error, 1)
	if err := os.MkdirAll(r.cfg.ProfileDir, 0o755); err != nil {
		done <- err
		return done
	}
	file := filepath.Join(r.cfg.ProfileDir, label+".pprof")
	go func() { done <- cpuProfile(ctx, r.ctl, r.base, d, file) }()
	return done
}

// traffic measures one rate of a traffic scenario (broadcast, direct,
// storm) on a connected fleet.
func (r *runner) traffic(ctx context.Context, srv *server, f *fleet, name string, rate float64) (result, error) {
	n := len(f.members)
	res := result{Scenario: name, Mix: r.cfg.Mix, Clients: n, Rate: rate}
	var pick func(k uint64) (from, to *member)
	switch name {
	case "broadcast", "storm":
		senders := r.cfg.Senders
		if senders <= 0 {
			senders = max(4, int(math.Ceil(rate/50)))
		}
		senders = min(senders, n)
		res.Senders = senders
		pick = func(k uint64) (*member, *member) { return f.members[k%uint64(senders)], nil }
	case "direct":
		pairs := uint64(n / 2)
		res.Senders = n
		pick = func(k uint64) (*member, *member) {
			p := k % pairs
			a, b := f.members[2*p], f.members[2*p+1]
			if (k/pairs)%2 == 1 {
				a, b = b, a
			}
			return a, b
		}
	}
	label := fmt.Sprintf("%s-n%d-r%g", name, n, rate)
	prof := r.profile(ctx, label, r.cfg.Duration)

	before := r.sample(ctx, srv)
	loadBefore := selfCPU()
	w := f.open()
	var mid func()
	var cutAt time.Time
	if name == "storm" {
		mid = func() {
			f.arm(watchDownUp)
			cutAt = time.Now()
			res.Cut = r.dialer.cutAll()
		}
	}
	f.drive(ctx, w, rate, r.cfg.Duration, pick, time.Duration(r.cfg.StormAt*float64(r.cfg.Duration)), mid)
	drained := w.drain(ctx, r.cfg.Drain)
	if name == "storm" {
		// Everyone must be back, however long the drain took.
		var ups []float64
		for i, at := range f.await(ctx, r.cfg.Drain) {
			if at == 0 {
				if f.members[i].sawDown.Load() {
					res.NotResumed++
				} else {
					res.Unaffected++
				}
				continue
			}
			ups = append(ups, time.Unix(0, at).Sub(cutAt).Seconds())
		}
		sort.Float64s(ups)
		if len(ups) > 0 {
			res.ResumeP50 = ups[len(ups)/2]
			res.ResumeAll = ups[len(ups)-1]
		}
	}
	after := r.sample(ctx, srv)
	res.LoadCPU = (selfCPU() - loadBefore).Seconds()
	t := f.check(w)
	f.close(w)

	res.Sent, res.Unsent, res.Lost = t.sent, t.unsent, t.lost
	res.Deliveries = w.deliveries.Load()
	res.Duplicated, res.OutOfOrder, res.Late = w.dups.Load(), w.ooo.Load(), w.late.Load()
	took := time.Unix(0, w.lastRecv.Load()).Sub(w.start).Seconds()
	if took > 0 {
		res.DeliveriesPerSec = float64(res.Deliveries) / took
	}
	res.Seconds = took
	res.fillLatency(&w.hist)
	res.fillAck(&w.ack)
	if !drained && res.Lost > 0 {
		res.Notes = append(res.Notes, "the drain ran out: the lost may be late")
	}
	res.fillByTransport(w)
	res.fillServer(before, after)
	if prof != nil {
		if err := <-prof; err != nil {
			res.Notes = append(res.Notes, "profile: "+err.Error())
		}
	}
	return res, nil
}

// idle measures the server's memory per open connection, one transport at
// a time (each on a fresh server when spawning, so one's garbage is not
// the next one's baseline).
func (r *runner) idle(ctx context.Context, n int) ([]result, []string, error) {
	var out []result
	var args []string
	for _, s := range r.cfg.mix() {
		res, a, err := r.idleOne(ctx, n, s.tr)
		args = a
		if res != nil {
			out = append(out, *res)
		}
		if err != nil {
			return out, args, err
		}
	}
	return out, args, nil
}

func (r *runner) idleOne(ctx context.Context, n int, tr client.Transport) (*result, []string, error) {
	srv, err := r.target(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	gc := r.gc(ctx)
	before := r.sample(ctx, srv)
	f := newFleet(r.bases, r.hc)
	f.add(n, []share{{tr, 1}})
	defer f.stop(context.Background(), r.cfg.Spawn == "")
	res := &result{Scenario: "idle", Mix: string(tr), Clients: n, Notes: r.clusterNote()}
	start := time.Now()
	_, _, missing, err := f.connect(ctx, r.cfg.ConnConc, 2*time.Minute)
	if err != nil {
		return res, srv.args, err
	}
	res.Seconds = time.Since(start).Seconds()
	// Only the streams should hold sockets: registration and history
	// requests leave keep-alive connections the server would count too.
	r.hc.CloseIdleConnections()
	select {
	case <-time.After(r.cfg.IdleWait):
	case <-ctx.Done():
	}
	if gc {
		r.gc(ctx)
	} else {
		res.Notes = append(res.Notes, "no GC before reading RSS (server without -pprof)")
	}
	after := r.sample(ctx, srv)
	if err := r.snapshot(ctx, fmt.Sprintf("idle-%s-n%d", tr, n)); err != nil {
		res.Notes = append(res.Notes, err.Error())
	}
	held := n - missing
	res.fillServer(before, after)
	res.BytesPerConn = (float64(after.rss) - float64(before.rss)) / float64(held)
	res.GoroutinesPerConn = (after.goroutines - before.goroutines) / float64(held)
	res.OpenSockets = r.dialer.open()
	return res, srv.args, nil
}

// join registers and connects every member at once, as a restart of a big
// room brings everyone back.
func (r *runner) join(ctx context.Context, srv *server, f *fleet) (result, error) {
	n := len(f.members)
	res := result{Scenario: "join", Mix: r.cfg.Mix, Clients: n}
	prof := r.profile(ctx, fmt.Sprintf("join-n%d", n), min(r.cfg.Duration, 10*time.Second))
	before := r.sample(ctx, srv)
	loadBefore := selfCPU()
	start := time.Now()
	regDone, upDone, missing, err := f.connect(ctx, 0, r.cfg.Duration+r.cfg.Drain)
	after := r.sample(ctx, srv)
	res.LoadCPU = (selfCPU() - loadBefore).Seconds()
	res.fillServer(before, after)
	res.NotResumed = missing
	if regDone.After(start) {
		res.RegsPerSec = float64(n) / regDone.Sub(start).Seconds()
	}
	if upDone.After(start) {
		res.Seconds = upDone.Sub(start).Seconds()
		res.ConnsPerSec = float64(n-missing) / res.Seconds
	}
	if prof != nil {
		<-prof
	}
	return res, err
}

// gc collects garbage on every node before a memory reading.
func (r *runner) gc(ctx context.Context) bool {
	ok := true
	for _, base := range r.bases {
		ok = gcServer(ctx, r.ctl, base) && ok
	}
	return ok
}

// clusterNote says, in a cluster run, that the figures cover every process.
func (r *runner) clusterNote() []string {
	if r.cfg.Nodes < 2 {
		return nil
	}
	return []string{fmt.Sprintf("%d Hark nodes + 3 NATS servers, CPU and RSS summed", r.cfg.Nodes)}
}
