package main

import (
	"strings"
	"testing"
)

// Each figure's median is taken on its own; the sustained rate, its
// deliveries and why the next rate failed come together from one run.
func TestMedianPeer(t *testing.T) {
	run := func(idle, perCPU, rate float64, why string) []peerRow {
		return []peerRow{
			{Transport: "ws", IdleKiB: idle, LoadPerCPU: perCPU, SustainedRate: rate, SustainedDeliv: rate * 1000, FailedRate: rate * 2, FailedWhy: why},
			{Transport: "sse", IdleKiB: idle / 2, LoadPerCPU: perCPU * 2, SustainedRate: rate, SustainedDeliv: rate * 1000},
		}
	}
	runs := [][]peerRow{
		run(15, 300e3, 800, "p99 900 ms"),
		run(14, 100e3, 600, "p99 300 ms"),
		run(16, 200e3, 1000, "p99 2 s"),
	}
	got := medianPeer(runs)
	if len(got) != 2 || got[0].Transport != "ws" || got[1].Transport != "sse" {
		t.Fatalf("rows %+v, want ws then sse", got)
	}
	ws := got[0]
	if ws.IdleKiB != 15 || ws.LoadPerCPU != 200e3 {
		t.Errorf("ws idle %v, per CPU %v: want the medians 15 and 200k", ws.IdleKiB, ws.LoadPerCPU)
	}
	if ws.SustainedRate != 800 || ws.SustainedDeliv != 800e3 || ws.FailedRate != 1600 || ws.FailedWhy != "p99 900 ms" {
		t.Errorf("ws sustained %+v: want the 800/s run's figures together", ws)
	}
	if got[1].IdleKiB != 7.5 {
		t.Errorf("sse idle %v, want 7.5", got[1].IdleKiB)
	}

	// An even count takes the lower of the middle two; one run is itself.
	if m := medianPeer(runs[:2])[0]; m.LoadPerCPU != 100e3 || m.SustainedRate != 600 {
		t.Errorf("two runs: per CPU %v, sustained %v; want 100k and 600", m.LoadPerCPU, m.SustainedRate)
	}
	if m := medianPeer(runs[:1])[0]; m != runs[0][0] {
		t.Errorf("one run: %+v, want %+v", m, runs[0][0])
	}

	var b strings.Builder
	printPeer(&b, runs)
	for _, want := range []string{"median of 3 runs", "15.0 KiB [14.0 KiB–16.0 KiB]", "200k [100k–300k]", "(800/s); 1600/s: p99 900 ms [600–1000/s]"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	printPeer(&b, runs[:1])
	if strings.Contains(b.String(), "[") || strings.Contains(b.String(), "median") {
		t.Errorf("one run's table shows a range or a median:\n%s", b.String())
	}
}
