package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/cli/cli/connhelper"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/cutover/cutover/internal/engine"
)

// Runtime talks to one Docker engine. It is safe for concurrent use.
type Runtime struct {
	cli *client.Client
	// PullStall is how long a pull may go without a word from the engine
	// before it is given up. Default 2 min.
	PullStall time.Duration

	// addr is the address the engine was given as, when the client's own
	// is not it (an ssh:// engine).
	addr string

	mu      sync.Mutex
	version string // negotiated API version, once known
}

var _ engine.Runtime = (*Runtime)(nil)

// Option adjusts how New reaches the engine.
type Option func(*connectSettings)

type connectSettings struct {
	tlsVerify  bool
	apiVersion string
	certDir    string
}

// WithCertDir reaches the engine over TLS with the certificates in dir
// (ca.pem, cert.pem and key.pem, the Docker CLI's layout), verifying the
// engine's certificate against ca.pem: one engine among several, each with
// its own certificates.
func WithCertDir(dir string) Option { return func(s *connectSettings) { s.certDir = dir } }

// WithTLSVerify verifies the engine's certificate when DOCKER_CERT_PATH names
// the certificates, as DOCKER_TLS_VERIFY does; without DOCKER_CERT_PATH it
// changes nothing, as for the Docker client.
func WithTLSVerify() Option { return func(s *connectSettings) { s.tlsVerify = true } }

// WithAPIVersion pins the engine API version ("1.41"), winning over
// DOCKER_API_VERSION; an empty version changes nothing.
func WithAPIVersion(v string) Option { return func(s *connectSettings) { s.apiVersion = v } }

// New returns a Runtime for the engine at host ("unix:///var/run/docker.sock",
// "tcp://10.0.0.5:2376", ...). An empty host means the one DOCKER_HOST names,
// or the platform's default socket; DOCKER_TLS_VERIFY and DOCKER_CERT_PATH
// apply either way. The API version is negotiated on first use unless
// DOCKER_API_VERSION or WithAPIVersion pins it. New does not contact the
// engine; Ping does.
func New(host string, options ...Option) (*Runtime, error) {
	var s connectSettings
	for _, o := range options {
		o(&s)
	}
	opts := []client.Opt{client.FromEnv}
	if s.apiVersion != "" {
		// The variable's version would win over a pinned one: leave it out.
		opts = []client.Opt{client.WithTLSClientConfigFromEnv(), client.WithHostFromEnv(), client.WithAPIVersion(s.apiVersion)}
	}
	switch {
	case strings.HasPrefix(host, "ssh://"):
		ssh, err := sshHelper(host)
		if err != nil {
			return nil, err
		}
		opts = append(opts, client.WithHost(ssh.Host), client.WithDialContext(ssh.Dialer))
	case host != "":
		opts = append(opts, client.WithHost(host))
	}
	dir := s.certDir
	if env := os.Getenv("DOCKER_CERT_PATH"); dir == "" && s.tlsVerify && env != "" {
		dir = env
	}
	if dir != "" {
		opts = append(opts, client.WithTLSClientConfig(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	rt := &Runtime{cli: cli}
	if strings.HasPrefix(host, "ssh://") {
		// The client's own address is a placeholder for the helper.
		rt.addr = host
	}
	return rt, nil
}

// Host returns the address of the engine in use.
func (r *Runtime) Host() string {
	if r.addr != "" {
		return r.addr
	}
	return r.cli.DaemonHost()
}

// Ping checks that the engine answers, and settles the API version.
func (r *Runtime) Ping(ctx context.Context) error {
	_, err := r.cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	return err
}

// Close releases the connections to the engine.
func (r *Runtime) Close() error { return r.cli.Close() }

// RegistryView is what the engine says about registries: the ones it
// speaks plain HTTP to, and the platform whose images it pulls.
type RegistryView struct {
	// Insecure lists the registries (hosts and CIDRs) the engine reaches
	// over plain HTTP.
	Insecure []string
	// Platform is the engine's os/arch[/variant] as a registry names it
	// ("linux/amd64", "linux/arm/v7"), "" when the engine's answer does not
	// map to one.
	Platform string
}

// Registries asks the engine which registries it speaks plain HTTP to,
// and which platform its images are for.
func (r *Runtime) Registries(ctx context.Context) (RegistryView, error) {
	res, err := r.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return RegistryView{}, err
	}
	v := RegistryView{Platform: platformOf(res.Info.OSType, res.Info.Architecture)}
	cfg := res.Info.RegistryConfig
	if cfg == nil {
		return v, nil
	}
	for name, idx := range cfg.IndexConfigs {
		if idx != nil && !idx.Secure {
			v.Insecure = append(v.Insecure, name)
		}
	}
	for _, p := range cfg.InsecureRegistryCIDRs {
		v.Insecure = append(v.Insecure, p.String())
	}
	slices.Sort(v.Insecure)
	v.Insecure = slices.Compact(v.Insecure)
	return v, nil
}

// platformOf turns the engine's OS type and its kernel's architecture
// name (uname -m) into a registry platform.
func platformOf(osType, arch string) string {
	if osType == "" {
		osType = "linux"
	}
	p, ok := map[string]string{
		"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
		"armv7l": "arm/v7", "armv7": "arm/v7", "armv6l": "arm/v6", "armhf": "arm/v7",
		"i386": "386", "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
	}[arch]
	if !ok {
		return ""
	}
	return osType + "/" + p
}

// apiVersion returns the negotiated API version, for the calls whose
// request shape changed between versions. The client negotiates once, so the
// answer is kept.
func (r *Runtime) apiVersion(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.version == "" {
		if err := r.Ping(ctx); err != nil {
			return "", err
		}
		r.version = r.cli.ClientVersion()
	}
	return r.version, nil
}

// apiBefore reports whether the negotiated API version is below v.
func (r *Runtime) apiBefore(ctx context.Context, v string) (bool, error) {
	version, err := r.apiVersion(ctx)
	if err != nil {
		return false, err
	}
	return versions.LessThan(version, v), nil
}

// notFound turns the engine's "no such object" into engine.ErrNotFound so the
// engine can tell a missing object from a failing engine.
func notFound(kind, name string, err error) error {
	if err != nil && cerrdefs.IsNotFound(err) {
		return fmt.Errorf("%s %q: %w", kind, name, engine.ErrNotFound)
	}
	return err
}

// isNotFound reports whether err says the object does not exist.
func isNotFound(err error) bool {
	return cerrdefs.IsNotFound(err) || errors.Is(err, engine.ErrNotFound)
}

// sshHelper reaches an ssh:// engine as the Docker CLI does: through the
// ssh binary, running `docker system dial-stdio` on the remote host, with
// the user's own ssh configuration (keys, known hosts, agent). The remote
// host needs the docker CLI; a path in the address names its socket
// (ssh://user@host/run/docker.sock).
func sshHelper(host string) (*connhelper.ConnectionHelper, error) {
	if _, err := exec.LookPath("ssh"); err != nil {
		return nil, fmt.Errorf("engine %s: no ssh program on this machine (cutover's image has none): expose the engine over TCP with TLS instead, or run cutover where ssh is installed", host)
	}
	h, err := connhelper.GetConnectionHelperWithSSHOpts(host, []string{"-o", "BatchMode=yes"})
	if err != nil {
		return nil, fmt.Errorf("engine %s: %w", host, err)
	}
	return h, nil
}
