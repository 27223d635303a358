package bench

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Latency is the outcome of a load on one endpoint.
type Latency struct {
	Requests int
	Errors   int
	P50, P99 time.Duration
	Max      time.Duration
	PerSec   float64
	Bytes    int64 // size of one answer
}

// loadGET sends GET url from clients concurrent clients for dur and
// measures each request. With pace 0 every client sends its next request as
// soon as the last one is answered (the server's saturation); otherwise each
// sends one every pace, starting at a random offset, as dashboards polling
// on a timer do.
func loadGET(ctx context.Context, url, token string, clients int, dur, pace time.Duration) Latency {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()

	var mu sync.Mutex
	var lat []time.Duration
	var res Latency
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			errs := 0
			var size int64
			next := time.Now()
			if pace > 0 {
				next = next.Add(rand.N(pace))
			}
			for {
				if pace > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(time.Until(next)):
					}
					next = next.Add(pace)
				}
				if ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				n, ok := get(ctx, hc, url, token)
				if ctx.Err() != nil {
					break // cut short by the end of the run: not a sample
				}
				if !ok {
					errs++
					continue
				}
				mine = append(mine, time.Since(t0))
				size = n
			}
			mu.Lock()
			lat = append(lat, mine...)
			res.Errors += errs
			res.Bytes = max(res.Bytes, size)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	res.Requests = len(lat)
	res.P50, res.P99 = percentile(lat, 50), percentile(lat, 99)
	if len(lat) > 0 {
		res.Max = lat[len(lat)-1]
	}
	res.PerSec = float64(len(lat)) / elapsed.Seconds()
	return res
}

func get(ctx context.Context, hc *http.Client, url, token string) (int64, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, false
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return n, err == nil && resp.StatusCode == http.StatusOK
}

// percentile is the nearest-rank p-th percentile of sorted values.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100 // ceil(n*p/100)
	return sorted[max(i-1, 0)]
}
