package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// VersionsResult is what a check of containers on version tags costs in
// registry requests, under the digest policy and under a tag policy.
type VersionsResult struct {
	Containers, Images int
	// Digest is a check under --policy digest: each tag's digest.
	Digest     Traffic
	DigestWall time.Duration
	// Minor is a check under --policy minor with 1.1.0 out: each tag's
	// digest, each repository's tag list, the offered tag's digest and the
	// offered image's configuration.
	Minor     Traffic
	MinorWall time.Duration
	// Offered counts the containers offered 1.1.0 under minor.
	Offered int
	Err     error
}

// measureVersions runs one container per image on a version tag (1.0.0,
// with 1.1.0 pushed beside it) and checks them under the digest policy and
// under minor, counting what reaches the registry. The containers are
// removed afterwards; the images go with the fleet.
func (b *bencher) measureVersions(ctx context.Context, f *Fleet) VersionsResult {
	r := VersionsResult{Images: len(f.Images)}
	var names []string
	defer func() {
		if len(names) > 0 {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			_ = removeContainers(cctx, names)
		}
	}()
	b.progress("N=%d: version tags: pushing 1.0.0 and 1.1.0 of %d images, one container each", f.N, len(f.Images))
	if r.Err = f.PushVersions(ctx, map[string]string{"1.0.0": "v1", "1.1.0": "v2"}); r.Err != nil {
		return r
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(setupParallel)
	for i, img := range f.Images {
		name := fmt.Sprintf("cbench-n%d-ver-%02d", f.N, i)
		names = append(names, name)
		ref := strings.TrimSuffix(img, ":latest") + ":1.0.0"
		g.Go(func() error {
			_, err := docker(gctx, "run", "--detach", "--name", name, "--label", benchLabel, ref)
			return err
		})
	}
	if r.Err = g.Wait(); r.Err != nil {
		return r
	}
	r.Containers = len(names)

	check := func(label, policy string) (Traffic, time.Duration, []byte, error) {
		b.proxy.Reset()
		res, err := b.cutover.Run(ctx, fmt.Sprintf("n%d-%s", f.N, label), 5*time.Minute,
			append([]string{"check", "--json", "--policy", policy}, names...)...)
		return b.proxy.Traffic(), res.Wall, res.Stdout, err
	}
	b.progress("N=%d: version tags: cutover check under digest, then minor", f.N)
	if r.Digest, r.DigestWall, _, r.Err = check("versions-digest", "digest"); r.Err != nil {
		return r
	}
	var out []byte
	if r.Minor, r.MinorWall, out, r.Err = check("versions-minor", "minor"); r.Err != nil {
		return r
	}
	var groups []struct {
		Containers []struct {
			Offered string `json:"offered_version"`
		} `json:"containers"`
	}
	if r.Err = json.Unmarshal(out, &groups); r.Err != nil {
		return r
	}
	for _, g := range groups {
		for _, c := range g.Containers {
			if c.Offered == "1.1.0" {
				r.Offered++
			}
		}
	}
	return r
}

// PushVersions pushes, for every image, the binary of version bins[tag]
// under each tag, a few at a time.
func (f *Fleet) PushVersions(ctx context.Context, bins map[string]string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(setupParallel)
	for i, img := range f.Images {
		repo := strings.TrimSuffix(img, ":latest")
		for tag, v := range bins {
			g.Go(func() error {
				d, err := pushImage(gctx, imageSpec{
					ref: repo + ":" + tag, binary: f.binaries[v], healthcheck: f.Healthchecked[img],
					labels: map[string]string{
						"cutover.bench":       "1",
						"cutover.bench.image": fmt.Sprintf("app-%02d-%s", i, tag),
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
	}
	return g.Wait()
}

// rows adds the measurement's rows to a size's table.
func (r VersionsResult) rows(row func(measure, result, target, met string)) {
	if r.Err != nil {
		row("check of containers on version tags", "failed: "+cell(r.Err.Error()), "", "")
		return
	}
	per := func(t Traffic) string {
		return fmt.Sprintf("%.2f", float64(t.Total(clientCutover))/float64(max(1, r.Images)))
	}
	row(fmt.Sprintf("check of %d containers on 1.0.0, digest policy: registry requests (per image)", r.Containers),
		trafficDetail(r.Digest, clientCutover)+" ("+per(r.Digest)+") in "+secs(r.DigestWall), "", "")
	row("same under minor, 1.1.0 out: registry requests (per image)",
		trafficDetail(r.Minor, clientCutover)+" ("+per(r.Minor)+") in "+secs(r.MinorWall),
		fmt.Sprintf("%d offered 1.1.0", r.Containers), yesNo(r.Offered == r.Containers))
}
