package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// Sizes of the many-engines run: engines, images, containers per engine.
const (
	benchEngines          = 3
	benchEngineImages     = 5
	benchEngineContainers = 50
)

// BenchmarkManyEngines measures one cutover watching three private
// engines with 50 containers each, over 5 images every engine runs, all
// pushed through one counting registry proxy: the registry requests of a
// check and of an update across all engines, the wall time of each, and
// cutover's peak memory during the update. Run it once:
//
//	go test -run '^$' -bench ManyEngines -benchtime 1x ./bench/
//
// (make bench does). It needs root and the machine scripts/setup-env.sh
// prepares.
func BenchmarkManyEngines(b *testing.B) {
	testenv.RequireRegistries(b)
	bin := buildCutover(b)
	proxy, err := StartProxy("127.0.0.1:5000")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { proxy.Close() })

	engines := make([]*testenv.PrivateEngine, benchEngines)
	var wg sync.WaitGroup
	for i := range engines {
		wg.Go(func() { engines[i] = testenv.NewPrivateEngine(b) })
	}
	wg.Wait()

	var refs []string
	for i := range benchEngineImages {
		ref, _ := testenv.BuildAndPush(b, testenv.ImageSpec{Repo: fmt.Sprintf("%s/cutover-bench/many-%s-%d", proxy.Addr(), testenv.Name(b, "img"), i), Version: "v1"})
		refs = append(refs, ref)
	}
	var hosts []string
	for i, e := range engines {
		hosts = append(hosts, "--host", fmt.Sprintf("e%d=%s", i+1, e.Host))
		wg.Go(func() {
			for j := range benchEngineContainers {
				e.Docker(b, "run", "-d", "--name", fmt.Sprintf("many-%02d", j), refs[j%len(refs)])
			}
		})
	}
	wg.Wait()
	for _, ref := range refs {
		repo, _, _ := strings.Cut(ref, ":latest")
		testenv.BuildAndPush(b, testenv.ImageSpec{Repo: repo, Version: "v2"})
	}
	data := b.TempDir()
	c := Cutover{Bin: bin, Work: b.TempDir()}
	ctx := context.Background()

	if b.N > 1 {
		// The second update would find nothing to do.
		b.Fatalf("BenchmarkManyEngines measures one update: run it with -benchtime 1x")
	}
	b.ResetTimer()
	for range b.N {
		proxy.Reset()
		check, err := c.Run(ctx, "check", 5*time.Minute, append([]string{"--data-dir", data}, append(hosts, "check")...)...)
		if err != nil {
			b.Fatal(err)
		}
		checkTraffic := proxy.Traffic()
		checked := checkTraffic.Total(clientCutover)
		if n := strings.Count(string(check.Stdout), "outdated"); n < benchEngines*benchEngineContainers {
			b.Fatalf("check: %d containers outdated, want %d:\n%s", n, benchEngines*benchEngineContainers, check.Stdout)
		}
		proxy.Reset()
		update, err := c.Run(ctx, "update", 30*time.Minute, append([]string{"--data-dir", data, "--health-grace", "1s"}, append(hosts, "update")...)...)
		if err != nil {
			b.Fatal(err)
		}
		traffic := proxy.Traffic()
		if want := fmt.Sprintf("%d updated, 0 failed", benchEngines*benchEngineContainers); !strings.Contains(string(update.Stdout), want) {
			b.Fatalf("update: want %q in its summary:\n%s", want, update.Stdout)
		}
		b.ReportMetric(float64(checked), "check-registry-requests")
		b.ReportMetric(float64(checkTraffic.Kind(clientCutover, kindPing)), "check-pings")
		b.ReportMetric(float64(checkTraffic.Kind(clientCutover, kindManifestHd)), "check-manifest-HEADs")
		b.ReportMetric(check.Wall.Seconds(), "check-s")
		b.ReportMetric(float64(traffic.Total(clientCutover)), "update-registry-requests")
		b.ReportMetric(float64(traffic.Pulls()), "engine-pulls")
		b.ReportMetric(update.Wall.Seconds(), "update-s")
		b.ReportMetric(float64(update.PeakRSS)/(1<<20), "update-peak-MiB")
		b.ReportMetric(float64(check.PeakRSS)/(1<<20), "check-peak-MiB")
	}
}

// buildCutover builds the cutover binary under test.
func buildCutover(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "cutover")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/cutover")
	cmd.Dir = testenv.RepoRoot(b)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
