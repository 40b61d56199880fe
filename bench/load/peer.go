package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"hark/app/client"
	"hark/app/protocol"
)

// The peer table (-peer) measures the figures other real-time servers are
// compared on, for each transport alone, with the same definitions:
//
//   - idle: server RSS per connection at peerIdleN idle connections,
//     held past a keep-alive (peerIdleWait), so what pings and their
//     answers leave behind is counted;
//   - load: deliveries per server CPU-second, and p99, at peerLoadN
//     clients × peerLoadRate broadcasts a second;
//   - sustained: the highest rate at peerLoadN clients whose p99 stays
//     within peerP99 with nothing lost, duplicated, reordered or cut,
//     found by raising the rate through peerSweep until one fails;
//   - large: p99 at peerIdleN clients × peerLargeRate broadcasts a second.
const (
	peerIdleN     = 10000
	peerLoadN     = 1000
	peerLoadRate  = 100
	peerLargeRate = 10
	peerP99       = 100 // ms
)

// peerIdleWait is the least an idle fleet sits before memory is read: a
// keep-alive and its answer go through every connection first.
const peerIdleWait = protocol.PingInterval + 5*time.Second

// peerSweep is the broadcast rates tried, in order, for the sustained row.
var peerSweep = []float64{100, 150, 200, 300, 400, 500, 600, 800, 1000, 1200, 1600}

// peerRow is one transport's figures.
type peerRow struct {
	Transport      string  `json:"transport"`
	IdleKiB        float64 `json:"idle_kib_per_connection"`
	LoadPerCPU     float64 `json:"deliveries_per_server_cpu_second"`
	LoadP99ms      float64 `json:"load_p99_ms"`
	SustainedRate  float64 `json:"sustained_rate"`
	SustainedDeliv float64 `json:"sustained_deliveries_per_sec"`
	FailedRate     float64 `json:"failed_rate,omitempty"`
	FailedWhy      string  `json:"failed_why,omitempty"`
	LargeP99ms     float64 `json:"large_p99_ms"`
	LargeDeliv     float64 `json:"large_deliveries_per_sec"`
}

// peerTable runs the peer rows for WebSocket and SSE, appending every
// measured stretch to rep and returning the table's rows.
func (r *runner) peerTable(ctx context.Context, rep *report) ([]peerRow, error) {
	var rows []peerRow
	for _, tr := range []client.Transport{client.WebSocket, client.SSE} {
		r.cfg.ws, r.cfg.sse, r.cfg.poll = 0, 0, 0
		switch tr {
		case client.WebSocket:
			r.cfg.ws = 1
		case client.SSE:
			r.cfg.sse = 1
		}
		r.cfg.Mix = mixString(r.cfg.mix())
		row := peerRow{Transport: string(tr)}
		keep := func(res []result) { rep.Results = append(rep.Results, res...) }
		// broadcast measures one broadcast stretch of n clients at rate,
		// kept in rep; nil if it did not run.
		broadcast := func(n int, rate float64) (*result, error) {
			r.cfg.Rates = []float64{rate}
			res, _, err := r.scenario(ctx, "broadcast", n)
			keep(res)
			if len(res) != 1 {
				return nil, err
			}
			return &res[0], err
		}

		wait := r.cfg.IdleWait
		r.cfg.IdleWait = max(wait, peerIdleWait)
		idle, args, err := r.idleOne(ctx, peerIdleN, tr)
		r.cfg.IdleWait = wait
		rep.ServerArgs = args
		if idle != nil {
			keep([]result{*idle})
			row.IdleKiB = idle.BytesPerConn / 1024
		}
		if err != nil {
			return rows, err
		}

		load, err := broadcast(peerLoadN, peerLoadRate)
		if err != nil {
			return rows, err
		}
		if load != nil {
			row.LoadPerCPU, row.LoadP99ms = load.DeliveriesPerCPU, load.P99ms
		}

		sweep, err := r.sweep(ctx, &row)
		keep(sweep)
		if err != nil {
			return rows, err
		}

		large, err := broadcast(peerIdleN, peerLargeRate)
		if err != nil {
			return rows, err
		}
		if large != nil {
			row.LargeP99ms, row.LargeDeliv = large.P99ms, large.DeliveriesPerSec
		}
		rows = append(rows, row)
		fmt.Fprintf(os.Stderr, "load: peer row: %+v\n", row)
	}
	return rows, nil
}

// sweep raises the broadcast rate at peerLoadN clients, on one fleet,
// until a rate misses the bar, and records the last that met it.
func (r *runner) sweep(ctx context.Context, row *peerRow) ([]result, error) {
	srv, err := r.target(ctx)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	f := newFleet(r.bases, r.hc)
	f.add(peerLoadN, r.cfg.mix())
	defer f.stop(context.Background(), r.cfg.Spawn == "")
	if _, _, _, err := f.connect(ctx, r.cfg.ConnConc, 2*time.Minute); err != nil {
		return nil, err
	}
	var out []result
	for _, rate := range peerSweep {
		res, err := r.traffic(ctx, srv, f, "broadcast", rate)
		res.Scenario = "sweep"
		out = append(out, res)
		if err != nil {
			return out, err
		}
		if why := missed(res); why != "" {
			row.FailedRate, row.FailedWhy = rate, why
			break
		}
		row.SustainedRate, row.SustainedDeliv = rate, res.DeliveriesPerSec
	}
	return out, nil
}

// missed says why a stretch misses the sustained bar, or "" if it meets it.
func missed(res result) string {
	var why []string
	if res.P99ms > peerP99 {
		why = append(why, fmt.Sprintf("p99 %.0f ms", res.P99ms))
	}
	if n := res.Lost + res.Duplicated + res.OutOfOrder; n > 0 {
		why = append(why, fmt.Sprintf("%d lost/dup/ooo", n))
	}
	if res.SlowDisconnects > 0 {
		why = append(why, fmt.Sprintf("%.0f cut as slow", res.SlowDisconnects))
	}
	return strings.Join(why, ", ")
}

// medianPeer is the peer table over runs: for each transport, each
// figure the median of its runs (the lower of the middle two for an even
// count). The sustained figures, and why the next rate failed, come
// together from the run whose sustained rate is the median.
func medianPeer(runs [][]peerRow) []peerRow {
	var out []peerRow
	for _, tr := range measuredTransports(runs) {
		rows := rowsOf(runs, tr)
		row := peerRow{Transport: tr}
		med := func(of func(peerRow) float64) float64 {
			v := sorted(rows, of)
			return v[(len(v)-1)/2]
		}
		row.IdleKiB = med(func(r peerRow) float64 { return r.IdleKiB })
		row.LoadPerCPU = med(func(r peerRow) float64 { return r.LoadPerCPU })
		row.LoadP99ms = med(func(r peerRow) float64 { return r.LoadP99ms })
		row.LargeP99ms = med(func(r peerRow) float64 { return r.LargeP99ms })
		row.LargeDeliv = med(func(r peerRow) float64 { return r.LargeDeliv })
		bySustained := slices.Clone(rows)
		slices.SortStableFunc(bySustained, func(a, b peerRow) int { return cmp.Compare(a.SustainedRate, b.SustainedRate) })
		mid := bySustained[(len(bySustained)-1)/2]
		row.SustainedRate, row.SustainedDeliv = mid.SustainedRate, mid.SustainedDeliv
		row.FailedRate, row.FailedWhy = mid.FailedRate, mid.FailedWhy
		out = append(out, row)
	}
	return out
}

// measuredTransports lists the transports of runs, in the order first
// measured.
func measuredTransports(runs [][]peerRow) []string {
	var trs []string
	for _, rows := range runs {
		for _, r := range rows {
			if !slices.Contains(trs, r.Transport) {
				trs = append(trs, r.Transport)
			}
		}
	}
	return trs
}

// rowsOf is transport tr's row from each run that measured it.
func rowsOf(runs [][]peerRow, tr string) []peerRow {
	var rows []peerRow
	for _, run := range runs {
		for _, r := range run {
			if r.Transport == tr {
				rows = append(rows, r)
			}
		}
	}
	return rows
}

// printPeer prints the peer table as the comparison: one column per
// transport, each figure the median of runs, with its range when there
// was more than one.
func printPeer(w io.Writer, runs [][]peerRow) {
	rows := medianPeer(runs)
	title := "each transport alone"
	if len(runs) > 1 {
		title += fmt.Sprintf("; median of %d runs, range in brackets", len(runs))
	}
	fmt.Fprintf(w, "\npeer table (%s):\n\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "figure\t")
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t", row.Transport)
	}
	fmt.Fprintln(tw)
	line := func(label string, cell func(peerRow) string) {
		fmt.Fprintf(tw, "%s\t", label)
		for _, row := range rows {
			fmt.Fprintf(tw, "%s\t", cell(row))
		}
		fmt.Fprintln(tw)
	}
	// figure is a cell for one number: the median, then its range.
	figure := func(of func(peerRow) float64, format func(float64) string) func(peerRow) string {
		return func(med peerRow) string {
			s := format(of(med))
			if lo, hi, ok := spread(rowsOf(runs, med.Transport), of); ok {
				s += fmt.Sprintf(" [%s–%s]", format(lo), format(hi))
			}
			return s
		}
	}
	kib := func(v float64) string { return fmt.Sprintf("%.1f KiB", v) }
	thousands := func(v float64) string { return fmt.Sprintf("%.0fk", v/1000) }
	ms := func(v float64) string { return f1(v) + " ms" }
	line(fmt.Sprintf("idle RSS per connection, %d connections", peerIdleN), figure(func(p peerRow) float64 { return p.IdleKiB }, kib))
	line(fmt.Sprintf("%d clients × %d msgs/s: deliveries per server CPU-s", peerLoadN, peerLoadRate), figure(func(p peerRow) float64 { return p.LoadPerCPU }, thousands))
	line(fmt.Sprintf("%d clients × %d msgs/s: p99", peerLoadN, peerLoadRate), figure(func(p peerRow) float64 { return p.LoadP99ms }, ms))
	line(fmt.Sprintf("%d clients: highest rate with p99 ≤ %d ms, nothing lost", peerLoadN, peerP99), func(p peerRow) string {
		s := fmt.Sprintf("%.0fk deliveries/s (%g/s)", p.SustainedDeliv/1000, p.SustainedRate)
		if p.FailedRate > 0 {
			s += fmt.Sprintf("; %g/s: %s", p.FailedRate, p.FailedWhy)
		} else {
			s += "; the sweep's top rate"
		}
		if lo, hi, ok := spread(rowsOf(runs, p.Transport), func(r peerRow) float64 { return r.SustainedRate }); ok {
			s += fmt.Sprintf(" [%g–%g/s]", lo, hi)
		}
		return s
	})
	line(fmt.Sprintf("%d clients × %d msgs/s: p99", peerIdleN, peerLargeRate), figure(func(p peerRow) float64 { return p.LargeP99ms }, ms))
	tw.Flush()
}

// spread is the least and the most of a figure over rows; ok is false
// unless there are at least two.
func spread(rows []peerRow, of func(peerRow) float64) (lo, hi float64, ok bool) {
	v := sorted(rows, of)
	if len(v) < 2 {
		return 0, 0, false
	}
	return v[0], v[len(v)-1], true
}

// sorted is a figure over rows, least first.
func sorted(rows []peerRow, of func(peerRow) float64) []float64 {
	v := make([]float64, len(rows))
	for i, r := range rows {
		v[i] = of(r)
	}
	slices.Sort(v)
	return v
}
