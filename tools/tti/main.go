// Command tti measures Hark's time to interactive in headless Chromium on
// loopback: from navigation start to the moment the page has class
// "ready" (the WebAssembly has mounted it) and the name field takes the
// focus. Cold is a fresh browser context (empty cache, no service worker);
// warm is a reload in that context once its service worker is in charge.
// It runs each server binary it is given on a loopback port of its own,
// with its web directory, and takes turns between them load by load, so
// two builds (before and after a change) are measured alike even on a
// machine whose load varies:
//
//	go run ./tools/tti -server bin/hark -web web -runs 7
//	go run ./tools/tti -server ../base/bin/hark,bin/hark -web ../base/web,web -runs 15
//
// It prints, for each, the median, the fastest and the slowest, and the
// bytes app.wasm took on the wire on the cold loads.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"hark/internal/proc"
)

// probe runs in every page before its own scripts: it notes the time
// (milliseconds since navigation start) when the page is interactive.
const probe = `(() => {
	const ready = () => {
		const name = document.getElementById("name");
		if (!document.querySelector(".page.ready") || !name) return false;
		name.focus();
		if (document.activeElement !== name) return false;
		window.__tti = performance.now();
		return true;
	};
	new MutationObserver((_, obs) => { if (ready()) obs.disconnect(); })
		.observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["class"]});
})()`

func main() {
	servers := flag.String("server", "bin/hark", "the Hark server binary, or several, comma-separated")
	webs := flag.String("web", "web", "the web directory of each (with app.wasm built), comma-separated")
	runs := flag.Int("runs", 5, "loads of each kind, for each server")
	browserPath := flag.String("chromium", "chromium", "the browser")
	flag.Parse()

	bins, dirs := strings.Split(*servers, ","), strings.Split(*webs, ",")
	if len(bins) != len(dirs) {
		log.Fatalf("%d servers but %d web directories", len(bins), len(dirs))
	}
	urls := make([]string, len(bins))
	for i := range bins {
		url, stop, err := startServer(bins[i], dirs[i])
		if err != nil {
			log.Fatal(err)
		}
		defer stop()
		urls[i] = url
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(*browserPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1100, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(browser); err != nil {
		log.Fatalf("starting the browser: %v", err)
	}
	type results struct{ cold, warm, wire []float64 }
	res := make([]results, len(urls))
	// Run 0 is not counted: the server's and the browser's own first
	// times are not the app's.
	for run := 0; run <= *runs; run++ {
		for i, url := range urls {
			c, w, b, err := measure(browser, url)
			if err != nil {
				log.Fatalf("%s: %v", bins[i], err)
			}
			if run > 0 {
				r := &res[i]
				r.cold, r.warm, r.wire = append(r.cold, c), append(r.warm, w), append(r.wire, b)
			}
		}
	}
	for i, r := range res {
		fmt.Printf("server %s, web %s, %d runs\n", bins[i], dirs[i], *runs)
		report("cold", "ms", r.cold)
		report("warm", "ms", r.warm)
		report("app.wasm on the wire (cold)", "bytes", r.wire)
	}
}

// measure loads the app in a fresh browser context (cold), then again in
// it once the service worker controls the page (warm).
func measure(browser context.Context, url string) (cold, warm, wasmBytes float64, err error) {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, time.Minute)
	defer cancelT()
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: probe})
		return err
	}))
	if err != nil {
		return 0, 0, 0, err
	}
	if cold, err = load(ctx, url); err != nil {
		return 0, 0, 0, fmt.Errorf("cold: %w", err)
	}
	wasmBytes, err = chromedp.Run(ctx, chromedp.Evaluate[float64](`(performance.getEntriesByType("resource").find(e => e.name.endsWith("/app.wasm")) || {}).encodedBodySize || 0`))
	if err != nil {
		return 0, 0, 0, err
	}
	// Warm: the service worker has installed and cached the app.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`navigator.serviceWorker.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		return 0, 0, 0, fmt.Errorf("waiting for the service worker: %w", err)
	}
	if warm, err = load(ctx, url); err != nil {
		return 0, 0, 0, fmt.Errorf("warm: %w", err)
	}
	return cold, warm, wasmBytes, nil
}

// load navigates to url and waits for the probe's time.
func load(ctx context.Context, url string) (float64, error) {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return 0, err
	}
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__tti || 0`))
		if err != nil {
			return 0, err
		}
		if v > 0 {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return 0, errors.New("the page never became interactive")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startServer runs the server on a loopback port of its choosing, in
// memory, and returns its URL once it says where it runs.
func startServer(bin, web string) (string, func(), error) {
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-store", "memory", "-web", web, "-log-level", "warn")
	cmd.Stderr = os.Stderr
	p, err := proc.Start(cmd)
	if err != nil {
		return "", nil, err
	}
	stop := func() { p.Stop(time.Minute) }
	u, err := p.URL(time.Minute)
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("%s: %v", bin, err)
	}
	return u + "/", stop, nil
}

func report(what, unit string, v []float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	fmt.Printf("%-30s median %8.0f %s   (fastest %.0f, slowest %.0f)\n", what, s[len(s)/2], unit, s[0], s[len(s)-1])
}
