// Package testenv gives integration tests a real engine, real registries and test images.
//
// It drives the docker CLI rather than a client library, so the tests of the
// engine adapter never share code, and so bugs, with the code they check.
// Everything a helper creates is labelled cutover.test=1 and removed by a
// t.Cleanup of the test that created it, together with the containers cutover
// derived from it; nothing else is ever touched.
//
// scripts/setup-env.sh provides the engine and the registries. Without them the
// Require helpers skip the test, or fail it when the CI variable is set,
// because CI must never pass by skipping.
package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Registries started by scripts/setup-env.sh. The engine treats loopback
// registries as plain HTTP, so no TLS setup is needed.
const (
	// PlainRegistry accepts pulls and pushes without credentials.
	PlainRegistry = "127.0.0.1:5000"
	// AuthRegistry requires basic auth with AuthUser and AuthPassword.
	AuthRegistry = "127.0.0.1:5001"
	// AuthUser is the only user of AuthRegistry (ci/registry/htpasswd).
	AuthUser = "cutover"
	// AuthPassword is AuthUser's password.
	AuthPassword = "cutover-secret"
)

// TestLabel marks every container, network, volume and image the helpers
// create, so a person can find leftovers of a killed test run with
// docker ps -a --filter label=cutover.test=1.
const TestLabel = "cutover.test=1"

// RequireEngine skips the test when no Docker engine answers, or fails it when
// the CI environment variable is set.
func RequireEngine(t testing.TB) {
	t.Helper()
	SharedEngine(t)
}

// RequireRegistries skips the test when PlainRegistry or AuthRegistry does not
// answer, or fails it when the CI environment variable is set.
func RequireRegistries(t testing.TB) {
	t.Helper()
	for _, r := range []struct {
		host string
		want int // the auth registry challenges anonymous clients
	}{
		{PlainRegistry, http.StatusOK},
		{AuthRegistry, http.StatusUnauthorized},
	} {
		if err := probeRegistry(r.host, r.want); err != nil {
			unavailable(t, fmt.Sprintf("registry %s not reachable (%v); run scripts/setup-env.sh", r.host, err))
		}
	}
}

func probeRegistry(host string, want int) error {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + host + "/v2/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("GET /v2/: got status %d, want %d", resp.StatusCode, want)
	}
	return nil
}

// unavailable reports a missing piece of the environment. In CI a skip would
// hide that no integration test ran, so it fails instead.
func unavailable(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s", reason)
	}
	t.Skipf("%s", reason)
}

// RequireTool returns the path of the first of names found on PATH. Without
// any, it skips the test, or fails it when the CI variable is set.
func RequireTool(t testing.TB, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	unavailable(t, fmt.Sprintf("%s not installed (scripts/setup-env.sh installs it)", strings.Join(names, " or ")))
	return ""
}

// RequireComposeV2 skips the test when "docker compose" (Compose v2, the
// docker CLI plugin scripts/setup-env.sh builds) is missing, or fails it
// when the CI variable is set. Compose v1 is the docker-compose command.
func RequireComposeV2(t testing.TB) {
	t.Helper()
	ctx, cancel := dockerCtx()
	defer cancel()
	out, err := runDocker(ctx, dockerOpts{}, "compose", "version", "--short")
	if err != nil || !strings.HasPrefix(strings.TrimPrefix(out, "v"), "2.") {
		unavailable(t, fmt.Sprintf("docker compose (v2) not installed (got %q, %v); scripts/setup-env.sh builds it", out, err))
	}
}
