// Package ratelimit reads Docker Hub's pull budget: how many pulls this host
// (or the account it logs in with) has left before Docker Hub refuses more.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// probeRepository is the repository Docker Hub provides for reading the
// budget; a HEAD request of its manifest does not count as a pull.
const probeRepository = "ratelimitpreview/test"

// Budget is Docker Hub's pull budget as last read.
type Budget struct {
	// Known is false when Docker Hub could not be asked or did not say.
	Known     bool
	Limit     int
	Remaining int
	// Window is the period the limit applies to (six hours for most plans).
	Window time.Duration
	// Source is what Docker Hub counts against: an IP address or an account.
	Source string
	// Reason says why the budget is unknown.
	Reason  string
	Checked time.Time
}

// Hub asks Docker Hub for the budget and keeps the answer for a while, so
// reading it often costs one request every few minutes.
type Hub struct {
	keychain  authn.Keychain
	transport http.RoundTripper
	// Keep is how long an answer is reused; an unknown one half as long.
	Keep    time.Duration
	Timeout time.Duration
	now     func() time.Time

	mu   sync.Mutex
	last Budget
}

// New returns a Hub. A nil keychain means the Docker CLI's credentials; a
// nil transport means http.DefaultTransport.
func New(keychain authn.Keychain, rt http.RoundTripper) *Hub {
	if keychain == nil {
		keychain = authn.DefaultKeychain
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &Hub{keychain: keychain, transport: rt, Keep: 5 * time.Minute, Timeout: 10 * time.Second, now: time.Now}
}

// Budget returns the budget, asking Docker Hub when the last answer is stale.
func (h *Hub) Budget(ctx context.Context) Budget {
	h.mu.Lock()
	defer h.mu.Unlock()
	keep := h.Keep
	if !h.last.Known {
		keep /= 2
	}
	if !h.last.Checked.IsZero() && h.now().Sub(h.last.Checked) < keep {
		return h.last
	}
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	b, err := h.probe(ctx)
	if err != nil {
		b = Budget{Reason: err.Error()}
	}
	b.Checked = h.now()
	h.last = b
	return b
}

func (h *Hub) probe(ctx context.Context) (Budget, error) {
	repo, err := name.NewRepository(probeRepository)
	if err != nil {
		return Budget{}, err
	}
	auth, err := authn.Resolve(ctx, h.keychain, repo)
	if err != nil {
		return Budget{}, fmt.Errorf("Docker Hub credentials: %v", err)
	}
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, h.transport, []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return Budget{}, unreachable(err)
	}
	url := fmt.Sprintf("%s://%s/v2/%s/manifests/latest", repo.Registry.Scheme(), repo.RegistryStr(), repo.RepositoryStr())
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return Budget{}, err
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return Budget{}, unreachable(err)
	}
	resp.Body.Close()
	return parse(resp.Header)
}

// unreachable says in a few words why Docker Hub did not answer; the
// transport's errors quote whole URLs and resolver addresses.
func unreachable(err error) error {
	var dns *net.DNSError
	var terr *transport.Error
	switch {
	case errors.As(err, &dns):
		return errors.New("cannot reach Docker Hub: its name does not resolve from here")
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return errors.New("cannot reach Docker Hub: no answer in time")
	case errors.As(err, &terr):
		return fmt.Errorf("Docker Hub refused the request (HTTP %d)", terr.StatusCode)
	}
	return errors.New("cannot reach Docker Hub")
}

// parse reads "ratelimit-limit: 100;w=21600" and "ratelimit-remaining:
// 76;w=21600".
func parse(h http.Header) (Budget, error) {
	limit, window, ok := field(h.Get("ratelimit-limit"))
	remaining, _, ok2 := field(h.Get("ratelimit-remaining"))
	if !ok || !ok2 {
		return Budget{}, fmt.Errorf("Docker Hub sent no pull limit: this account may have none")
	}
	return Budget{Known: true, Limit: limit, Remaining: remaining, Window: window, Source: h.Get("docker-ratelimit-source")}, nil
}

func field(v string) (n int, window time.Duration, ok bool) {
	num, params, _ := strings.Cut(v, ";")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil {
		return 0, 0, false
	}
	for _, p := range strings.Split(params, ";") {
		if k, val, found := strings.Cut(strings.TrimSpace(p), "="); found && k == "w" {
			if secs, err := strconv.Atoi(val); err == nil {
				window = time.Duration(secs) * time.Second
			}
		}
	}
	return n, window, true
}
