package registry

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// defaultRetryAfter is how long a registry that said 429 without saying
// when to come back is left alone.
const defaultRetryAfter = time.Minute

// backoff remembers, per registry host, until when it asked not to be
// called again (HTTP 429 and its Retry-After).
type backoff struct {
	mu    sync.Mutex
	until map[string]time.Time
	now   func() time.Time
}

// blocked returns until when host is to be left alone, if it is.
func (b *backoff) blocked(host string) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.until[host]
	if !ok || !b.now().Before(t) {
		return time.Time{}, false
	}
	return t, true
}

func (b *backoff) hold(host string, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.until == nil {
		b.until = map[string]time.Time{}
	}
	b.until[host] = b.now().Add(d)
}

// transport watches the responses to requests made for registry host and
// records a 429's Retry-After against host, whichever host answered: a
// token realm (auth.docker.io for index.docker.io) or a blob store's
// redirect limits the registry as much as the registry itself does.
func (b *backoff) transport(host string, next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			b.hold(host, retryAfter(resp.Header.Get("Retry-After"), b.now()))
		}
		return resp, err
	})
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return defaultRetryAfter
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
