package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/testenv"
)

// versionLines runs cutover version and returns its lines by their first
// word.
func versionLines(t *testing.T, args ...string) map[string]string {
	t.Helper()
	r := cutover(t, append(args, "version")...)
	if r.code != 0 {
		t.Fatalf("cutover version: exit %d, want 0; stderr: %s", r.code, r.stderr)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		k, v, _ := strings.Cut(l, " ")
		lines[k] = strings.TrimSpace(v)
	}
	return lines
}

func TestVersionWithoutEngine(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "none.sock")
	got := versionLines(t, "--host", "unix://"+sock)
	for _, k := range []string{"cutover", "commit", "go"} {
		if got[k] == "" {
			t.Errorf("cutover version: no %q line in %v", k, got)
		}
	}
	if got["cutover"] != "dev" {
		t.Errorf("cutover version of an unstamped build: got %q, want dev", got["cutover"])
	}
	if want := "unreachable at unix://" + sock + ": "; !strings.HasPrefix(got["engine"], want) {
		t.Errorf("engine line without an engine: got %q, want it to start with %q and say why", got["engine"], want)
	}
}

func TestIntegrationVersionNegotiatesWithEngine(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	got := versionLines(t)
	// The engine here is older than the client library, so the version
	// settled on is the engine's own.
	api := testenv.Docker(t, "version", "--format", "{{.Server.APIVersion}}")
	if want := "API " + api + " at "; !strings.HasPrefix(got["engine"], want) {
		t.Errorf("engine line: got %q, want it to start with %q", got["engine"], want)
	}
}
