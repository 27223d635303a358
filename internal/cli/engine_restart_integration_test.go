package cli_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationEngineRestartMidSwap stops the Docker engine while a swap
// waits in its health gate and starts it again: recovery puts the container
// back exactly once under its name, on the old image since the new one never
// passed its gate, and the retried update then lands on the new image. The
// engine is a private dockerd, so restarting it disturbs no other test.
func TestIntegrationEngineRestartMidSwap(t *testing.T) {
	testenv.RequireRegistries(t)
	engine := testenv.NewPrivateEngine(t)
	t.Parallel()

	ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	name := testenv.Name(t, "enginerestart")
	engine.Docker(t, "pull", "-q", ref)
	v1 := engine.Docker(t, "image", "inspect", "--format", "{{.Id}}", ref)
	// A restart policy, as services have: the engine brings running
	// containers back when it starts again.
	engine.Docker(t, "run", "-d", "--name", name, "--restart", "unless-stopped", ref)
	pushV2(testenv.ImageSpec{})

	data := t.TempDir()
	env := []string{"DOCKER_HOST=" + engine.Host}
	// v2 has no healthcheck, so the gate is the grace period: a long one
	// keeps the swap in its gate until the engine stops.
	cmd := exec.Command(binary(t), "--data-dir", data, "--health-grace", "5m", "--health-timeout", "10m", "update", name)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	inGate := func() bool {
		return slices.Contains(engine.Names(t, name), name+"-cutover-old")
	}
	for !inGate() {
		select {
		case err := <-exited:
			t.Fatalf("cutover update ended (%v) before its swap reached the health gate:\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}

	engine.Stop(t)
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("cutover update still running 2 minutes after the engine stopped:\n%s", out.String())
	}
	t.Logf("cutover update while the engine went away:\n%s", out.String())
	engine.Start(t)

	code, rec := runBinary(t, env, "--data-dir", data, "recover", name)
	if code != 0 {
		t.Fatalf("recover after the engine restarted: exit %d\n%s", code, rec)
	}
	if strings.Contains(rec, "nothing to recover") {
		t.Errorf("recovery found nothing to do, so the engine did not stop mid-swap:\n%s", rec)
	}
	requireOnceOn(t, engine, name, v1)

	code, upd := runBinary(t, env, "--data-dir", data, "--health-grace", "1s", "update", name)
	t.Logf("the retried update:\n%s", upd)
	if code != 0 {
		t.Fatalf("the retried update: exit %d\n%s", code, upd)
	}
	v2 := engine.Docker(t, "image", "inspect", "--format", "{{.Id}}", ref)
	if v2 == v1 {
		t.Fatalf("the retried update did not pull the new image:\n%s", upd)
	}
	requireOnceOn(t, engine, name, v2)
}

// requireOnceOn checks the invariant on a private engine: exactly one
// container named like name, under that name, running image.
func requireOnceOn(t *testing.T, engine *testenv.PrivateEngine, name, image string) {
	t.Helper()
	if got := engine.Names(t, name); !slices.Equal(got, []string{name}) {
		t.Fatalf("containers named like %s: %v, want exactly [%s]", name, got, name)
	}
	state := engine.Docker(t, "inspect", "--format", "{{.State.Status}} {{.Image}}", name)
	if want := "running " + image; state != want {
		t.Fatalf("%s: state and image %q, want %q", name, state, want)
	}
}
