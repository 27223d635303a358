package testenv

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"
)

// CurrentHost is where scripts/setup-env.sh runs the current engine: a
// dockerd built from the newest moby release (API 1.56, containerd image
// store) beside the shared engine, with its own data, bridge and address
// pool. Most users run an engine like it, while the shared engine is
// Debian's 20.10 (API 1.41).
const CurrentHost = "unix:///run/cutover-modern/docker.sock"

// CurrentName is the Name of the current engine.
const CurrentName = "current"

// defaultHost is the engine the docker CLI reaches without DOCKER_HOST.
const defaultHost = "unix:///var/run/docker.sock"

// Engine is a Docker engine the tests run against. Its methods are the
// package's helpers (Docker, RunContainer, CreateNetwork, ...) aimed at it;
// the package-level helpers are those of the shared engine.
//
// Test images are built on the shared engine and pushed to the registries
// (BuildAndPush); other engines pull them from there, as users' engines do:
// see Pull.
type Engine struct {
	// Name tells engines apart in subtest names and messages: the shared
	// engine's version ("20.10"), CurrentName, or "private".
	Name string
	// Host is its DOCKER_HOST value, for cutover's -H or docker.New.
	Host string
	// APIVersion is the newest API version it speaks ("1.41", "1.56").
	APIVersion string

	// env is added to the docker CLI's environment; none for the shared
	// engine, which is whatever the environment names.
	env []string
}

// shared is the shared engine, unchecked, for the package-level helpers.
func shared() *Engine {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = defaultHost
	}
	return &Engine{Name: "shared", Host: host}
}

// engineAt is an engine other than the shared one.
func engineAt(name, host string) *Engine {
	return &Engine{Name: name, Host: host, env: []string{"DOCKER_HOST=" + host}}
}

// SharedEngine returns the engine every test shares, named by its version
// ("20.10"). Without it, the test is skipped, or failed when CI is set.
func SharedEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := sharedProbed()
	if err != nil {
		unavailable(t, err.Error())
	}
	return e
}

// CurrentEngine returns the current engine at CurrentHost. Without it, the
// test is skipped, or failed when CI is set.
func CurrentEngine(t testing.TB) *Engine {
	t.Helper()
	e := engineAt(CurrentName, CurrentHost)
	if _, err := e.probe(); err != nil {
		unavailable(t, fmt.Sprintf("no current Docker engine at %s (%v); run scripts/setup-env.sh", CurrentHost, err))
	}
	return e
}

// ForEachEngine runs f as a subtest on the shared engine, named after its
// version ("20.10"), and then on the current one ("current"). A missing
// engine skips its subtest with the reason, or fails it when CI is set. The
// subtests run one after the other, so what the test made before them
// (images, say) serves both.
func ForEachEngine(t *testing.T, f func(t *testing.T, e *Engine)) {
	t.Helper()
	e, err := sharedProbed()
	name := "shared"
	if err == nil {
		name = e.Name
	}
	t.Run(name, func(t *testing.T) {
		if err != nil {
			unavailable(t, err.Error())
		}
		f(t, e)
	})
	t.Run(CurrentName, func(t *testing.T) { f(t, CurrentEngine(t)) })
}

// sharedProbed returns the shared engine named by its version.
func sharedProbed() (*Engine, error) {
	e := shared()
	version, err := e.probe()
	if err != nil {
		return nil, fmt.Errorf("no Docker engine reachable (%v); run scripts/setup-env.sh", err)
	}
	e.Name = majorMinor(version)
	return e, nil
}

// probe asks the engine for its version, which it returns, and its API
// version, which it records.
func (e *Engine) probe() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := e.run(ctx, dockerOpts{}, "version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}")
	if err != nil {
		return "", err
	}
	version, api, ok := strings.Cut(out, " ")
	if !ok {
		return "", fmt.Errorf("docker version: got %q, want a version and an API version", out)
	}
	e.APIVersion = api
	return version, nil
}

// majorMinor shortens "20.10.24+dfsg1" to "20.10".
func majorMinor(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + parts[1]
}

// run runs the docker CLI against the engine.
func (e *Engine) run(ctx context.Context, o dockerOpts, args ...string) (string, error) {
	o.env = append(append([]string(nil), o.env...), e.env...)
	return runDocker(ctx, o, args...)
}

// Docker runs the docker CLI with args against the engine and returns its
// trimmed stdout. It fails the test, showing stdout and stderr, when the
// command fails.
func (e *Engine) Docker(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := dockerCtx()
	defer cancel()
	out, err := e.run(ctx, dockerOpts{}, args...)
	if err != nil {
		t.Fatalf("%s engine: %v", e.Name, err)
	}
	return out
}

// ContainerdStore reports whether the engine keeps its images in
// containerd's image store, as current engines do by default: an image's id
// is then the digest of its manifest or index, an image that loses its last
// name loses its RepoDigests too, and a pull's byte counts are sampled every
// 100 ms, so a small layer may report none.
func (e *Engine) ContainerdStore(t testing.TB) bool {
	t.Helper()
	return strings.Contains(e.Docker(t, "info", "--format", "{{json .DriverStatus}}"), "io.containerd.snapshotter")
}

// TryDocker runs the docker CLI like Docker but returns the error instead of
// failing the test, for polling.
func (e *Engine) TryDocker(args ...string) (string, error) {
	ctx, cancel := dockerCtx()
	defer cancel()
	return e.run(ctx, dockerOpts{}, args...)
}

// Pull pulls ref onto the engine from its registry, with the credentials of
// AuthRegistry when ref is there. Images of BuildAndPush are on the shared
// engine already; other engines need them pulled before anything but
// docker run (which pulls a missing image itself) uses them. What is
// pulled goes with BuildAndPush's cleanup.
func (e *Engine) Pull(t testing.TB, ref string) {
	t.Helper()
	o := dockerOpts{}
	if registryHost(ref) == AuthRegistry {
		o.config = login(t)
	}
	ctx, cancel := dockerCtx()
	defer cancel()
	if _, err := e.run(ctx, o, "pull", "--quiet", ref); err != nil {
		t.Fatalf("%s engine: %v", e.Name, err)
	}
}

// Names lists the names of the engine's containers that start with prefix,
// running or not.
func (e *Engine) Names(t testing.TB, prefix string) []string {
	t.Helper()
	var names []string
	for _, n := range strings.Fields(e.Docker(t, "ps", "-a", "--format", "{{.Names}}", "--filter", "name="+prefix)) {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	return names
}

// currentUp reports whether the current engine's socket exists, which is
// cheaper to ask than the engine when a cleanup only wants to know whether
// it may hold something.
func currentUp() bool {
	_, err := os.Stat(strings.TrimPrefix(CurrentHost, "unix://"))
	return !errors.Is(err, fs.ErrNotExist)
}
