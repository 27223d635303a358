package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// benchLabel marks everything the bench creates: containers, networks,
// volumes and images (cutover carries it over to the containers it makes).
const benchLabel = "cutover.bench=1"

// benchScope is the scope label value of bench containers, so that a
// `cutover serve --scope` watches them and nothing else.
const benchScope = "cutover-bench"

// setupParallel bounds concurrent pushes, pulls and container creations.
const setupParallel = 4

// Fleet is the N containers of one measurement over N/4 images, with the
// configurations real hosts have: every container publishes a port, sits on
// two user networks and keeps data in a named volume, and a third of the
// images carry a HEALTHCHECK with the engine's default 30 s interval.
type Fleet struct {
	N        int
	Registry string // the counting proxy's host:port
	Images   []string
	// Healthchecked tells which images carry a HEALTHCHECK.
	Healthchecked map[string]bool
	Names         []string
	// ImageOf is the image each container runs.
	ImageOf map[string]string

	binaries map[string][]byte
	run      string // distinguishes this run's images from any earlier one
	networks []string
	mu       sync.Mutex          // guards pushed
	pushed   map[string][]string // image -> manifest digests pushed
}

// NewFleet describes a fleet of n containers; Create makes it.
func NewFleet(n int, registry, run string, binaries map[string][]byte) *Fleet {
	f := &Fleet{
		N: n, Registry: registry, Healthchecked: map[string]bool{}, ImageOf: map[string]string{},
		binaries: binaries, run: run, pushed: map[string][]string{},
	}
	images := max(1, (n+3)/4)
	for i := range images {
		ref := fmt.Sprintf("%s/cutover-bench/app-%02d:latest", registry, i)
		f.Images = append(f.Images, ref)
		f.Healthchecked[ref] = i%3 == 0
	}
	for j := range n {
		name := fmt.Sprintf("cbench-n%d-%03d", n, j)
		f.Names = append(f.Names, name)
		f.ImageOf[name] = f.Images[j%images]
	}
	f.networks = []string{fmt.Sprintf("cbench-n%d-front", n), fmt.Sprintf("cbench-n%d-back", n)}
	return f
}

// HealthcheckedContainers counts the containers whose image has a
// HEALTHCHECK.
func (f *Fleet) HealthcheckedContainers() int {
	n := 0
	for _, img := range f.ImageOf {
		if f.Healthchecked[img] {
			n++
		}
	}
	return n
}

// Create pushes version v1 of every image, pulls it, and starts the
// containers.
func (f *Fleet) Create(ctx context.Context) error {
	if err := f.Push(ctx, "v1"); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(setupParallel)
	for _, img := range f.Images {
		g.Go(func() error {
			_, err := docker(gctx, "pull", "--quiet", img)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, n := range f.networks {
		if _, err := docker(ctx, "network", "create", "--label", benchLabel, n); err != nil {
			return err
		}
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(setupParallel)
	for j, name := range f.Names {
		g.Go(func() error { return f.runContainer(gctx, j, name, name+"-data") })
	}
	return g.Wait()
}

// runContainer starts one fleet container. Restart policies and limits vary
// so that the swap has settings to carry over.
func (f *Fleet) runContainer(ctx context.Context, j int, name, vol string) error {
	if _, err := docker(ctx, "volume", "create", "--label", benchLabel, vol); err != nil {
		return err
	}
	args := []string{"run", "--detach", "--name", name,
		"--label", benchLabel, "--label", "cutover.scope=" + benchScope, "--label", nameLabel + "=" + name,
		"--env", benchNameEnv + "=" + name, "--env", "APP_DATA=/data",
		"--volume", vol + ":/data",
		"--publish", "127.0.0.1::8000",
		"--network", f.networks[0], "--network-alias", fmt.Sprintf("app-%d", j),
	}
	switch j % 3 {
	case 0:
		args = append(args, "--restart", "unless-stopped")
	case 1:
		args = append(args, "--memory", "64m")
	}
	args = append(args, f.ImageOf[name])
	if _, err := docker(ctx, args...); err != nil {
		return err
	}
	_, err := docker(ctx, "network", "connect", f.networks[1], name)
	return err
}

// Push builds and pushes version v of every image, a few at a time.
func (f *Fleet) Push(ctx context.Context, v string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(setupParallel)
	for i, img := range f.Images {
		g.Go(func() error {
			d, err := pushImage(gctx, imageSpec{
				ref: img, binary: f.binaries[v], healthcheck: f.Healthchecked[img],
				labels: map[string]string{
					"cutover.bench":       "1",
					"cutover.bench.image": fmt.Sprintf("app-%02d-%s", i, v),
					"cutover.bench.run":   f.run,
				},
			})
			if err != nil {
				return err
			}
			f.mu.Lock()
			f.pushed[img] = append(f.pushed[img], d)
			f.mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}

// Remove deletes the fleet's containers (with what cutover derived from
// them), networks, volumes and local images, which is everything labelled
// cutover.bench=1 as fleets never overlap, and its manifests in the
// registry.
func (f *Fleet) Remove(ctx context.Context) error {
	err := RemoveLeftovers(ctx)
	for img, digests := range f.pushed {
		repo := img[:strings.LastIndex(img, ":")]
		for _, d := range digests {
			// Best effort: the registry keeps blobs until it is collected.
			_ = deleteManifest(ctx, repo+"@"+d)
		}
	}
	return err
}

// removeImages removes every image labelled cutover.bench=1: each version
// the fleets ran, tagged or not.
func removeImages(ctx context.Context) error {
	ids, err := dockerLines(ctx, "image", "ls", "--all", "--quiet", "--filter", "label="+benchLabel)
	if err != nil {
		return err
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	_, err = docker(ctx, append([]string{"image", "rm", "--force"}, ids...)...)
	return ignoreMissing(err)
}

func removeContainers(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	// One call per hundred keeps the command line short.
	for chunk := range slices.Chunk(ids, 100) {
		if _, err := docker(ctx, append([]string{"rm", "--force", "--volumes"}, chunk...)...); ignoreMissing(err) != nil {
			return err
		}
	}
	return nil
}

// RemoveLeftovers removes everything labelled cutover.bench=1, which only a
// killed bench run leaves behind.
func RemoveLeftovers(ctx context.Context) error {
	var errs []error
	ids, err := dockerLines(ctx, "ps", "--all", "--quiet", "--filter", "label="+benchLabel)
	errs = append(errs, err, removeContainers(ctx, ids))
	nets, err := dockerLines(ctx, "network", "ls", "--quiet", "--filter", "label="+benchLabel)
	errs = append(errs, err)
	for _, n := range nets {
		errs = append(errs, retry(ctx, func() error {
			_, err := docker(ctx, "network", "rm", n)
			return ignoreMissing(err)
		}))
	}
	vols, err := dockerLines(ctx, "volume", "ls", "--quiet", "--filter", "label="+benchLabel)
	errs = append(errs, err)
	if len(vols) > 0 {
		_, err := docker(ctx, append([]string{"volume", "rm", "--force"}, vols...)...)
		errs = append(errs, ignoreMissing(err))
	}
	errs = append(errs, removeImages(ctx))
	return errors.Join(errs...)
}

// retry runs a removal a few times: a network or volume stays busy for a
// moment after its containers went.
func retry(ctx context.Context, f func() error) error {
	var err error
	for range 10 {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	return err
}

func ignoreMissing(err error) error {
	if err == nil {
		return nil
	}
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "no such") || strings.Contains(s, "not found") {
		return nil
	}
	return err
}
