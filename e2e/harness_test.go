// Package e2e drives Hark in a real headless Chromium: separate browser
// contexts play separate people against the real server binary on a
// loopback port.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hark/internal/proc"
	"hark/internal/testkit"
)

// Paths set up by TestMain.
var (
	chromiumPath string // "" when no browser: the tests skip, loudly
	serverBin    string // the server, built once
	webDir       string // the repository's web/, with app.wasm built
	shotDir      string // where screenshots go
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		// The quick check (go test -short ./...) leaves the browser out;
		// make test runs it.
		fmt.Fprintln(os.Stderr, "e2e: browser tests skipped with -short")
		return m.Run()
	}
	chromiumPath = findChromium()
	if chromiumPath == "" {
		ci := os.Getenv("CI") == "true"
		banner := "!!! Chromium not found (apt-get install -y chromium): the browser tests are SKIPPED !!!"
		if ci {
			banner = "!!! Chromium not found (apt-get install -y chromium): with CI=true that is a FAILURE !!!"
		}
		fmt.Fprintln(os.Stderr, strings.Repeat("!", len(banner)))
		fmt.Fprintln(os.Stderr, banner)
		fmt.Fprintln(os.Stderr, strings.Repeat("!", len(banner)))
		if ci {
			return 1
		}
		return m.Run()
	}
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	webDir = filepath.Join(root, "web")
	if _, err := os.Stat(filepath.Join(webDir, "app.wasm")); err != nil {
		fmt.Fprintln(os.Stderr, "web/app.wasm is missing: run the browser tests with `make e2e`, which builds it")
		return 1
	}
	shotDir = filepath.Join(root, "e2e", "screenshots")
	os.MkdirAll(shotDir, 0o755)
	tmp, err := os.MkdirTemp("", "hark-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	serverBin = filepath.Join(tmp, "hark")
	if err := proc.Build(root, serverBin, "./server", "-ldflags", "-X main.version=e2e"); err != nil {
		fmt.Fprintln(os.Stderr, "building the server:", err)
		return 1
	}
	return m.Run()
}

func findChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needBrowser skips the test, loudly, when there is no Chromium (TestMain
// has already failed the run if CI=true).
func needBrowser(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("a browser test: not with -short")
	}
	if chromiumPath == "" {
		t.Skip("!!! Chromium not found: browser test SKIPPED (apt-get install -y chromium; with CI=true this is a failure) !!!")
	}
}

// server is the Hark binary behind a loopback port that the test binds
// once and keeps for its whole run, so no other program can take the port
// between a pick and a bind. Each connection to that port is relayed to the
// running process, which listens on a port the kernel gives it and says
// which on its standard output. Stop and Start restart the process, as a
// restart or an outage looks to a browser: while it is stopped, every
// connection to the port is reset, as a down server's are refused.
type server struct {
	t    *testing.T
	ln   net.Listener
	args []string
	URL  string
	run  *proc.Process // nil while stopped

	mu      sync.Mutex
	backend string // the process's own address; "" while stopped
}

// startServer runs the server behind a loopback port of its own, with
// extra flags. Every test in this package is a browser test and starts
// here, so this is where one without Chromium skips.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// One data directory for the server's life, so a restart (Stop, Start)
	// finds its history, names and sessions, as a real one does.
	args = append([]string{"-data", t.TempDir()}, args...)
	s := &server{t: t, ln: ln, args: args, URL: "http://" + ln.Addr().String()}
	go s.accept()
	t.Cleanup(func() {
		s.Stop()
		ln.Close()
	})
	s.Start()
	return s
}

// Start runs the server (again) and waits until it is healthy through the
// test's port.
func (s *server) Start() {
	s.t.Helper()
	// Every person comes from 127.0.0.1: the per-address budgets are off
	// (flags of 0), so no test trips them by having many people.
	args := append([]string{"-addr", "127.0.0.1:0", "-web", webDir, "-log-level", "warn",
		"-addr-register-rate", "0", "-addr-sessions", "0", "-addr-streams", "0", "-addr-read-rate", "0", "-addr-send-rate", "0"}, s.args...)
	// The server's output goes to the test's standard error.
	cmd := exec.Command(serverBin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	p, err := proc.Start(cmd)
	if err != nil {
		s.t.Fatal(err)
	}
	s.run = p
	at, err := p.URL(10 * time.Second)
	if err != nil {
		s.t.Fatal(err)
	}
	u, err := url.Parse(at)
	if err != nil || u.Host == "" {
		s.t.Fatalf("the server says it runs at %q", at)
	}
	s.setBackend(u.Host)
	testkit.Within(s.t, 10*time.Second, "the server behind "+s.URL+" to be healthy", func() bool {
		resp, err := http.Get(s.URL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// Stop ends the server with SIGTERM, as an operator would; from then on
// the test's port resets every connection until Start.
func (s *server) Stop() {
	p := s.run
	if p == nil {
		return
	}
	s.run = nil
	s.setBackend("")
	if !p.Stop(10 * time.Second) {
		s.t.Errorf("server did not exit within 10s of SIGTERM")
	}
}

func (s *server) setBackend(addr string) {
	s.mu.Lock()
	s.backend = addr
	s.mu.Unlock()
}

// accept relays each connection to the test's port to the running server,
// or resets it while none runs, until the port is closed.
func (s *server) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		backend := s.backend
		s.mu.Unlock()
		if backend == "" {
			reset(c)
			continue
		}
		go relay(c, backend)
	}
}

// relay copies bytes both ways between c and a new connection to backend
// until either side closes, then closes both: a server that exits closes
// the browser's connections as if they were its own.
func relay(c net.Conn, backend string) {
	up, err := net.Dial("tcp", backend)
	if err != nil {
		reset(c)
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	<-done
}

// reset closes c with a TCP reset, which a browser takes as a network
// failure just as it takes a refused connection.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// browser is one headless Chromium; each person gets a browser context of
// their own (separate storage, separate service workers).
type browser struct {
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	needBrowser(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1100, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting Chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return &browser{ctx: ctx}
}

// person is one tab in a browser context of its own.
type person struct {
	t    *testing.T
	name string
	ctx  context.Context
}

func (b *browser) person(t *testing.T, name string) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab for %s: %v", name, err)
	}
	return &person{t: t, name: name, ctx: ctx}
}

// wait is how long a step may take before the test fails; generous, since
// two cores run the browser, the server and the test.
const wait = 20 * time.Second

// do runs steps with the step deadline.
func (p *person) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.shot("failed-" + p.name)
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// eval runs a JavaScript expression and returns its value.
func eval[T any](p *person, expr string, opts ...chromedp.EvaluateOption) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		p.t.Fatalf("%s: evaluating %s: %v", p.name, expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true. It evaluates the
// condition itself rather than with chromedp.Poll, so a navigation or a
// reload in between (go-app changes pages, tests reload) is a retry, not
// a failure.
func (p *person) waitFor(what, cond string) {
	p.t.Helper()
	deadline := time.Now().Add(wait)
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	p.shot("failed-" + p.name)
	p.t.Fatalf("%s: waiting for %s: timed out (last error: %v)\npage text: %s", p.name, what, lastErr, p.pageText())
}

func (p *person) pageText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// shot saves a screenshot of the page under e2e/screenshots.
func (p *person) shot(name string) {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	os.WriteFile(filepath.Join(shotDir, name+".png"), png, 0o644)
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			if r < 0x20 || r == 0x2028 || r == 0x2029 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// reload reloads the page and returns once the new document is there. It
// does not wait for the load event, which an offline page served by a
// service worker may deliver late; but it does wait for the old document
// to go, or a check made next could pass on the page from before.
func reload() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		if _, err := chromedp.Evaluate[chromedp.Void](`window.__beforeReload = true; location.reload()`)(ctx, tab); err != nil {
			return err
		}
		for {
			// Errors are expected while the old document is torn down.
			gone, err := chromedp.Evaluate[bool](`window.__beforeReload !== true`)(ctx, tab)
			if err == nil && gone {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}
