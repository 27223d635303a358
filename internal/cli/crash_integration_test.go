package cli_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/testenv"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cutover once per test process: crash tests need a real
// process to kill.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cutover-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "cutover")
		// Static, so it also runs in a scratch image.
		build := exec.Command("go", "build", "-tags", "crashtest", "-o", binPath, "github.com/cutover/cutover/cmd/cutover")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// runBinary runs the cutover binary and returns its exit code and output.
func runBinary(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("cutover %v: %v", args, err)
	}
	return code, string(out)
}

// requireOnce checks the invariant after a crash and recovery: the container
// exists exactly once, under its name, running, and nothing is left under a
// temporary name.
func requireOnce(t *testing.T, name string) {
	t.Helper()
	got := namesLike(t, name)
	if !slices.Equal(got, []string{name}) {
		t.Fatalf("containers named like %s: %v, want exactly [%s]", name, got, name)
	}
	if state := testenv.Docker(t, "inspect", "--format", "{{.State.Status}}", name); state != "running" {
		t.Fatalf("%s is %s, want running", name, state)
	}
}

// TestIntegrationCrashAfterEachStep makes cutover exit hard right after
// each step of a swap, then recovers, for a container with published ports,
// two networks and a volume.
func TestIntegrationCrashAfterEachStep(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "crash")
	ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: "v0"})
	name := testenv.Name(t, "crash")
	net1, net2, vol := testenv.Name(t, "n1"), testenv.Name(t, "n2"), testenv.Name(t, "v")
	testenv.CreateNetwork(t, net1)
	testenv.CreateNetwork(t, net2)
	testenv.CreateVolume(t, vol)
	testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", "--network", net1, "-v", vol+":/data", "-e", "APP_DATA=/data", ref)
	testenv.Docker(t, "network", "connect", net2, name)
	data := t.TempDir()
	serving := "v0"
	for i, step := range engine.SwapSteps {
		version := fmt.Sprintf("v%d", i+1)
		testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: version})
		code, out := runBinary(t, []string{"CUTOVER_CRASH_AFTER=" + string(step)}, "--data-dir", data, "--health-grace", "1s", "update", name)
		if code != 99 {
			t.Fatalf("crash after %s: exit %d, want 99 (the injected crash)\n%s", step, code, out)
		}
		code, out = runBinary(t, nil, "--data-dir", data, "recover", name)
		if code != 0 {
			t.Fatalf("recover after a crash after %s: exit %d\n%s", step, code, out)
		}
		requireOnce(t, name)
		if slices.Index(engine.SwapSteps, step) >= slices.Index(engine.SwapSteps, engine.StepHealthPassed) {
			serving = version
		}
		addr := testenv.PublishedPort(t, name, "8000")
		testenv.WaitHTTP(t, "http://"+addr+"/", serving, 20*time.Second)
		nets := networks(testenv.Inspect(t, name))
		if _, ok := nets[net1]; !ok {
			t.Errorf("after a crash after %s: %s left network %s", step, name, net1)
		}
		if _, ok := nets[net2]; !ok {
			t.Errorf("after a crash after %s: %s left network %s", step, name, net2)
		}
		if boots, err := testenv.HTTPGet(t, "http://"+addr+"/data"); err != nil || !strings.HasPrefix(boots, "v0\n") {
			t.Errorf("after a crash after %s: volume data %q (%v), want it to start with the first boot", step, boots, err)
		}
		t.Logf("crash after %s: recovered, serving %s", step, serving)
	}
}

// TestIntegrationKillDuringUpdates kills the real process with SIGKILL at
// random moments while it updates ten containers, recovers, and counts
// containers lost, duplicated or left under a temporary name: all must be 0.
// CI runs 50 kills; elsewhere 5 unless CUTOVER_KILLS says otherwise.
func TestIntegrationKillDuringUpdates(t *testing.T) {
	testenv.RequireEngine(t)
	kills := 5
	if os.Getenv("CI") != "" {
		kills = 50
	}
	if v := os.Getenv("CUTOVER_KILLS"); v != "" {
		fmt.Sscan(v, &kills)
	}
	repos := []string{testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "killa"), testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "killb")}
	// Two versions of each image, pushed once; each round moves :latest to
	// the other one, which costs a manifest push rather than a build.
	for _, r := range repos {
		for _, v := range []string{"a", "b"} {
			testenv.BuildAndPush(t, testenv.ImageSpec{Repo: r, Tag: v, Version: v})
		}
	}
	retag := func(version string) {
		for _, r := range repos {
			testenv.Docker(t, "tag", r+":"+version, r+":latest")
			testenv.Docker(t, "push", r+":latest")
		}
	}
	retag("a")
	t.Cleanup(func() {
		for _, r := range repos {
			testenv.Docker(t, "image", "rm", r+":latest")
		}
	})
	var names []string
	for i := range 10 {
		n := testenv.Name(t, fmt.Sprintf("kill%d", i))
		testenv.RunContainer(t, n, "--restart", "unless-stopped", repos[i%2]+":latest")
		names = append(names, n)
	}
	data := t.TempDir()
	lost, dupes, temps, midSwap := 0, 0, 0, 0
	for round := range kills {
		retag([]string{"b", "a"}[round%2])
		cmd := exec.Command(binary(t), append([]string{"--data-dir", data, "--health-grace", "1s", "update"}, names...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Wait for the first swap to show (a temporary name), then kill at a
		// random moment of the swaps that follow.
		delay := time.Duration(rand.IntN(2000)) * time.Millisecond
		swapping := time.NewTicker(50 * time.Millisecond)
		deadline := time.After(60 * time.Second)
	wait:
		for {
			select {
			case <-exited:
				exited <- nil
				break wait
			case <-deadline:
				break wait
			case <-swapping.C:
				if strings.Contains(testenv.Docker(t, "ps", "-a", "--format", "{{.Names}}", "--filter", "name=-cutover-"), "kill") {
					break wait
				}
			}
		}
		swapping.Stop()
		select {
		case <-exited:
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
		}
		code, out := runBinary(t, nil, append([]string{"--data-dir", data, "recover"}, names...)...)
		if code != 0 {
			t.Errorf("round %d: recover exit %d\n%s", round, code, out)
		}
		if !strings.Contains(out, "nothing to recover") {
			midSwap++
		}
		all := testenv.Docker(t, "ps", "-a", "--format", "{{.Names}}")
		present := strings.Fields(all)
		for _, n := range names {
			count := 0
			for _, p := range present {
				switch {
				case p == n:
					count++
				case strings.HasPrefix(p, n+"-cutover"):
					temps++
					t.Errorf("round %d (killed after %s): %s left", round, delay, p)
				}
			}
			if count == 0 {
				lost++
				t.Errorf("round %d (killed after %s): %s lost", round, delay, n)
			}
			if count > 1 {
				dupes++
			}
		}
		if t.Failed() {
			t.Logf("round %d: recover said:\n%s\ncontainers:\n%s", round, out,
				testenv.Docker(t, "ps", "-a", "--format", "{{.Names}} {{.ID}} {{.Status}} {{.Label \"cutover.swap.id\"}} {{.Label \"cutover.swap.role\"}}"))
			break
		}
	}
	t.Logf("%d kills with SIGKILL during updates of 10 containers, %d of them mid-swap: %d lost, %d duplicated, %d left under a temporary name", kills, midSwap, lost, dupes, temps)
}
