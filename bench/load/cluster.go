package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hark/internal/proc"
)

// A cluster run (-nodes N, N > 1): three nats-servers with JetStream,
// routed to each other, and N Hark nodes sharing them through -nats.
// Clients are spread over the nodes round-robin, and the server's CPU and
// memory are those of every process, Hark and NATS alike.

// natsServerBin returns the nats-server binary, building it from the module
// this project depends on (never downloaded) when it is missing.
func natsServerBin(path string) (string, error) {
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	fmt.Fprintf(os.Stderr, "load: building %s\n", path)
	return path, proc.Build(".", path, "github.com/nats-io/nats-server/v2")
}

// freePorts picks n loopback ports that are free now.
func freePorts(n int) ([]int, error) {
	var out []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	return out, nil
}

// startNATS starts a three-server JetStream cluster in fresh directories
// and returns its processes and client URLs once each is ready.
func startNATS(ctx context.Context, hc *http.Client, bin string) ([]*server, []string, error) {
	ports, err := freePorts(9) // client, cluster, monitoring per server
	if err != nil {
		return nil, nil, err
	}
	var routes, urls []string
	for i := range 3 {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[3+i]))
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	var procs []*server
	stopAll := func() {
		for _, p := range procs {
			p.stop()
		}
	}
	for i := range 3 {
		dir, err := os.MkdirTemp("", "hark-bench-nats-")
		if err != nil {
			stopAll()
			return nil, nil, err
		}
		cmd := exec.Command(bin, "-n", fmt.Sprint("n", i), "-a", "127.0.0.1",
			"-p", strconv.Itoa(ports[i]), "-m", strconv.Itoa(ports[6+i]),
			"-js", "-sd", filepath.Join(dir, "js"), "--cluster_name", "hark-bench",
			"--cluster", routes[i], "--routes", strings.Join(routes, ","))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		p, err := proc.Start(cmd)
		if err != nil {
			os.RemoveAll(dir)
			stopAll()
			return nil, nil, err
		}
		procs = append(procs, &server{pid: p.Pid(), proc: p, dir: dir})
	}
	deadline := time.Now().Add(30 * time.Second)
	for i := range 3 {
		health := fmt.Sprintf("http://127.0.0.1:%d/healthz?js-enabled-only=true", ports[6+i])
		for get(ctx, hc, health, time.Second, nil) != nil {
			if time.Now().After(deadline) {
				stopAll()
				return nil, nil, errors.New("the NATS cluster was not ready within 30s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return procs, urls, nil
}

// nodeAddrs are the Hark nodes' addresses: -addr, then the ports after it.
func nodeAddrs(addr string, n int) ([]string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range n {
		out = append(out, net.JoinHostPort(host, strconv.Itoa(p+i)))
	}
	return out, nil
}

// spawnCluster starts the NATS cluster and the Hark nodes; the first node
// is returned, holding the others (see server.pids and server.stop).
func (r *runner) spawnCluster(ctx context.Context, args []string) (*server, error) {
	bin, err := natsServerBin(r.cfg.NATSServer)
	if err != nil {
		return nil, fmt.Errorf("building nats-server: %w", err)
	}
	natsProcs, urls, err := startNATS(ctx, r.ctl, bin)
	if err != nil {
		return nil, err
	}
	args = append(args, "-nats", strings.Join(urls, ","))
	var nodes []*server
	fail := func(err error) (*server, error) {
		for _, n := range nodes {
			n.stop()
		}
		for _, p := range natsProcs {
			p.stop()
		}
		return nil, err
	}
	for i, addr := range r.nodeAddrs {
		n, err := spawnServer(ctx, r.ctl, r.cfg.Spawn, addr, r.bases[i], args, r.cfg.ServerLog)
		if err != nil {
			return fail(fmt.Errorf("node %d: %w", i+1, err))
		}
		nodes = append(nodes, n)
	}
	first := nodes[0]
	first.others = append(nodes[1:], natsProcs...)
	return first, nil
}

// pids are the processes a run measures: the server, and in a cluster
// every other node and NATS server.
func (s *server) pids() []int {
	out := []int{s.pid}
	for _, o := range s.others {
		out = append(out, o.pid)
	}
	return out
}
