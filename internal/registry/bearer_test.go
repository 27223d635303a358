package registry

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

// bearerRegistry is an in-memory registry behind a token check, as Docker
// Hub's and GHCR's are: a token is good for the scopes it was asked with,
// a request outside them is challenged, and the token realm is another
// host (as auth.docker.io is for index.docker.io). Tag lists are paged
// with Link headers, which go-containerregistry's registry leaves out.
type bearerRegistry struct {
	*countingProxy
	// direct serves the same registry without the token check, to push to.
	direct string
	realm  *httptest.Server

	mu          sync.Mutex
	granted     map[string]bool
	tokenScopes [][]string // the scopes of each token request, in order
	tokenStatus int        // what the realm answers; 0 means a token
	failNext    bool       // the next manifest request answers 500
}

func newBearerRegistry(t *testing.T) *bearerRegistry {
	t.Helper()
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	b := &bearerRegistry{granted: map[string]bool{}}
	b.realm = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		defer b.mu.Unlock()
		scopes := r.URL.Query()["scope"]
		b.tokenScopes = append(b.tokenScopes, scopes)
		if b.tokenStatus != 0 {
			w.Header().Set("Retry-After", "120")
			http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"token rate limit"}]}`, b.tokenStatus)
			return
		}
		for _, s := range scopes {
			b.granted[s] = true
		}
		fmt.Fprint(w, `{"token":"t"}`)
	}))
	t.Cleanup(b.realm.Close)
	// A name, not an IP literal: go-containerregistry refuses a realm on
	// another loopback address as a possible request forgery.
	realm := "http://localhost:" + b.realm.URL[strings.LastIndex(b.realm.URL, ":")+1:] + "/token"
	b.countingProxy = newCountingProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope := ""
		if repo, ok := repoOf(r.URL.Path); ok {
			scope = "repository:" + repo + ":pull"
		}
		b.mu.Lock()
		ok := r.Header.Get("Authorization") == "Bearer t" && (scope == "" || b.granted[scope])
		b.mu.Unlock()
		if !ok {
			challenge := fmt.Sprintf(`Bearer realm=%q,service="test"`, realm)
			if scope != "" {
				challenge += fmt.Sprintf(`,scope="%s"`, scope)
			}
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		b.mu.Lock()
		fail := b.failNext && strings.Contains(r.URL.Path, "/manifests/")
		if fail {
			b.failNext = false
		}
		b.mu.Unlock()
		if fail {
			http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"injected"}]}`, http.StatusInternalServerError)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			pagedTags(reg, w, r)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	direct := httptest.NewServer(reg)
	t.Cleanup(direct.Close)
	b.direct = strings.TrimPrefix(direct.URL, "http://")
	return b
}

// repoOf returns the repository a /v2/ request is about.
func repoOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", false
	}
	for _, kind := range []string{"/manifests/", "/blobs/", "/tags/list"} {
		if i := strings.LastIndex(rest, kind); i > 0 {
			return rest[:i], true
		}
	}
	return "", false
}

// tokens returns the scopes of each token request so far.
func (b *bearerRegistry) tokens() [][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]string(nil), b.tokenScopes...)
}

// setTokenStatus makes the realm answer status instead of a token.
func (b *bearerRegistry) setTokenStatus(status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokenStatus = status
}

// failNextManifest makes the next manifest request fail with 500.
func (b *bearerRegistry) failNextManifest() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failNext = true
}
