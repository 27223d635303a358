package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// SizeResult is what one fleet size measured.
type SizeResult struct {
	N, Images, Healthchecked int
	Setup                    time.Duration

	CheckWall     time.Duration
	CheckTraffic  Traffic
	CheckStatuses map[string]int

	// Quiet is the gaps of a few containers polled fast while nothing
	// happens: the prober's own noise.
	Quiet []Gap
	// ProberCPU is the bench's own CPU use during the update, in cores:
	// mostly the prober.
	ProberCPU float64

	// Before and After are the floor: `docker restart` of every container,
	// Options.RestartParallel at a time as cutover swaps them, just before
	// the update and just after it, so that the floor and the update see
	// the same load on a shared machine. Single restarts a sample one at a
	// time: the floor without contention.
	Before, After, Single Floor

	UpdateWall       time.Duration
	UpdatePeakRSS    int64
	UpdateSampledRSS RSSSample
	UpdateTraffic    Traffic
	UpdateErr        error
	Update           []Gap
	OnNewVersion     int

	RecheckWall     time.Duration
	RecheckTraffic  Traffic
	ReupdateWall    time.Duration
	ReupdateTraffic Traffic
	ReupdateErr     error

	// Versions is the cost of a check of containers on version tags,
	// under the digest policy and under a tag policy.
	Versions VersionsResult

	ServeIdleRSS RSSSample
	Dashboard    bool
}

func (b *bencher) measureSize(ctx context.Context, f *Fleet) (SizeResult, error) {
	r := SizeResult{N: f.N, Images: len(f.Images), Healthchecked: f.HealthcheckedContainers()}
	b.progress("N=%d: pushing v1 of %d images, starting %d containers", f.N, len(f.Images), f.N)
	t := time.Now()
	if err := f.Create(ctx); err != nil {
		return r, err
	}
	r.Setup = time.Since(t)
	var res RunResult

	evlog, err := os.Create(filepath.Join(b.o.Work, fmt.Sprintf("n%d-events.log", f.N)))
	if err != nil {
		return r, err
	}
	defer evlog.Close()
	p := NewProber(b.api, f.Names, b.o.ProbeInterval, b.o.ProbeIdleInterval, b.o.ProbeTimeout, evlog)
	err = p.Start(ctx)
	if err != nil {
		return r, err
	}
	defer p.Stop()
	p.Open()
	if silent := b.waitAnswering(ctx, p, time.Now()); len(silent) > 0 {
		return r, fmt.Errorf("containers not answering on their published port: %s", strings.Join(silent, ", "))
	}
	p.Close()
	// The longest gap while nothing happens, as many containers polled fast
	// as swaps or restarts run at once, is the measurement's own noise.
	quiet := f.Names[:min(len(f.Names), b.o.RestartParallel)]
	p.FastFor(quietWindow+time.Second, quiet...)
	p.Open()
	select {
	case <-ctx.Done():
		return r, ctx.Err()
	case <-time.After(quietWindow):
	}
	r.Quiet = p.CloseOnly(quiet...)

	sample := f.Names[:min(len(f.Names), b.o.SingleSample)]
	b.progress("N=%d: floor: docker restart of %d containers, one at a time", f.N, len(sample))
	if r.Single, err = b.floor(ctx, p, sample, 1); err != nil {
		return r, err
	}
	b.progress("N=%d: floor: docker restart of every container, %d at a time", f.N, b.o.RestartParallel)
	if r.Before, err = b.floor(ctx, p, f.Names, b.o.RestartParallel); err != nil {
		return r, err
	}

	b.progress("N=%d: pushing v2 of every image", f.N)
	if err := f.Push(ctx, "v2"); err != nil {
		return r, err
	}

	b.progress("N=%d: cutover check", f.N)
	b.proxy.Reset()
	res, err = b.cutover.Run(ctx, fmt.Sprintf("n%d-check", f.N), 5*time.Minute, append([]string{"check", "--json"}, f.Names...)...)
	if err != nil {
		return r, err
	}
	r.CheckWall, r.CheckTraffic = res.Wall, b.proxy.Traffic()
	if r.CheckStatuses, err = statusCounts(res.Stdout); err != nil {
		return r, err
	}

	b.progress("N=%d: cutover update of %d containers", f.N, f.N)
	b.proxy.Reset()
	p.Open()
	cpu := selfCPU()
	res, r.UpdateErr = b.cutover.Run(ctx, fmt.Sprintf("n%d-update", f.N), 30*time.Minute,
		append([]string{"update", "--data-dir", filepath.Join(b.o.Work, fmt.Sprintf("n%d-update-data", f.N))}, f.Names...)...)
	r.UpdateWall, r.UpdatePeakRSS, r.UpdateSampledRSS = res.Wall, res.PeakRSS, res.Sampled
	b.failures = b.failures || r.UpdateErr != nil
	if res.Wall > 0 {
		r.ProberCPU = (selfCPU() - cpu).Seconds() / res.Wall.Seconds()
	}
	b.waitAnswering(ctx, p, time.Now())
	r.Update = p.Close()
	r.UpdateTraffic = b.proxy.Traffic()
	r.OnNewVersion = b.countVersion(ctx, f.Names, "v2")

	b.progress("N=%d: floor again: docker restart of every container, %d at a time", f.N, b.o.RestartParallel)
	if r.After, err = b.floor(ctx, p, f.Names, b.o.RestartParallel); err != nil {
		return r, err
	}

	b.progress("N=%d: check and update again, nothing changed", f.N)
	b.proxy.Reset()
	if res, err = b.cutover.Run(ctx, fmt.Sprintf("n%d-recheck", f.N), 5*time.Minute, append([]string{"check", "--json"}, f.Names...)...); err != nil {
		return r, err
	}
	r.RecheckWall, r.RecheckTraffic = res.Wall, b.proxy.Traffic()
	b.proxy.Reset()
	res, r.ReupdateErr = b.cutover.Run(ctx, fmt.Sprintf("n%d-reupdate", f.N), 10*time.Minute,
		append([]string{"update", "--data-dir", filepath.Join(b.o.Work, fmt.Sprintf("n%d-update-data", f.N))}, f.Names...)...)
	r.ReupdateWall, r.ReupdateTraffic = res.Wall, b.proxy.Traffic()
	b.failures = b.failures || r.ReupdateErr != nil
	p.Stop()

	r.Versions = b.measureVersions(ctx, f)
	b.failures = b.failures || r.Versions.Err != nil

	b.progress("N=%d: cutover serve: a pass, then idle", f.N)
	s, err := b.cutover.StartServe(ctx, fmt.Sprintf("n%d-serve", f.N), f.N)
	if err != nil {
		return r, err
	}
	defer s.Stop()
	r.Dashboard = s.Dashboard
	if err := s.Pass(ctx); err != nil {
		return r, err
	}
	select {
	case <-ctx.Done():
		return r, ctx.Err()
	case <-time.After(idleSettle):
	}
	if r.ServeIdleRSS, err = s.RSS(); err != nil {
		return r, err
	}
	return r, nil
}

// Floor is one measurement of the floor.
type Floor struct {
	Parallel int           // restarts at once
	Wall     time.Duration // for all of them
	Gaps     []Gap
}

// floor restarts the named containers with `docker restart`, parallel at a
// time, and returns each one's longest gap. The restarts go through the
// same engine proxy as cutover.
func (b *bencher) floor(ctx context.Context, p *Prober, names []string, parallel int) (Floor, error) {
	fl := Floor{Parallel: parallel}
	p.Open()
	t := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, name := range names {
		g.Go(func() error {
			// Poll fast from before the restart, as from before a swap.
			p.InPlay(name)
			time.Sleep(3 * b.o.ProbeInterval)
			_, err := dockerAt(gctx, b.engine.Host(), "restart", "-t", "10", name)
			return err
		})
	}
	err := g.Wait()
	fl.Wall = time.Since(t)
	b.waitAnswering(ctx, p, time.Now())
	fl.Gaps = p.CloseOnly(names...)
	return fl, err
}

// quietWindow is how long the prober's noise is measured.
const quietWindow = 3 * time.Second

// selfCPU is the CPU time the bench process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// idleSettle is how long `cutover serve` is left alone before its idle RSS
// is read.
const idleSettle = 5 * time.Second

// waitAnswering waits, at most a minute, until every container answered
// after since; it returns those that did not.
func (b *bencher) waitAnswering(ctx context.Context, p *Prober, since time.Time) []string {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return p.WaitAnswering(ctx, since)
}

// countVersion counts the containers that answer version on GET /.
func (b *bencher) countVersion(ctx context.Context, names []string, version string) int {
	hc := &http.Client{Timeout: 2 * time.Second}
	n := 0
	for _, name := range names {
		ci, err := b.api.inspect(ctx, name)
		if err != nil || ci.hostAddr("8000/tcp") == "" {
			continue
		}
		body, _, err := getBody(ctx, hc, "http://"+ci.hostAddr("8000/tcp")+"/")
		if err == nil && strings.TrimSpace(body) == version {
			n++
		}
	}
	return n
}

func getBody(ctx context.Context, hc *http.Client, url string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return string(b), resp.StatusCode, err
}
