package registry

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cutover/cutover/internal/testenv"
)

// countingProxy sits in front of a registry and counts what reaches it, by
// kind, as an access log would; connections that open with a TLS handshake
// are counted apart.
type countingProxy struct {
	srv *httptest.Server

	mu     sync.Mutex
	counts map[string]int
}

func newCountingProxy(t *testing.T, next http.Handler) *countingProxy {
	t.Helper()
	p := &countingProxy{counts: map[string]int{}}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.add(kindOf(r))
		next.ServeHTTP(w, r)
	}))
	p.srv.Listener = &peekListener{Listener: p.srv.Listener, tls: func() { p.add("tls") }}
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}

func forwardTo(host string) http.Handler {
	return httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: host})
}

func (p *countingProxy) host() string { return strings.TrimPrefix(p.srv.URL, "http://") }

func (p *countingProxy) add(kind string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[kind]++
}

// take returns the counts so far and starts again from zero.
func (p *countingProxy) take() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	p.counts = map[string]int{}
	return c
}

func kindOf(r *http.Request) string {
	switch {
	case r.URL.Path == "/v2/" || r.URL.Path == "/v2":
		return "ping"
	case r.URL.Path == "/token":
		return "token"
	case strings.Contains(r.URL.Path, "/manifests/"):
		return "manifest"
	}
	return "other " + r.Method + " " + r.URL.Path
}

// peekListener reports connections whose first byte opens a TLS handshake.
type peekListener struct {
	net.Listener
	tls func()
}

func (l *peekListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &peekConn{Conn: c, r: bufio.NewReader(c), tls: l.tls}, nil
}

type peekConn struct {
	net.Conn
	r    *bufio.Reader
	once sync.Once
	tls  func()
}

func (c *peekConn) Read(b []byte) (int, error) {
	c.once.Do(func() {
		if first, err := c.r.Peek(1); err == nil && first[0] == 0x16 {
			c.tls()
		}
	})
	return c.r.Read(b)
}

// pushRandom pushes a small random image to each of k repositories of host
// and returns their references.
func pushRandom(t *testing.T, host, prefix string, k int, opts ...remote.Option) []string {
	t.Helper()
	var refs []string
	for i := range k {
		ref := fmt.Sprintf("%s/cutover-test/%s-%d:v1", host, prefix, i)
		tag, err := name.NewTag(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img, opts...); err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
		refs = append(refs, ref)
	}
	return refs
}

// check asks for every reference at once, as the engine's check does, and
// fails the test on any error.
func check(t *testing.T, c *Client, refs []string) {
	t.Helper()
	c.Expect(refs)
	var wg sync.WaitGroup
	for _, ref := range refs {
		wg.Go(func() {
			if _, err := c.Digest(context.Background(), ref); err != nil {
				t.Errorf("digest of %s: %v", ref, err)
			}
		})
	}
	wg.Wait()
}

func TestIntegrationOneHandshakePerRegistry(t *testing.T) {
	testenv.RequireRegistries(t)
	const k = 5
	basic := remote.WithAuth(&authn.Basic{Username: testenv.AuthUser, Password: testenv.AuthPassword})
	for _, tc := range []struct {
		registry string
		push     []remote.Option
		opts     Options
	}{
		{registry: testenv.PlainRegistry},
		{registry: testenv.AuthRegistry, push: []remote.Option{basic}, opts: Options{Username: testenv.AuthUser, Password: testenv.AuthPassword}},
	} {
		t.Run(tc.registry, func(t *testing.T) {
			prefix := testenv.Name(t, "handshake")
			pushRandom(t, tc.registry, prefix, k, tc.push...)
			proxy := newCountingProxy(t, forwardTo(tc.registry))
			var refs []string
			for i := range k {
				refs = append(refs, fmt.Sprintf("%s/cutover-test/%s-%d:v1", proxy.host(), prefix, i))
			}
			c, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}

			check(t, c, refs)
			// The htpasswd registry asks for Basic credentials: no tokens.
			want := map[string]int{"ping": 1, "manifest": k}
			if got := proxy.take(); !equalCounts(got, want) {
				t.Errorf("requests of a check of %d images: got %v, want %v", k, got, want)
			}

			check(t, c, refs)
			want = map[string]int{"manifest": k}
			if got := proxy.take(); !equalCounts(got, want) {
				t.Errorf("requests of a second check by the same client: got %v, want %v", got, want)
			}
		})
	}
}

// TestOneTokenPerRegistry runs against an in-memory registry that hands out
// bearer tokens, each good for the scopes it was asked with.
func TestOneTokenPerRegistry(t *testing.T) {
	const k = 5
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	var (
		mu      sync.Mutex
		granted = map[string]bool{}
	)
	var proxy *countingProxy
	proxy = newCountingProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			mu.Lock()
			for _, s := range r.URL.Query()["scope"] {
				granted[s] = true
			}
			mu.Unlock()
			fmt.Fprint(w, `{"token":"t"}`)
			return
		}
		scope := ""
		if parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/", 2); len(parts) == 2 {
			scope = "repository:" + parts[0] + ":pull"
		}
		mu.Lock()
		ok := r.Header.Get("Authorization") == "Bearer t" && (scope == "" || granted[scope] || r.Method != http.MethodHead && r.Method != http.MethodGet)
		mu.Unlock()
		if !ok {
			challenge := fmt.Sprintf(`Bearer realm="http://%s/token",service="test"`, proxy.host())
			if scope != "" {
				challenge += fmt.Sprintf(`,scope="%s"`, scope)
			}
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	// Pushed straight to the registry, behind the token check.
	direct := httptest.NewServer(reg)
	t.Cleanup(direct.Close)
	prefix := "bearer"
	pushRandom(t, strings.TrimPrefix(direct.URL, "http://"), prefix, k)
	var refs []string
	for i := range k {
		refs = append(refs, fmt.Sprintf("%s/cutover-test/%s-%d:v1", proxy.host(), prefix, i))
	}
	proxy.take()

	c, err := New(Options{Keychain: authn.NewMultiKeychain()})
	if err != nil {
		t.Fatal(err)
	}
	check(t, c, refs)
	want := map[string]int{"ping": 1, "token": 1, "manifest": k}
	if got := proxy.take(); !equalCounts(got, want) {
		t.Errorf("requests of a check of %d images: got %v, want %v", k, got, want)
	}
}

func equalCounts(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
