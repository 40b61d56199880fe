package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one row: a scenario at one size, mix and rate.
type result struct {
	Scenario string  `json:"scenario"`
	Mix      string  `json:"mix"`
	Clients  int     `json:"clients"`
	Rate     float64 `json:"rate,omitempty"`
	Senders  int     `json:"senders,omitempty"`
	Seconds  float64 `json:"seconds"` // sending until the last delivery; join: until the last hello; idle: connecting

	Sent             uint64  `json:"sent,omitempty"`
	Deliveries       uint64  `json:"deliveries,omitempty"`
	DeliveriesPerSec float64 `json:"deliveries_per_sec,omitempty"`
	P50ms            float64 `json:"p50_ms,omitempty"`
	P90ms            float64 `json:"p90_ms,omitempty"`
	P99ms            float64 `json:"p99_ms,omitempty"`
	MaxMs            float64 `json:"max_ms,omitempty"`

	// Acked sends (by the end of the drain), and their latency from Send
	// until the sender knew them stored: the ack, or its own copy if first.
	Acked    uint64  `json:"acked,omitempty"`
	AckP50ms float64 `json:"ack_p50_ms,omitempty"`
	AckP99ms float64 `json:"ack_p99_ms,omitempty"`

	Lost            uint64  `json:"lost"`
	Duplicated      uint64  `json:"duplicated"`
	OutOfOrder      uint64  `json:"out_of_order"`
	Unsent          uint64  `json:"unsent"`
	Late            uint64  `json:"late,omitempty"`
	SlowDisconnects float64 `json:"slow_consumer_disconnects"`

	ServerCPU        float64 `json:"server_cpu_seconds"`
	DeliveriesPerCPU float64 `json:"deliveries_per_server_cpu_second,omitempty"`
	LoadCPU          float64 `json:"loadgen_cpu_seconds,omitempty"`
	RSS              uint64  `json:"server_rss_bytes"`
	Goroutines       float64 `json:"server_goroutines"`

	BytesPerConn      float64 `json:"rss_bytes_per_connection,omitempty"`
	GoroutinesPerConn float64 `json:"goroutines_per_connection,omitempty"`
	OpenSockets       int     `json:"client_sockets,omitempty"`

	Cut        int     `json:"connections_cut,omitempty"`
	ResumeP50  float64 `json:"resume_p50_seconds,omitempty"`
	ResumeAll  float64 `json:"resume_all_seconds,omitempty"`
	NotResumed int     `json:"not_connected,omitempty"`
	Unaffected int     `json:"not_cut,omitempty"`

	RegsPerSec  float64 `json:"registrations_per_sec,omitempty"`
	ConnsPerSec float64 `json:"connections_per_sec,omitempty"`

	// P99ByTransport is the p99 latency, in ms, of deliveries to each
	// transport's clients, when the mix has more than one.
	P99ByTransport map[string]float64 `json:"p99_ms_by_transport,omitempty"`

	Notes []string `json:"notes,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *result) fillLatency(h *histogram) {
	r.P50ms, r.P90ms, r.P99ms = ms(h.quantile(0.50)), ms(h.quantile(0.90)), ms(h.quantile(0.99))
	r.MaxMs = ms(h.maxLatency())
}

// fillAck takes the sends' acks from h.
func (r *result) fillAck(h *histogram) {
	r.Acked = h.n.Load()
	r.AckP50ms, r.AckP99ms = ms(h.quantile(0.50)), ms(h.quantile(0.99))
}

func (r *result) fillByTransport(w *window) {
	if !strings.Contains(r.Mix, "=") {
		return
	}
	r.P99ByTransport = make(map[string]float64)
	for i, t := range transports {
		if w.byTr[i].n.Load() > 0 {
			r.P99ByTransport[string(t)] = ms(w.byTr[i].quantile(0.99))
		}
	}
}

func (r *result) fillServer(before, after sample) {
	r.ServerCPU = (after.cpu - before.cpu).Seconds()
	if r.ServerCPU > 0 && r.Deliveries > 0 {
		r.DeliveriesPerCPU = float64(r.Deliveries) / r.ServerCPU
	}
	r.SlowDisconnects = after.slow - before.slow
	r.RSS = after.rss
	r.Goroutines = after.goroutines
}

// detail is the scenario's own figures, for the table's last column.
func (r *result) detail() string {
	var d []string
	switch r.Scenario {
	case "idle":
		d = append(d, fmt.Sprintf("%.1f KiB/conn", r.BytesPerConn/1024), fmt.Sprintf("%.2f goroutines/conn", r.GoroutinesPerConn))
	case "storm":
		d = append(d, fmt.Sprintf("cut %d conns, resumed p50 %.2fs all %.2fs", r.Cut, r.ResumeP50, r.ResumeAll))
		if r.NotResumed > 0 || r.Unaffected > 0 {
			d = append(d, fmt.Sprintf("%d not back, %d not cut", r.NotResumed, r.Unaffected))
		}
	case "join":
		d = append(d, fmt.Sprintf("%.0f reg/s, %.0f conn/s, all hello in %.2fs", r.RegsPerSec, r.ConnsPerSec, r.Seconds))
		if r.NotResumed > 0 {
			d = append(d, fmt.Sprintf("%d not connected", r.NotResumed))
		}
	}
	if len(r.P99ByTransport) > 0 {
		var p []string
		for _, t := range transports {
			if v, ok := r.P99ByTransport[string(t)]; ok {
				p = append(p, fmt.Sprintf("%s %s", t, f1(v)))
			}
		}
		d = append(d, "p99 ms "+strings.Join(p, " "))
	}
	if r.Sent > r.Acked {
		d = append(d, fmt.Sprintf("%d sends not acked", r.Sent-r.Acked))
	}
	if r.Unsent > 0 {
		d = append(d, fmt.Sprintf("%d unsent", r.Unsent))
	}
	if r.LoadCPU > 0 {
		d = append(d, fmt.Sprintf("loadgen CPU %.1fs", r.LoadCPU))
	}
	d = append(d, r.Notes...)
	return strings.Join(d, "; ")
}

// line is a one-line summary, for progress on stderr.
func (r *result) line() string {
	return fmt.Sprintf("%s %s n=%d rate=%g: %.0f deliv/s p99 %.1fms ack p99 %.1fms lost %d dup %d ooo %d slow %.0f cpu %.1fs %s",
		r.Scenario, r.Mix, r.Clients, r.Rate, r.DeliveriesPerSec, r.P99ms, r.AckP99ms, r.Lost, r.Duplicated, r.OutOfOrder, r.SlowDisconnects, r.ServerCPU, r.detail())
}

func printTable(w io.Writer, rep *report) {
	fmt.Fprintf(w, "Hark load: %d CPUs (%s), %s, %s\n", rep.Machine.CPUs, rep.Machine.CPUModel, rep.Machine.GoVersion, rep.Machine.OS)
	if len(rep.ServerArgs) > 0 {
		fmt.Fprintf(w, "server: %s\n", strings.Join(rep.ServerArgs, " "))
	}
	fmt.Fprintf(w, "duration %v, drain %v, source addresses %d\n\n", rep.Params.Duration, rep.Params.Drain, rep.Params.Sources)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tmix\tclients\trate/s\tdeliv/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tack p50 ms\tack p99 ms\tlost\tdup\tooo\tslow\tsrv CPU s\tdeliv/CPU-s\tRSS MiB\tgoroutines\t")
	for _, r := range rep.Results {
		rate, dps, dpc, lat, ack := "-", "-", "-", [4]string{"-", "-", "-", "-"}, [2]string{"-", "-"}
		if r.Rate > 0 {
			rate = fmt.Sprintf("%g", r.Rate)
		}
		if r.Deliveries > 0 {
			dps = fmt.Sprintf("%.0f", r.DeliveriesPerSec)
			dpc = fmt.Sprintf("%.0f", r.DeliveriesPerCPU)
			lat = [4]string{f1(r.P50ms), f1(r.P90ms), f1(r.P99ms), f1(r.MaxMs)}
		}
		if r.Acked > 0 {
			ack = [2]string{f1(r.AckP50ms), f1(r.AckP99ms)}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%.0f\t%.2f\t%s\t%.0f\t%.0f\t  %s\n",
			r.Scenario, strings.ReplaceAll(r.Mix, " ", ","), r.Clients, rate, dps, lat[0], lat[1], lat[2], lat[3], ack[0], ack[1],
			r.Lost, r.Duplicated, r.OutOfOrder, r.SlowDisconnects, r.ServerCPU, dpc,
			float64(r.RSS)/(1<<20), r.Goroutines, r.detail())
	}
	tw.Flush()
}

func f1(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func writeJSON(file string, rep *report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}
