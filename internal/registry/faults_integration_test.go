package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// faultyRegistry sits in front of the real plain registry and answers
// manifest requests the way its mode says.
type faultyRegistry struct {
	srv      *httptest.Server
	mode     atomic.Value // string
	requests atomic.Int32
}

func newFaultyRegistry(t *testing.T) *faultyRegistry {
	t.Helper()
	target, _ := url.Parse("http://" + testenv.PlainRegistry)
	proxy := httputil.NewSingleHostReverseProxy(target)
	f := &faultyRegistry{}
	f.mode.Store("ok")
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/manifests/") {
			proxy.ServeHTTP(w, r)
			return
		}
		f.requests.Add(1)
		switch f.mode.Load().(string) {
		case "slow":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
			return
		case "garbage":
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
			w.Write([]byte("\x00\x01not a manifest"))
			return
		case "429":
			w.Header().Set("Retry-After", "120")
			http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`, http.StatusTooManyRequests)
			return
		case "nodigest":
			// A registry that leaves the digest header out, on HEAD and GET.
			proxy.ServeHTTP(headerRewriter{ResponseWriter: w, set: map[string]string{"Docker-Content-Digest": ""}}, r)
			return
		case "baddigest":
			proxy.ServeHTTP(headerRewriter{ResponseWriter: w, set: map[string]string{"Docker-Content-Digest": "sha256:not-hex"}}, r)
			return
		case "401", "403", "404", "500":
			code := map[string]int{"401": 401, "403": 403, "404": 404, "500": 500}[f.mode.Load().(string)]
			http.Error(w, `{"errors":[{"code":"X","message":"injected"}]}`, code)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// headerRewriter sets (or, with "", deletes) response headers as the
// response starts.
type headerRewriter struct {
	http.ResponseWriter
	set map[string]string
}

func (h headerRewriter) WriteHeader(code int) {
	for k, v := range h.set {
		if v == "" {
			h.Header().Del(k)
		} else {
			h.Header().Set(k, v)
		}
	}
	h.ResponseWriter.WriteHeader(code)
}

func (f *faultyRegistry) host() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func TestIntegrationFailingRegistry(t *testing.T) {
	testenv.RequireRegistries(t)
	f := newFaultyRegistry(t)
	repo := f.host() + "/cutover-test/" + testenv.Name(t, "faults")
	// Pushed through the proxy so it exists behind it.
	ref, digest := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: "v1"})

	for _, tc := range []struct {
		mode, want string
	}{
		{"ok", ""},
		{"slow", "registry timed out"},
		// A HEAD answer has no body, so the status is all there is to tell.
		{"401", "registry answered 401 Unauthorized"},
		{"403", "registry answered 403 Forbidden"},
		{"404", "registry answered 404 Not Found"},
		{"500", "registry answered 500 Internal Server Error"},
		{"429", "rate limited by HOST (429): not asking again before"},
		{"garbage", "registry sent something that is not a manifest"},
		// The digest is then computed from the manifest a GET returns.
		{"nodigest", ""},
		{"baddigest", ""},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			c, err := New(Options{Timeout: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			f.mode.Store(tc.mode)
			got, err := c.Digest(context.Background(), ref)
			switch {
			case tc.want == "" && (err != nil || got != digest):
				t.Errorf("digest through a registry in mode %s: got %s %v, want %s", tc.mode, got, err, digest)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), strings.ReplaceAll(tc.want, "HOST", f.host()))):
				t.Errorf("mode %s: got %q (digest %q), want error %q", tc.mode, err, got, tc.want)
			}
		})
	}

	t.Run("429 backs off per host", func(t *testing.T) {
		now := time.Now()
		c, _ := New(Options{Timeout: time.Second, Now: func() time.Time { return now }})
		f.mode.Store("429")
		c.Digest(context.Background(), ref)
		f.mode.Store("ok")
		before := f.requests.Load()
		_, err := c.Digest(context.Background(), ref)
		if err == nil || !strings.Contains(err.Error(), "rate limited by "+f.host()) {
			t.Errorf("within Retry-After: got %v, want a rate-limit error", err)
		}
		if f.requests.Load() != before {
			t.Errorf("a request went out within Retry-After")
		}
		now = now.Add(121 * time.Second)
		if got, err := c.Digest(context.Background(), ref); err != nil || got != digest {
			t.Errorf("after Retry-After: got %s %v, want the digest", got, err)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"30", 30 * time.Second},
		{"", time.Minute},
		{"soon", time.Minute},
		{"Thu, 01 Jan 2026 00:02:00 GMT", 2 * time.Minute},
		{"-5", time.Minute},
	} {
		if got := retryAfter(tc.in, now); got != tc.want {
			t.Errorf("Retry-After %q: got %s, want %s", tc.in, got, tc.want)
		}
	}
}
