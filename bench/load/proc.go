package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hark/internal/proc"
)

// raiseFileLimit lifts RLIMIT_NOFILE as far as the system allows: every
// client holds at least one socket, and 10,000 of them pass the usual
// soft limit of 1024. As root the hard limit is raised too, up to
// fs.nr_open; a server started by -spawn inherits the result.
func raiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Max < want {
		ceiling := want
		if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
			if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n < ceiling {
				ceiling = n
			}
		}
		raised := syscall.Rlimit{Cur: ceiling, Max: ceiling}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// procCPU returns a process's user plus system CPU time so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields resume after
	// its closing parenthesis, with state as field 3.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc/PID/stat format")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseUint(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad utime/stime in /proc/PID/stat")
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// procRSS returns a process's resident set size in bytes (VmRSS).
func procRSS(pid int) (uint64, error) {
	v := procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS")
	if v == "" {
		return 0, errors.New("no VmRSS in /proc/PID/status")
	}
	kb, err := strconv.ParseUint(strings.TrimSuffix(v, " kB"), 10, 64)
	return kb << 10, err
}

// procField returns the value of the first "key: value" line of a /proc
// file such as /proc/meminfo, spaces trimmed; "" if the file or the key
// is missing.
func procField(file, key string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// statusError is the status line of an answer other than 200 OK.
type statusError string

func (e statusError) Error() string { return string(e) }

// get fetches url within timeout and hands the body of a 200 OK to read
// (nil: the body is discarded); any other status is a statusError.
func get(ctx context.Context, hc *http.Client, url string, timeout time.Duration, read func(io.Reader) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError(resp.Status)
	}
	if read == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	return read(resp.Body)
}

// scrape reads the named metrics (unlabelled samples, or the sum over
// labels) from the server's /metrics.
func scrape(ctx context.Context, hc *http.Client, base string, names ...string) (map[string]float64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := make(map[string]float64, len(names))
	err := get(ctx, hc, base+"/metrics", 10*time.Second, func(body io.Reader) error {
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || line[0] == '#' {
				continue
			}
			name, rest, ok := strings.Cut(line, " ")
			if i := strings.IndexByte(name, '{'); i >= 0 {
				name = name[:i]
				_, rest, ok = strings.Cut(line, "} ")
			}
			if !ok || !want[name] {
				continue
			}
			v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			if err == nil {
				out[name] += v
			}
		}
		return sc.Err()
	})
	if se, ok := err.(statusError); ok {
		return nil, fmt.Errorf("/metrics: %s", se)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// gcServer asks a server started with -pprof to collect garbage (the heap
// profile endpoint runs a GC first with gc=1), so RSS readings compare
// live memory rather than the collector's timing. It reports whether the
// server obliged.
func gcServer(ctx context.Context, hc *http.Client, base string) bool {
	return get(ctx, hc, base+"/debug/pprof/heap?gc=1", 30*time.Second, nil) == nil
}

// cpuProfile saves a CPU profile of the server over d (the server must run
// with -pprof).
func cpuProfile(ctx context.Context, hc *http.Client, base string, d time.Duration, file string) error {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	return saveProfile(ctx, hc, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs), d+30*time.Second, file)
}

// saveProfile saves the pprof answer at url in file.
func saveProfile(ctx context.Context, hc *http.Client, url string, timeout time.Duration, file string) error {
	err := get(ctx, hc, url, timeout, func(body io.Reader) error {
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, body); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if se, ok := err.(statusError); ok {
		return fmt.Errorf("profile: %s (is the server running with -pprof?)", se)
	}
	return err
}

// server is the Hark process under test: one the load generator started
// (-spawn) or one it was pointed at (-pid).
type server struct {
	pid  int
	args []string
	proc *proc.Process // nil unless spawned
	dir  string        // the spawned server's empty web directory
	// others are the cluster's other processes (-nodes), stopped with it.
	others []*server
}

// spawnServer starts bin with args plus -addr, waits until /healthz
// answers, and returns it. The server's stderr goes to logFile when set.
func spawnServer(ctx context.Context, hc *http.Client, bin, addr, base string, args []string, logFile string) (*server, error) {
	dir, err := os.MkdirTemp("", "hark-bench-web-")
	if err != nil {
		return nil, err
	}
	// A fresh data directory each time: the durable store (the default)
	// starts empty, as the in-memory one does.
	full := append([]string{"-addr", addr, "-web", dir, "-data", filepath.Join(dir, "data")}, args...)
	// Stdout, and stderr without logFile, stay nil: /dev/null.
	cmd := exec.Command(bin, full...)
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		defer f.Close() // the server has its own copy once started
		cmd.Stderr = f
	}
	// Its own process group, so an interrupted load generator's ^C does
	// not reach the server before the generator stops it itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, err := proc.Start(cmd)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{pid: p.Pid(), args: full, proc: p, dir: dir}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if get(ctx, hc, base+"/healthz", time.Second, nil) == nil {
			return s, nil
		}
		select {
		case <-p.Done():
			os.RemoveAll(dir)
			return nil, fmt.Errorf("server exited before serving: %v", p.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("server did not answer /healthz within 15s")
		}
	}
}

// stop ends a spawned server: SIGTERM, which drains its streams, then
// SIGKILL if it has not exited within five seconds; then the others, in
// order (the other nodes before the NATS servers they need to drain). It
// does nothing for a server the load generator did not start.
func (s *server) stop() {
	if s == nil {
		return
	}
	if s.proc != nil {
		s.proc.Stop(5 * time.Second)
		os.RemoveAll(s.dir)
		s.proc = nil
	}
	for _, o := range s.others {
		o.stop()
	}
	s.others = nil
}

// machine describes where a run happened, for comparing runs later.
type machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Kernel    string `json:"kernel"`
	MemTotal  string `json:"mem_total"`
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	return m
}
