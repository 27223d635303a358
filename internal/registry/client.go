package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/cutover/cutover/internal/engine"
)

// Options configure a Client. Zero values take the documented defaults.
type Options struct {
	// Keychain finds credentials. Default: the Docker CLI's config.json
	// (DOCKER_CONFIG, credsStore, credHelpers).
	Keychain authn.Keychain
	// Username and Password, when set, are used for every registry
	// (Watchtower's REPO_USER and REPO_PASS).
	Username, Password string
	// Insecure lists registry hosts spoken to over plain HTTP, as the engine
	// does for its insecure registries. Loopback hosts always are.
	Insecure []string
	// Timeout bounds one manifest request, the handshake before it, one
	// page of a tag list, or the fetch of one image's configuration.
	// Default 15 s.
	Timeout time.Duration
	// TagPageSize is how many tags Tags asks for per page (the n
	// parameter; the registry may send fewer). Default 1000.
	TagPageSize int
	// Platform is the os/arch[/variant] ("linux/arm64", "linux/arm/v7")
	// whose image Image reads from a multi-platform index: the engine's.
	// Default linux and the architecture cutover was built for.
	Platform string
	// Transport carries the requests. Default http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Client implements engine.Registry with go-containerregistry. One Client
// shakes hands once per registry and credentials, and reuses connections
// and bearer tokens across the repositories it checks there, for digests,
// tag lists and image configurations alike; every request goes through
// Options.Transport, so a counter there sees them all. It is safe for
// concurrent use.
type Client struct {
	opts     Options
	platform v1.Platform
	sessions *sessions
	backoff  *backoff
	images   *imageCache
}

var (
	_ engine.Registry = (*Client)(nil)
	_ engine.Catalog  = (*Client)(nil)
	_ engine.Expecter = (*Client)(nil)
)

// New returns a client.
func New(opts Options) (*Client, error) {
	if opts.Keychain == nil {
		opts.Keychain = authn.DefaultKeychain
	}
	if opts.Username != "" || opts.Password != "" {
		opts.Keychain = staticKeychain{authn.FromConfig(authn.AuthConfig{Username: opts.Username, Password: opts.Password})}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TagPageSize <= 0 {
		opts.TagPageSize = 1000
	}
	if opts.Platform == "" {
		opts.Platform = "linux/" + runtime.GOARCH
	}
	platform, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, err
	}
	bo := &backoff{now: opts.Now}
	return &Client{
		opts:     opts,
		platform: platform,
		sessions: &sessions{base: opts.Transport, backoff: bo, options: []remote.Option{remote.WithPageSize(opts.TagPageSize)}},
		backoff:  bo,
		images:   newImageCache(imageCacheSize),
	}, nil
}

// Expect announces the references a check is about to ask for, so that a
// registry with bearer tokens is asked for one token covering them all.
func (c *Client) Expect(refs []string) {
	var repos []name.Repository
	for _, ref := range refs {
		if tag, err := c.parse(ref); err == nil {
			repos = append(repos, tag.Context())
		}
	}
	c.sessions.expect(repos)
}

// Digest returns the digest the tag points to, with one HEAD request, or a
// GET when the registry leaves the digest header out.
func (c *Client) Digest(ctx context.Context, ref string) (string, error) {
	tag, err := c.parse(ref)
	if err != nil {
		return "", err
	}
	var d string
	err = c.call(ctx, tag.Context(), func(p *remote.Puller) error {
		ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
		var err error
		d, err = digest(ctx, p, tag)
		return err
	})
	return d, err
}

// call runs do with the puller of repo's registry session. It refuses
// while the registry's Retry-After lasts, shakes hands when there is no
// session yet, drops the session after a failure that may be its fault
// (the ping's answer or the token: anything but a 404), and turns a
// failure into a short reason. do bounds its own requests.
func (c *Client) call(ctx context.Context, repo name.Repository, do func(*remote.Puller) error) error {
	host := repo.RegistryStr()
	if until, ok := c.backoff.blocked(host); ok {
		return fmt.Errorf("rate limited by %s: not asking again before %s", host, until.UTC().Format(time.TimeOnly))
	}
	hctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	auth, err := authn.Resolve(hctx, c.opts.Keychain, repo)
	if err != nil {
		return fmt.Errorf("credentials for %s: %w", host, err)
	}
	puller, session, err := c.sessions.puller(hctx, repo, auth)
	if err != nil {
		return c.describe(hctx, host, err)
	}
	err = do(puller)
	if err == nil {
		return nil
	}
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound {
		c.sessions.forget(session)
	}
	return c.describe(ctx, host, err)
}

// reason is a failure already said in words a user can act on; describe
// passes it through.
type reason string

func (r reason) Error() string { return string(r) }

const errNotManifest = reason("registry sent something that is not a manifest")

// digest asks with HEAD, and with GET when the registry answered the HEAD
// without an error status but with something unusable (no or a malformed
// Docker-Content-Digest, no Content-Length), as crane.Digest does. An
// error status, a failed connection or the deadline are final: a GET would
// meet the same.
func digest(ctx context.Context, puller *remote.Puller, tag name.Tag) (string, error) {
	desc, err := puller.Head(ctx, tag)
	if err == nil {
		return desc.Digest.String(), nil
	}
	var (
		terr *transport.Error
		uerr *url.Error
	)
	if errors.As(err, &terr) || errors.As(err, &uerr) || ctx.Err() != nil {
		return "", err
	}
	full, err := puller.Get(ctx, tag)
	if err != nil {
		return "", err
	}
	// Without the header the digest is computed from the body: make sure
	// it is a manifest and not an error page.
	var m struct {
		SchemaVersion int `json:"schemaVersion"`
	}
	if err := json.Unmarshal(full.Manifest, &m); err != nil || m.SchemaVersion == 0 {
		return "", errNotManifest
	}
	return full.Digest.String(), nil
}

// describe turns a failure into a short reason, saying when a rate-limited
// registry will be asked again.
func (c *Client) describe(ctx context.Context, host string, err error) error {
	if r := reason(""); errors.As(err, &r) {
		return err
	}
	if until, ok := c.backoff.blocked(host); ok {
		return fmt.Errorf("rate limited by %s (429): not asking again before %s", host, until.UTC().Format(time.TimeOnly))
	}
	return describe(ctx, err)
}

// Auth returns the credentials configured for ref's registry. ref may be
// pinned to a digest ("repo@sha256:...", "repo:tag@sha256:..."): a deploy
// pulls those.
func (c *Client) Auth(ctx context.Context, ref string) (engine.Auth, error) {
	parsed, err := name.ParseReference(ref, name.WithDefaultTag("latest"))
	if err != nil {
		return engine.Auth{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	repo := parsed.Context()
	a, err := authn.Resolve(ctx, c.opts.Keychain, repo)
	if err != nil {
		return engine.Auth{}, err
	}
	cfg, err := authn.Authorization(ctx, a)
	if err != nil {
		return engine.Auth{}, err
	}
	return engine.Auth{
		ServerAddress: repo.RegistryStr(),
		Username:      cfg.Username,
		Password:      cfg.Password,
		IdentityToken: cfg.IdentityToken,
		RegistryToken: cfg.RegistryToken,
	}, nil
}

func (c *Client) parse(ref string) (name.Tag, error) {
	opts := []name.Option{name.WithDefaultTag("latest")}
	if host := hostOf(ref); slices.Contains(c.opts.Insecure, host) {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.NewTag(ref, opts...)
	if err != nil {
		return name.Tag{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	return tag, nil
}

func hostOf(ref string) string {
	first, _, found := strings.Cut(ref, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return name.DefaultRegistry
}

// staticKeychain answers every registry with the same credentials.
type staticKeychain struct{ auth authn.Authenticator }

func (s staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return s.auth, nil }
