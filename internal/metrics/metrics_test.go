package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func stale(names ...string) []engine.ContainerStatus {
	var out []engine.ContainerStatus
	for _, n := range names {
		out = append(out, engine.ContainerStatus{Container: engine.Container{Name: n}, Status: engine.StatusOutdated})
	}
	return out
}

// watchtower_containers_updated counts as Watchtower's did: updated plus
// stale, a stale container being one found outdated and neither updated nor
// failed.
func TestContainersUpdatedCountsStale(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    daemon.Report
		want string
	}{
		{"monitor-only", daemon.Report{Summary: engine.Summary{Scanned: 3, Skipped: 2, Outcomes: []engine.Outcome{
			{Container: "a", Result: engine.ResultSkipped}, {Container: "b", Result: engine.ResultSkipped}}}, Stale: stale("a", "b")},
			"watchtower_containers_updated 2"},
		{"updated, failed and stale", daemon.Report{Summary: engine.Summary{Scanned: 4, Updated: 1, Failed: 2, Outcomes: []engine.Outcome{
			{Container: "a", Result: engine.ResultUpdated}, {Container: "b", Result: engine.ResultFailed},
			{Container: "c", Result: engine.ResultRolledBack}, {Container: "d", Result: engine.ResultSkipped}}}, Stale: stale("a", "b", "c", "d")},
			"watchtower_containers_updated 2"},
		{"nothing outdated", daemon.Report{Summary: engine.Summary{Scanned: 2}}, "watchtower_containers_updated 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New()
			m.PassFinished(context.Background(), tc.r, engine.Report{})
			if got := scrape(t, m); !strings.Contains(got, "\n"+tc.want+"\n") {
				t.Errorf("after a pass with %+v and stale %d: want a line %q in\n%s", tc.r.Outcomes, len(tc.r.Stale), tc.want, got)
			}
		})
	}
}

// /v1/metrics carries the Go and process collectors Watchtower's default
// registry had.
func TestStandardCollectors(t *testing.T) {
	got := scrape(t, New())
	for _, want := range []string{"go_goroutines ", "go_memstats_alloc_bytes ", "process_resident_memory_bytes ", "process_cpu_seconds_total ", "watchtower_scans_total 0"} {
		if !strings.Contains(got, "\n"+want) {
			t.Errorf("metrics: want a line starting %q in\n%s", want, got)
		}
	}
}

// Rollbacks and update durations count whichever surface asked for the
// update: a deploy's rollback is one as a pass's is.
func TestUpdatesCountFromEverySurface(t *testing.T) {
	m := New()
	m.UpdateFinished(engine.Outcome{Container: "deployed", Result: engine.ResultRolledBack})
	m.UpdateFinished(engine.Outcome{Container: "from-the-dashboard", Result: engine.ResultUpdated, Duration: 3 * time.Second})
	m.UpdateFinished(engine.Outcome{Container: "skipped", Result: engine.ResultSkipped})
	got := scrape(t, m)
	for _, want := range []string{`cutover_rollbacks_total{host="local"} 1`, `cutover_update_duration_seconds_count{host="local"} 1`, `cutover_update_duration_seconds_sum{host="local"} 3`} {
		if !strings.Contains(got, "\n"+want+"\n") {
			t.Errorf("metrics: want a line %q in\n%s", want, got)
		}
	}
}

// Among several engines each update counts under its engine's name, and
// cutover_engine_up says which engines answered; a lone engine's updates
// carry the name it was given.
func TestMetricsNameTheEngine(t *testing.T) {
	m := New()
	m.WatchEngines(func() []EngineState { return []EngineState{{Host: "web1", Up: true}, {Host: "web2", Up: false}} })
	m.UpdateFinished(engine.Outcome{Host: "web1", Container: "app", Result: engine.ResultRolledBack})
	m.UpdateFinished(engine.Outcome{Host: "web2", Container: "app", Result: engine.ResultUpdated, Duration: time.Second})
	got := scrape(t, m)
	for _, want := range []string{`cutover_rollbacks_total{host="web1"} 1`, `cutover_update_duration_seconds_count{host="web2"} 1`,
		`cutover_engine_up{host="web1"} 1`, `cutover_engine_up{host="web2"} 0`} {
		if !strings.Contains(got, "\n"+want+"\n") {
			t.Errorf("metrics: want a line %q in\n%s", want, got)
		}
	}

	lone := New()
	lone.NameEngine("nas")
	lone.UpdateFinished(engine.Outcome{Container: "app", Result: engine.ResultRolledBack})
	if got := scrape(t, lone); !strings.Contains(got, "\n"+`cutover_rollbacks_total{host="nas"} 1`+"\n") {
		t.Errorf("metrics of the one engine named nas: want its rollback under host nas in\n%s", got)
	}
}

// watchtower_scans_skipped reads 0 until the daemon's count is given.
func TestSkippedScansReadTheirCount(t *testing.T) {
	m := New()
	if got := scrape(t, m); !strings.Contains(got, "\nwatchtower_scans_skipped 0\n") {
		t.Errorf("before a count is given: want watchtower_scans_skipped 0 in\n%s", got)
	}
	m.CountSkippedScans(func() float64 { return 3 })
	if got := scrape(t, m); !strings.Contains(got, "\nwatchtower_scans_skipped 3\n") {
		t.Errorf("with the count given: want watchtower_scans_skipped 3 in\n%s", got)
	}
}
