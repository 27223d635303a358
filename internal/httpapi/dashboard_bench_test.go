package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/httpapi"
	"github.com/cutover/cutover/internal/store"
)

// BenchmarkImages200 measures GET /api/images over loopback with 200
// containers in 40 groups, auto-update read from a real store, and reports
// the 50th and 99th percentile latencies.
func BenchmarkImages200(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var rep engine.Report
	for g := range 40 {
		grp := engine.Group{Image: fmt.Sprintf("registry.example/team/app-%02d:latest", g), RemoteDigest: remote2, Status: engine.StatusOutdated}
		for c := range 5 {
			name := fmt.Sprintf("app-%02d-%d", g, c)
			if c == 0 {
				if err := st.SetAutoUpdate(name, true); err != nil {
					b.Fatal(err)
				}
			}
			grp.Containers = append(grp.Containers, engine.ContainerStatus{
				Container:   engine.Container{ID: fmt.Sprintf("%012d", g*10+c) + strings.Repeat("0", 52), Name: name, Image: grp.Image, State: "running"},
				LocalDigest: local1, Status: engine.StatusOutdated,
			})
		}
		rep.Groups = append(rep.Groups, grp)
	}
	policy := daemon.Policy{Toggles: st}
	dash := &httpapi.Dashboard{
		Statuses: &fakeStatuses{report: rep}, Progress: daemon.NewTracker(), Updater: &fakeUpdater{}, Toggles: st,
		AutoUpdate: func(c engine.Container) bool { on, _ := policy.AutoUpdate(c); return on },
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Key: apikey.Given(testKey, "test"), Dashboard: dash}).Handler())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/images", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	client := srv.Client()

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
		if resp.StatusCode != http.StatusOK || n < 200*100 {
			b.Fatalf("got %d with %d bytes, want 200 and the 200 containers", resp.StatusCode, n)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
