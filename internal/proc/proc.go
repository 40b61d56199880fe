// Package proc builds and runs a program and stops it: the server binary
// that the crash and TLS tests, the browser tests and the load generator
// start. It knows the line in which a Hark server says where it serves,
// and nothing of testing, so the load generator (not a test) uses it too.
package proc

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Announcement opens the line in which the server says where it serves:
// "Hark is running at http://127.0.0.1:NNNN/".
const Announcement = "Hark is running at "

// Build runs `go build flags... -o out pkg` in dir; its error holds what
// the build printed.
func Build(dir, out, pkg string, flags ...string) error {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

// Process is one run of a program.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's, set before done is closed
	url  chan string
}

// Start starts cmd. Its standard output goes on to cmd.Stdout as set (nil:
// discarded), watched for the server's Announcement, which URL waits for.
func Start(cmd *exec.Cmd) (*Process, error) {
	p := &Process{cmd: cmd, done: make(chan struct{}), url: make(chan string, 1)}
	cmd.Stdout = &watcher{to: cmd.Stdout, url: p.url}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exit says how the process ended (its ProcessState and Wait's error);
// call it after Done.
func (p *Process) Exit() string {
	return fmt.Sprintf("%v (%v)", p.cmd.ProcessState, p.err)
}

// Err is Wait's error: nil for an exit status of 0. Call it after Done.
func (p *Process) Err() error { return p.err }

// URL waits up to d for the server to say where it serves, and returns
// that URL without its final slash.
func (p *Process) URL(d time.Duration) (string, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case u := <-p.url:
		p.url <- u // for the next call
		return u, nil
	case <-p.done:
		select {
		case u := <-p.url:
			p.url <- u
			return u, nil
		default:
		}
		return "", fmt.Errorf("the server exited at start: %s", p.Exit())
	case <-timer.C:
		return "", fmt.Errorf("the server did not say where it serves within %v", d)
	}
}

// Kill sends SIGKILL and waits up to d for the exit; it reports whether
// the process is gone.
func (p *Process) Kill(d time.Duration) bool {
	p.cmd.Process.Kill()
	return p.wait(d)
}

// Stop sends SIGTERM, as an operator would, and waits up to grace for the
// exit; past it, SIGKILL and a wait for the end. It reports whether the
// process ended of the SIGTERM.
func (p *Process) Stop(grace time.Duration) bool {
	p.cmd.Process.Signal(syscall.SIGTERM)
	if p.wait(grace) {
		return true
	}
	p.cmd.Process.Kill()
	<-p.done
	return false
}

func (p *Process) wait(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.done:
		return true
	case <-timer.C:
		return false
	}
}

// watcher passes a program's output on and sends the URL of the first
// Announcement line.
type watcher struct {
	to  io.Writer
	url chan<- string

	mu      sync.Mutex
	partial []byte
	said    bool
}

func (w *watcher) Write(b []byte) (int, error) {
	if w.to != nil {
		w.to.Write(b)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.said {
		return len(b), nil
	}
	w.partial = append(w.partial, b...)
	for {
		line, rest, ok := bytes.Cut(w.partial, []byte("\n"))
		if !ok {
			return len(b), nil
		}
		w.partial = rest
		if at, found := strings.CutPrefix(string(line), Announcement); found {
			w.said, w.partial = true, nil
			w.url <- strings.TrimSuffix(strings.TrimSpace(at), "/")
			return len(b), nil
		}
	}
}
