package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestDisruptiveEngineRestartMidSwap stops dockerd while a swap waits on the
// new container's health, starts it again, and checks that recovery ends in
// the invariant. It restarts the engine every other test shares, so it runs
// only when CUTOVER_DISRUPTIVE=1: make test runs it alone, before the rest.
func TestDisruptiveEngineRestartMidSwap(t *testing.T) {
	if os.Getenv("CUTOVER_DISRUPTIVE") != "1" {
		t.Skip("restarts dockerd, which would disturb concurrent tests: make test runs it on its own with CUTOVER_DISRUPTIVE=1")
	}
	testenv.RequireEngine(t)
	_, file, _, _ := runtime.Caller(0)
	setup := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "setup-env.sh")
	ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{HealthInterval: "1s"})
	name := testenv.Name(t, "enginerestart")
	testenv.RunContainer(t, name, "--restart", "unless-stopped", "-e", "APP_START_DELAY=30s", ref)
	// v2 starts slowly, so the swap sits in its health gate.
	pushV2(testenv.ImageSpec{HealthInterval: "1s", Mode: "slowstart"})
	data := t.TempDir()

	cmd := exec.Command(binary(t), "--data-dir", data, "--health-timeout", "60s", "update", name)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the swap to reach its health gate", 60*time.Second, func() bool {
		return slices.Contains(namesLike(t, name), name+"-cutover-old")
	})
	if b, err := exec.Command("pkill", "-x", "dockerd").CombinedOutput(); err != nil {
		t.Fatalf("stop dockerd: %v %s", err, b)
	}
	waitFor(t, "dockerd to stop", 60*time.Second, func() bool {
		return exec.Command("docker", "info").Run() != nil
	})
	cmd.Wait()
	t.Logf("cutover update while the engine went away:\n%s", out.String())
	if b, err := exec.Command("bash", setup, "engine").CombinedOutput(); err != nil {
		t.Fatalf("start dockerd again: %v\n%s", err, b)
	}
	testenv.RequireEngine(t)

	code, rec := runBinary(t, nil, "--data-dir", data, "recover", name)
	if code != 0 {
		t.Fatalf("recover after the engine restarted: exit %d\n%s", code, rec)
	}
	requireOnce(t, name)
	if got := testenv.Docker(t, "inspect", "--format", "{{.Config.Image}}", name); got != ref {
		t.Errorf("image after recovery: %s, want %s", got, ref)
	}
	if strings.Contains(rec, "nothing to recover") {
		t.Errorf("recovery found nothing to do; the restart did not land mid-swap:\n%s", rec)
	}
}
