// Package metrics counts what cutover does, under Watchtower's metric names
// and cutover's own, on a Prometheus registry the server owns.
package metrics

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// Metrics holds cutover's collectors.
type Metrics struct {
	reg              *prometheus.Registry
	scanned          prometheus.Gauge
	updated          prometheus.Gauge
	failed           prometheus.Gauge
	scans            prometheus.Counter
	skippedScans     prometheus.CounterFunc
	updateDuration   prometheus.Histogram
	rollbacks        prometheus.Counter
	registryRequests prometheus.Counter
}

// New registers the collectors. skippedScans reports triggers that were
// folded into a pass already queued.
func New(skippedScans func() float64) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.scanned = prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchtower_containers_scanned", Help: "Containers scanned in the last pass."})
	m.updated = prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchtower_containers_updated", Help: "Containers updated, or found outdated and left so, in the last pass (Watchtower's count)."})
	m.failed = prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchtower_containers_failed", Help: "Containers whose update failed in the last pass."})
	m.scans = prometheus.NewCounter(prometheus.CounterOpts{Name: "watchtower_scans_total", Help: "Passes run."})
	m.skippedScans = prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "watchtower_scans_skipped", Help: "Triggers that joined a pass already queued, rather than running one of their own."}, skippedScans)
	m.updateDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "cutover_update_duration_seconds", Help: "Time one container's update took, pull excluded.", Buckets: []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120}})
	m.rollbacks = prometheus.NewCounter(prometheus.CounterOpts{Name: "cutover_rollbacks_total", Help: "Updates rolled back to the old container."})
	m.registryRequests = prometheus.NewCounter(prometheus.CounterOpts{Name: "cutover_registry_requests_total", Help: "HTTP requests sent to registries."})
	m.reg.MustRegister(m.scanned, m.updated, m.failed, m.scans, m.skippedScans, m.updateDuration, m.rollbacks, m.registryRequests)
	// Watchtower served the default registry, whose Go and process
	// collectors dashboards chart (go_goroutines, process_resident_memory_bytes).
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// RegistryRequest counts one request to a registry.
func (m *Metrics) RegistryRequest() { m.registryRequests.Inc() }

// PassFinished implements daemon.Observer.
func (m *Metrics) PassFinished(_ context.Context, r daemon.Report, _ engine.Report) {
	m.scans.Inc()
	m.scanned.Set(float64(r.Scanned))
	m.updated.Set(float64(updatedOrStale(r)))
	m.failed.Set(float64(r.Failed))
}

// UpdateFinished counts one update's end, whichever surface asked for it
// (engine.Options.Finished): rollbacks and durations of deploys and the
// dashboard's updates count as a pass's do.
func (m *Metrics) UpdateFinished(o engine.Outcome) {
	switch o.Result {
	case engine.ResultUpdated:
		m.updateDuration.Observe(o.Duration.Seconds())
	case engine.ResultRolledBack:
		m.rollbacks.Inc()
	}
}

// updatedOrStale is Watchtower's watchtower_containers_updated: the
// containers updated, plus those found outdated and neither updated nor
// failed (monitor-only, auto-update off), which Watchtower reported as
// stale and counted here too.
func updatedOrStale(r daemon.Report) int {
	tried := map[string]bool{}
	for _, o := range r.Outcomes {
		switch o.Result {
		case engine.ResultUpdated, engine.ResultFailed, engine.ResultRolledBack:
			tried[o.Container] = true
		}
	}
	n := r.Updated
	for _, c := range r.Stale {
		if !tried[c.Container.Name] {
			n++
		}
	}
	return n
}
