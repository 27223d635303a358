package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// sessions keeps one authenticated session per registry host and set of
// credentials. go-containerregistry authenticates once per repository (a
// ping, and a token for bearer registries); a session pings once, fetches
// one token covering every repository the check announced, and serves all
// of that registry's repositories.
type sessions struct {
	base    http.RoundTripper // the caller's transport
	backoff *backoff
	options []remote.Option // for every session's puller

	mu       sync.Mutex
	byKey    map[string]*session
	expected map[string][]string // pull scopes announced per registry host
}

type session struct {
	mu     sync.Mutex // held through the handshake
	puller *remote.Puller
}

// expect records the repositories a check is about to ask for, so the
// first handshake with their registry asks for a token covering all. Each
// check's announcement replaces the last one: a long-running daemon would
// otherwise ask for every repository it ever saw, and the token request
// would grow with the fleet's history. A repository left out of the token
// still works: the registry challenges, and the token is renewed for it.
func (s *sessions) expect(repos []name.Repository) {
	expected := map[string][]string{}
	for _, r := range repos {
		scope := r.Scope(transport.PullScope)
		host := r.RegistryStr()
		if !slices.Contains(expected[host], scope) {
			expected[host] = append(expected[host], scope)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expected = expected
}

// puller returns the session's puller for repo's registry, shaking hands
// first if no session exists yet for these credentials.
func (s *sessions) puller(ctx context.Context, repo name.Repository, auth authn.Authenticator) (*remote.Puller, string, error) {
	key, err := sessionKey(ctx, repo.RegistryStr(), auth)
	if err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	if s.byKey == nil {
		s.byKey = map[string]*session{}
	}
	ss := s.byKey[key]
	if ss == nil {
		ss = &session{}
		s.byKey[key] = ss
	}
	scopes := append([]string(nil), s.expected[repo.RegistryStr()]...)
	s.mu.Unlock()

	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.puller != nil {
		return ss.puller, key, nil
	}
	if own := repo.Scope(transport.PullScope); !slices.Contains(scopes, own) {
		scopes = append(scopes, own)
	}
	tr, err := s.handshake(ctx, repo.Registry, auth, scopes)
	if err != nil {
		return nil, "", err
	}
	// A Wrapper is used as it is: no handshake per repository, no further
	// wrapping (retries stay off, as before).
	p, err := remote.NewPuller(append([]remote.Option{remote.WithTransport(tr), remote.WithAuth(auth)}, s.options...)...)
	if err != nil {
		return nil, "", err
	}
	ss.puller = p
	return p, key, nil
}

// forget drops a session, so the next request shakes hands again: after a
// failure its ping result or token may be what is wrong.
func (s *sessions) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byKey, key)
}

// handshake pings reg once and, for a bearer registry, fetches one token
// for scopes. An insecure or loopback registry is pinged over plain HTTP
// first, as go-containerregistry would otherwise race an HTTPS attempt
// against it every time; only if that fails is HTTPS tried too.
func (s *sessions) handshake(ctx context.Context, reg name.Registry, auth authn.Authenticator, scopes []string) (http.RoundTripper, error) {
	watched := s.backoff.transport(reg.RegistryStr(), s.base)
	if reg.Scheme() == "http" {
		plain := plainOnly{host: reg.RegistryStr(), next: watched}
		tr, err := transport.NewWithContext(ctx, reg, auth, transport.NewUserAgent(plain, "cutover"), scopes)
		if err == nil {
			return tr, nil
		}
		if _, limited := s.backoff.blocked(reg.RegistryStr()); limited {
			return nil, err
		}
	}
	return transport.NewWithContext(ctx, reg, auth, transport.NewUserAgent(watched, "cutover"), scopes)
}

// errNoTLS stands for an HTTPS attempt that plainOnly did not make.
var errNoTLS = errors.New("HTTPS not tried: registry spoken to over plain HTTP")

// plainOnly refuses HTTPS requests to host without dialling.
type plainOnly struct {
	host string
	next http.RoundTripper
}

func (p plainOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "https" && r.URL.Host == p.host {
		return nil, errNoTLS
	}
	return p.next.RoundTrip(r)
}

// sessionKey names a registry host with one set of credentials, without
// keeping the credentials in the key.
func sessionKey(ctx context.Context, host string, auth authn.Authenticator) (string, error) {
	cfg, err := authn.Authorization(ctx, auth)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, v := range []string{host, cfg.Username, cfg.Password, cfg.Auth, cfg.IdentityToken, cfg.RegistryToken} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
