// Package metrics counts what cutover does, under Watchtower's metric names
// and cutover's own, on a Prometheus registry the server owns.
package metrics

import (
	"context"
	"net/http"
	"sync/atomic"

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
	updateDuration   *prometheus.HistogramVec
	rollbacks        *prometheus.CounterVec
	registryRequests prometheus.Counter
	// lone names the engine when cutover watches one: its updates carry
	// no engine's name of their own.
	lone atomic.Pointer[string]
	// skipped counts the triggers folded into a pass already queued.
	skipped atomic.Pointer[func() float64]
}

// New registers the collectors; watchtower_scans_skipped reads 0 until
// CountSkippedScans says where the count is.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.scanned = prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchtower_containers_scanned", Help: "Containers scanned in the last pass."})
	m.updated = prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchtower_containers_updated", Help: "Containers updated, or found outdated and left so, in the last pass (Watchtower's count)."})
	m.failed = prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchtower_containers_failed", Help: "Containers whose update failed in the last pass."})
	m.scans = prometheus.NewCounter(prometheus.CounterOpts{Name: "watchtower_scans_total", Help: "Passes run."})
	m.skippedScans = prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "watchtower_scans_skipped", Help: "Triggers that joined a pass already queued, rather than running one of their own."}, func() float64 {
		if f := m.skipped.Load(); f != nil {
			return (*f)()
		}
		return 0
	})
	// host names the engine the container runs on (see NameEngine).
	m.updateDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cutover_update_duration_seconds", Help: "Time one container's update took, pull excluded.", Buckets: []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120}}, []string{"host"})
	m.rollbacks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cutover_rollbacks_total", Help: "Updates rolled back to the old container."}, []string{"host"})
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

// CountSkippedScans reads watchtower_scans_skipped from count: the
// triggers that joined a pass already queued (daemon.Daemon.Skipped).
func (m *Metrics) CountSkippedScans(count func() float64) { m.skipped.Store(&count) }

// NameEngine names the one engine cutover watches, for the host label of
// its updates; among several, each update names its engine.
func (m *Metrics) NameEngine(name string) { m.lone.Store(&name) }

// hostOf is the host label of an update.
func (m *Metrics) hostOf(o engine.Outcome) string {
	if o.Host != "" {
		return o.Host
	}
	if p := m.lone.Load(); p != nil {
		return *p
	}
	return engine.LocalHost
}

// UpdateFinished counts one update's end, whichever surface asked for it
// (engine.Options.Finished): rollbacks and durations of deploys and the
// dashboard's updates count as a pass's do.
func (m *Metrics) UpdateFinished(o engine.Outcome) {
	switch o.Result {
	case engine.ResultUpdated:
		m.updateDuration.WithLabelValues(m.hostOf(o)).Observe(o.Duration.Seconds())
	case engine.ResultRolledBack:
		m.rollbacks.WithLabelValues(m.hostOf(o)).Inc()
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
			tried[o.FullName()] = true
		}
	}
	n := r.Updated
	for _, c := range r.Stale {
		if !tried[c.Container.FullName()] {
			n++
		}
	}
	return n
}

// EngineState is what cutover last heard from one engine.
type EngineState struct {
	Host string
	Up   bool
}

// WatchEngines adds cutover_engine_up, one series per engine with its
// name as the host label: 1 when it answered the last time it was asked, 0
// when it did not. states is read at every scrape.
func (m *Metrics) WatchEngines(states func() []EngineState) {
	m.reg.MustRegister(engineUp{states: states, desc: prometheus.NewDesc("cutover_engine_up",
		"Whether the engine answered the last time cutover asked it (1) or not (0).", []string{"host"}, nil)})
}

type engineUp struct {
	states func() []EngineState
	desc   *prometheus.Desc
}

func (e engineUp) Describe(ch chan<- *prometheus.Desc) { ch <- e.desc }

func (e engineUp) Collect(ch chan<- prometheus.Metric) {
	for _, s := range e.states() {
		v := 0.0
		if s.Up {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(e.desc, prometheus.GaugeValue, v, s.Host)
	}
}
