// Command cutover-bench measures cutover against the physical floor on the
// local engine and registry and prints markdown tables; bench/run.sh prepares
// the machine and runs it.
//
// Usage:
//
//	cutover-bench -cutover bin/cutover [-sizes "10 40 100"]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cutover/cutover/bench"
)

func main() {
	var o bench.Options
	sizes := flag.String("sizes", envOr("BENCH_SIZES", "10 40 100"), "fleet sizes, space separated (BENCH_SIZES)")
	apiSizes := flag.String("api-sizes", envOr("BENCH_API_SIZES", "200 500"), "container counts for GET /api/images, space separated (BENCH_API_SIZES)")
	flag.StringVar(&o.Cutover, "cutover", "bin/cutover", "the cutover binary to measure")
	flag.StringVar(&o.Repo, "repo", ".", "repository root (the test app is built from testdata/app)")
	flag.StringVar(&o.Commit, "commit", "", "the commit the cutover binary was built from (default: the checkout's)")
	flag.StringVar(&o.Registry, "registry", "127.0.0.1:5000", "plain registry behind the counting proxy")
	flag.IntVar(&o.RestartParallel, "restart-parallel", 4, "docker restarts at once for the floor (cutover's default of swaps prepared at once)")
	flag.IntVar(&o.SingleSample, "single-sample", 20, "containers also restarted one at a time")
	flag.DurationVar(&o.ProbeInterval, "probe-interval", 10*time.Millisecond, "poll interval of a container in play")
	flag.DurationVar(&o.ProbeIdleInterval, "probe-idle-interval", 250*time.Millisecond, "poll interval of an idle container (= -probe-interval polls all fast always)")
	flag.StringVar(&o.Work, "work", "", "directory for logs and data (default: a temporary one, removed after a clean run)")
	flag.Parse()

	var err error
	if o.Sizes, err = parseSizes(*sizes); err != nil {
		fmt.Fprintln(os.Stderr, "cutover-bench: -sizes:", err)
		os.Exit(2)
	}
	if o.APISizes, err = parseSizes(*apiSizes); err != nil {
		fmt.Fprintln(os.Stderr, "cutover-bench: -api-sizes:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = bench.Run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cutover-bench:", err)
		os.Exit(1)
	}
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Fields(strings.ReplaceAll(s, ",", " ")) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no size given")
	}
	return out, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
