package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hark/app/protocol"
	"hark/server/chat"
)

// metrics are what operators scrape at /metrics.
type metrics struct {
	streams *prometheus.GaugeVec   // open streams by transport
	refused *prometheus.CounterVec // registrations refused, by reason
	sends   *prometheus.CounterVec // sends by outcome
	actions *prometheus.CounterVec // actions by type and outcome
	typing  *prometheus.CounterVec // typing notices by outcome
	uploads *prometheus.CounterVec // uploads by outcome
	// fileBytes counts the bytes of the files stored.
	fileBytes prometheus.Counter
}

func newMetrics(reg *prometheus.Registry, c *chat.Chat) *metrics {
	m := &metrics{
		streams: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hark_streams_open", Help: "Open event streams, by transport.",
		}, []string{"transport"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hark_registrations_refused_total", Help: "Registrations refused, by reason (error code).",
		}, []string{"reason"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hark_sends_total", Help: "Sends, by outcome (ok or error code).",
		}, []string{"outcome"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hark_actions_total", Help: "Actions on messages (react, edit, delete; other for a type the contract does not know), by outcome (ok or error code).",
		}, []string{"type", "outcome"}),
		typing: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hark_typing_total", Help: "Typing notices, by outcome (ok or error code).",
		}, []string{"outcome"}),
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hark_files_uploaded_total", Help: "Uploads, by outcome (ok or error code).",
		}, []string{"outcome"}),
		fileBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hark_file_bytes_total", Help: "Bytes of the files uploaded and stored.",
		}),
	}
	stat := func(f func(chat.Stats) float64) func() float64 {
		return func() float64 { return f(c.Stats()) }
	}
	reg.MustRegister(
		m.streams, m.refused, m.sends, m.actions, m.typing, m.uploads, m.fileBytes,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hark_events_logged_total", Help: "Sequenced events appended to the log.",
		}, stat(func(s chat.Stats) float64 { return float64(s.Logged) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hark_deliveries_total", Help: "Events queued to streams.",
		}, stat(func(s chat.Stats) float64 { return float64(s.Delivered) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hark_drops_total", Help: "Events not queued because a stream's queue was full.",
		}, stat(func(s chat.Stats) float64 { return float64(s.Dropped) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hark_slow_consumer_disconnects_total", Help: "Streams ended because their client fell behind.",
		}, stat(func(s chat.Stats) float64 { return float64(s.SlowDisconnects) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hark_online", Help: "Names held.",
		}, stat(func(s chat.Stats) float64 { return float64(s.Online) })),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, t := range []string{"ws", "sse", "poll"} {
		m.streams.WithLabelValues(t)
	}
	return m
}

func (m *metrics) handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// actionType is an action's type as a metric label: one of the contract's,
// or "other", so a client cannot make labels without end.
func actionType(t string) string {
	switch t {
	case protocol.TypeReact, protocol.TypeEdit, protocol.TypeDelete:
		return t
	}
	return "other"
}
