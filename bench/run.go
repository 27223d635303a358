package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Options configure a run. Zero values take the documented defaults.
type Options struct {
	// Sizes are the fleet sizes, one table each. Default 10, 40, 100.
	Sizes []int
	// Cutover is the binary under test. Required.
	Cutover string
	// Repo is the repository root: the test app is built from
	// Repo/testdata/app. Default ".".
	Repo string
	// Commit describes the cutover build, for the machine's description.
	// Default: the repository's checkout at the start of the run.
	Commit string
	// Registry is the plain registry the proxy forwards to. Default
	// 127.0.0.1:5000, which scripts/setup-env.sh starts.
	Registry string
	// ProbeInterval is how often a published port is polled while its
	// container is in play (see Prober). Default 10 ms.
	ProbeInterval time.Duration
	// ProbeIdleInterval is how often it is polled otherwise. Default
	// 250 ms; set it to ProbeInterval to poll every container fast always.
	ProbeIdleInterval time.Duration
	// ProbeTimeout bounds one poll. Default 200 ms.
	ProbeTimeout time.Duration
	// RestartParallel is how many `docker restart`s of the floor run at
	// once. Default 4, as many swaps as cutover prepares at once by default
	// (it stops and starts one at a time); SingleSample gives the floor of
	// one at a time.
	RestartParallel int
	// SingleSample is how many containers are also restarted one at a
	// time. Default 20.
	SingleSample int
	// APISizes are the container counts GET /api/images is measured with,
	// after the last fleet size. Default 200, 500.
	APISizes []int
	// APIClients is the number of concurrent dashboard clients. Default 50.
	APIClients int
	// APIDuration is how long each load on /api/images lasts. Default 10 s.
	APIDuration time.Duration
	// APIPace is how often a polling dashboard client asks. Default 100 ms.
	APIPace time.Duration
	// APICreateBudget skips an /api/images size when creating its extra
	// containers would take longer than this. Default 10 min.
	APICreateBudget time.Duration
	// Work holds logs and data directories. Default: a new temporary
	// directory, removed after a run without errors.
	Work string
	// Progress receives one line per step. Default os.Stderr.
	Progress io.Writer
}

func (o Options) withDefaults() Options {
	if len(o.Sizes) == 0 {
		o.Sizes = []int{10, 40, 100}
	}
	if o.Repo == "" {
		o.Repo = "."
	}
	if o.Registry == "" {
		o.Registry = "127.0.0.1:5000"
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = 10 * time.Millisecond
	}
	if o.ProbeIdleInterval <= 0 {
		o.ProbeIdleInterval = 250 * time.Millisecond
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 200 * time.Millisecond
	}
	if o.RestartParallel <= 0 {
		o.RestartParallel = 4
	}
	if o.SingleSample <= 0 {
		o.SingleSample = 20
	}
	if len(o.APISizes) == 0 {
		o.APISizes = []int{200, 500}
	}
	if o.APIClients <= 0 {
		o.APIClients = 50
	}
	if o.APIDuration <= 0 {
		o.APIDuration = 10 * time.Second
	}
	if o.APIPace <= 0 {
		o.APIPace = 100 * time.Millisecond
	}
	if o.APICreateBudget <= 0 {
		o.APICreateBudget = 10 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = os.Stderr
	}
	return o
}

// bencher holds what every measurement of a run shares.
type bencher struct {
	o       Options
	api     *engineAPI
	engine  *EngineProxy // what cutover and the floor's restarts talk to
	proxy   *Proxy
	cutover Cutover
	started time.Time
	// failures is set when a cutover command failed without ending the run,
	// so that its logs are kept.
	failures bool
}

func (b *bencher) progress(format string, args ...any) {
	fmt.Fprintf(b.o.Progress, "bench %6.1fs: %s\n", time.Since(b.started).Seconds(), fmt.Sprintf(format, args...))
}

// Run measures every fleet size and GET /api/images, writing the machine's
// description and one markdown table per measurement to w as it goes.
func Run(ctx context.Context, o Options, w io.Writer) (err error) {
	o = o.withDefaults()
	if o.Cutover == "" {
		return fmt.Errorf("no cutover binary given")
	}
	b := &bencher{o: o, started: time.Now()}
	sock, err := engineSocket()
	if err != nil {
		return err
	}
	b.api = newEngineAPI(sock)
	if o.Work == "" {
		if o.Work, err = os.MkdirTemp("", "cutover-bench-"); err != nil {
			return err
		}
		defer func() {
			if err == nil && !b.failures {
				os.RemoveAll(o.Work)
			} else {
				fmt.Fprintf(o.Progress, "bench: logs kept in %s\n", o.Work)
			}
		}()
	}
	if err := os.MkdirAll(o.Work, 0o755); err != nil {
		return err
	}
	b.o.Work = o.Work
	if b.engine, err = StartEngineProxy(o.Work, sock); err != nil {
		return err
	}
	defer b.engine.Close()
	b.cutover = Cutover{Bin: o.Cutover, Work: o.Work, Engine: b.engine.Host()}

	fmt.Fprintf(w, "### Machine\n\n%s\n", DescribeMachine(ctx, o.Repo, o.Commit).Markdown())
	b.progress("removing leftovers of earlier runs")
	if err := RemoveLeftovers(ctx); err != nil {
		return fmt.Errorf("removing leftovers of an earlier run: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		if cerr := RemoveLeftovers(cctx); cerr != nil {
			fmt.Fprintf(o.Progress, "bench: cleanup: %v\n", cerr)
		}
	}()

	b.progress("building the test app")
	bins, err := appBinaries(ctx, filepath.Join(o.Repo, "testdata", "app"), o.Work, "v1", "v2")
	if err != nil {
		return err
	}
	if b.proxy, err = StartProxy(o.Registry); err != nil {
		return err
	}
	defer b.proxy.Close()
	run := make([]byte, 4)
	_, _ = rand.Read(run)

	var results []SizeResult
	for i, n := range o.Sizes {
		f := NewFleet(n, b.proxy.Addr(), hex.EncodeToString(run), bins)
		r, err := b.measureSize(ctx, f)
		if err == nil {
			results = append(results, r)
			fmt.Fprintln(w, r.Markdown())
			if i == len(o.Sizes)-1 {
				var api []APIResult
				api, err = b.measureAPI(ctx, f)
				fmt.Fprintln(w, apiMarkdown(api, o))
			}
		}
		b.progress("N=%d: removing the fleet", n)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		rerr := f.Remove(cctx)
		cancel()
		if err != nil {
			return fmt.Errorf("N=%d: %w", n, err)
		}
		if rerr != nil {
			return fmt.Errorf("N=%d: removing the fleet: %w", n, rerr)
		}
	}
	fmt.Fprint(w, summaryMarkdown(results))
	return nil
}
