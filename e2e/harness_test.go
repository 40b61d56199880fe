// Package e2e drives Hark in a real headless Chromium: separate browser
// contexts play separate people against the real server binary on a
// loopback port.
package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
	chromiumPath = findChromium()
	if chromiumPath == "" {
		banner := "!!! Chromium not found (apt-get install -y chromium): the browser tests are SKIPPED !!!"
		fmt.Fprintln(os.Stderr, strings.Repeat("!", len(banner)))
		fmt.Fprintln(os.Stderr, banner)
		fmt.Fprintln(os.Stderr, strings.Repeat("!", len(banner)))
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "CI=true: a missing browser is a failure")
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
	build := exec.Command("go", "build", "-ldflags", "-X main.version=e2e", "-o", serverBin, "./server")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
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

func needBrowser(t *testing.T) {
	t.Helper()
	if chromiumPath == "" {
		t.Skip("no Chromium: browser test skipped (see the banner above)")
	}
}

// server is the Hark binary running on a loopback port; it can be stopped
// and started again on the same port, as a restart or an outage looks to a
// browser.
type server struct {
	t    *testing.T
	addr string
	args []string
	cmd  *exec.Cmd
	URL  string
}

// startServer runs the server on a free loopback port with extra flags.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{t: t, addr: addr, args: args, URL: "http://" + addr}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start runs the server (again) and waits until it is healthy.
func (s *server) Start() {
	s.t.Helper()
	args := append([]string{"-addr", s.addr, "-web", webDir, "-log-level", "warn"}, s.args...)
	s.cmd = exec.Command(serverBin, args...)
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.URL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("server on %s not healthy within 10s", s.addr)
}

// Stop ends the server with SIGTERM, as an operator would.
func (s *server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
		s.t.Errorf("server did not exit within 10s of SIGTERM")
	}
	s.cmd = nil
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
func eval[T any](p *person, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
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

// reload reloads the page without waiting for a load event that an offline
// page served by a service worker may deliver late.
func reload() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`location.reload()`)
}
