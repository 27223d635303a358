package bench

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
)

// APIResult is GET /api/images measured with one container count.
type APIResult struct {
	Containers int
	// Note says why there is no measurement, when there is none.
	Note string
	// Closed is the load of clients that ask again as soon as answered;
	// Paced that of clients asking once per Options.APIPace; Single that of
	// one client asking again as soon as answered, for the time one answer
	// takes without queueing.
	Closed, Paced, Single Latency
	IdleRSS               RSSSample
}

// apiCreateParallel bounds concurrent creations of the cheap containers.
const apiCreateParallel = 8

// measureAPI adds cheap containers (the app alone: no port, network or
// volume) to the fleet until the scope holds each of Options.APISizes, and
// measures GET /api/images on a fresh `cutover serve` each time.
func (b *bencher) measureAPI(ctx context.Context, f *Fleet) ([]APIResult, error) {
	var out []APIResult
	have := f.N
	var perContainer time.Duration
	for _, total := range b.o.APISizes {
		r := APIResult{Containers: total}
		if need := total - have; need > 0 {
			if perContainer > 0 {
				if est := perContainer * time.Duration(need); est > b.o.APICreateBudget {
					r.Note = fmt.Sprintf("skipped: creating %d more containers would take about %s here (%s each), over the budget of %s",
						need, est.Round(time.Second), perContainer.Round(time.Millisecond), b.o.APICreateBudget)
					out = append(out, r)
					continue
				}
			}
			b.progress("/api/images: creating %d cheap containers", need)
			t := time.Now()
			if err := b.cheapContainers(ctx, f, have, need); err != nil {
				return out, err
			}
			perContainer = time.Since(t) / time.Duration(need)
			b.progress("/api/images: %s per container", perContainer.Round(time.Millisecond))
			have = total
		}
		b.progress("/api/images: %d containers, %d clients", total, b.o.APIClients)
		s, err := b.cutover.StartServe(ctx, fmt.Sprintf("api%d-serve", total), total)
		if err != nil {
			return out, err
		}
		if !s.Dashboard {
			s.Stop()
			r.Note = "not available: GET /api/images answers 404"
			return append(out, r), nil
		}
		url := s.URL + "/api/images"
		r.Closed = loadGET(ctx, url, s.Token, b.o.APIClients, b.o.APIDuration, 0)
		r.Paced = loadGET(ctx, url, s.Token, b.o.APIClients, b.o.APIDuration, b.o.APIPace)
		r.Single = loadGET(ctx, url, s.Token, 1, b.o.APIDuration, 0)
		r.IdleRSS, err = s.RSS()
		s.Stop()
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// cheapContainers creates n containers numbered from first, over the
// fleet's images, through the engine's API: no CLI process per container.
func (b *bencher) cheapContainers(ctx context.Context, f *Fleet, first, n int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(apiCreateParallel)
	for k := first; k < first+n; k++ {
		name := fmt.Sprintf("cbench-api-%03d", k)
		g.Go(func() error {
			return b.api.run(gctx, name, createSpec{
				Image:  f.Images[k%len(f.Images)],
				Env:    []string{benchNameEnv + "=" + name},
				Labels: map[string]string{"cutover.bench": "1", "cutover.scope": benchScope},
			})
		})
	}
	return g.Wait()
}
