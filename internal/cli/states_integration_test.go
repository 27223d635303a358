package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// onEngine is an engine of the states test with the helpers its checks use.
type onEngine struct{ *testenv.Engine }

// state returns what the engine says container name is doing.
func (e onEngine) state(t *testing.T, name string) string {
	t.Helper()
	return e.Docker(t, "inspect", "--format", "{{.State.Status}}", name)
}

func (e onEngine) imageOf(t *testing.T, name string) string {
	t.Helper()
	return e.Docker(t, "inspect", "--format", "{{.Image}}", name)
}

func (e onEngine) id(t *testing.T, name string) string {
	t.Helper()
	return e.Docker(t, "inspect", "--format", "{{.Id}}", name)
}

// requireOnly checks that name exists once, with no leftover of a swap, in
// the wanted state and on the wanted image.
func (e onEngine) requireOnly(t *testing.T, name, wantState, wantImage string) {
	t.Helper()
	if got := e.Names(t, name); !slices.Equal(got, []string{name}) {
		t.Fatalf("containers named like %s: got %v, want exactly it", name, got)
	}
	if got := e.state(t, name); got != wantState {
		t.Errorf("%s: state %s, want %s", name, got, wantState)
	}
	if got := e.imageOf(t, name); got != wantImage {
		t.Errorf("%s: runs %s, want %s", name, short(got), short(wantImage))
	}
}

// localImageOf returns the id of the local image ref names.
func (e onEngine) localImageOf(t *testing.T, ref string) string {
	t.Helper()
	return e.Docker(t, "image", "inspect", "--format", "{{.Id}}", ref)
}

// followKills follows, live, the kill events of the containers whose name
// starts with name (a busy engine forgets past events too soon to read them
// back). The returned func waits, up to 30 s, for n of them and returns
// each as "name signal".
func (e onEngine) followKills(t *testing.T, name string) func(n int) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	cmd := exec.CommandContext(ctx, "docker", "events", "--filter", "event=kill", "--filter", "label=cutover.test=1",
		"--format", "{{.Actor.Attributes.name}} {{.Actor.Attributes.signal}}")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.Host)
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("docker events: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	ours := func() []string {
		var got []string
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, name) {
				got = append(got, line)
			}
		}
		return got
	}
	return func(n int) []string {
		deadline := time.Now().Add(30 * time.Second)
		for len(ours()) < n && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		return ours()
	}
}

// cutover runs cutover against this engine.
func (e onEngine) cutover(t *testing.T, data string, args ...string) result {
	t.Helper()
	return cutoverIn(t, data, append([]string{"--host", e.Host}, args...)...)
}

// TestIntegrationSwapOfEveryState updates containers in each state the
// engine has, against the real engine, and checks what a user would see:
// the container there once, under its name, in the state it should be in,
// on the right image.
func TestIntegrationSwapOfEveryState(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	testenv.ForEachEngine(t, func(t *testing.T, engine *testenv.Engine) {
		swapOfEveryState(t, onEngine{engine})
	})
}

func swapOfEveryState(t *testing.T, e onEngine) {

	t.Run("rm with a good image", func(t *testing.T) {
		t.Parallel()
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
		name := testenv.Name(t, "rm")
		e.RunContainer(t, name, "--rm", ref)
		pushV2(testenv.ImageSpec{})
		r := e.cutover(t, t.TempDir(), "update", name)
		if r.code != 0 || !strings.Contains(r.stdout, "1 updated") {
			t.Fatalf("update: exit %d, %q; want 1 updated", r.code, r.stdout)
		}
		e.requireOnly(t, name, "running", e.localImageOf(t, ref))
		if got := e.Docker(t, "inspect", "--format", "{{.HostConfig.AutoRemove}}", name); got != "true" {
			t.Errorf("%s after the update: AutoRemove %s, want true as the user ran it", name, got)
		}
	})

	t.Run("rm with an image that exits at start", func(t *testing.T) {
		t.Parallel()
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
		name := testenv.Name(t, "rmcrash")
		// Marked, so that the update of every container below sees this
		// test's containers only, not every container of the engine.
		mark := testenv.Name(t, "mark")
		e.RunContainer(t, name, "--rm", "--label", "cutover-test.mark="+mark, ref)
		v1 := e.imageOf(t, name)
		pushV2(testenv.ImageSpec{Mode: "crash"})
		data := t.TempDir()
		r := e.cutover(t, data, "update", name)
		if r.code == 0 || !strings.Contains(r.stdout, "rolled back") {
			t.Fatalf("update: exit %d, %q; want it rolled back", r.code, r.stdout)
		}
		e.requireOnly(t, name, "running", v1)
		if got := e.localImageOf(t, ref); got != v1 {
			t.Errorf("tag %s after the rollback: points at %s, want the image the container runs, %s", ref, short(got), short(v1))
		}
		// The rolled-back version is held: the next update leaves it, and
		// says so; asked for by name, it is tried again.
		view := engineViewOf(t, strings.TrimPrefix(e.Host, "unix://"), func(l map[string]string) bool { return l["cutover-test.mark"] == mark })
		r = cutoverIn(t, data, "--host", "unix://"+view, "update")
		if strings.Contains(r.stdout, name+": recreating") || !strings.Contains(r.stdout, "skipped "+name+": held since") {
			t.Errorf("the next update of every container: %q; want %s skipped as held", r.stdout, name)
		}
		e.requireOnly(t, name, "running", v1)
	})

	t.Run("paused", func(t *testing.T) {
		t.Parallel()
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
		name := testenv.Name(t, "paused")
		e.RunContainer(t, name, ref)
		e.Docker(t, "pause", name)
		v1, id := e.imageOf(t, name), e.id(t, name)
		pushV2(testenv.ImageSpec{})
		r := e.cutover(t, t.TempDir(), "update", name)
		if r.code != 0 || !strings.Contains(r.stdout, "skipped "+name+": paused") {
			t.Fatalf("update of a paused container: exit %d, %q; want it skipped as paused", r.code, r.stdout)
		}
		e.requireOnly(t, name, "paused", v1)
		if e.id(t, name) != id {
			t.Fatalf("%s was replaced although paused", name)
		}
		r = e.cutover(t, t.TempDir(), "update", "--force", name)
		if r.code != 0 || !strings.Contains(r.stdout, "1 updated") {
			t.Fatalf("forced update: exit %d, %q; want 1 updated", r.code, r.stdout)
		}
		e.requireOnly(t, name, "running", e.localImageOf(t, ref))
	})

	t.Run("restarting", func(t *testing.T) {
		t.Parallel()
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{Mode: "crash"})
		name := testenv.Name(t, "loop")
		e.RunContainer(t, name, "--restart", "always", ref)
		waitFor(t, name+" crash-looping", 30*time.Second, func() bool { return e.state(t, name) == "restarting" })
		pushV2(testenv.ImageSpec{})
		r := e.cutover(t, t.TempDir(), "update", name)
		if r.code != 0 || !strings.Contains(r.stdout, "1 updated") {
			t.Fatalf("update of a crash-looping container: exit %d, %q; want 1 updated", r.code, r.stdout)
		}
		e.requireOnly(t, name, "running", e.localImageOf(t, ref))
	})

	t.Run("restarting with an image that crashes too", func(t *testing.T) {
		t.Parallel()
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{Mode: "crash"})
		name := testenv.Name(t, "loop2")
		e.RunContainer(t, name, "--restart", "always", ref)
		id := e.id(t, name)
		waitFor(t, name+" crash-looping", 30*time.Second, func() bool { return e.state(t, name) == "restarting" })
		pushV2(testenv.ImageSpec{Mode: "crash"})
		r := e.cutover(t, t.TempDir(), "update", name)
		if r.code == 0 || !strings.Contains(r.stdout, "rolled back") {
			t.Fatalf("update: exit %d, %q; want it rolled back", r.code, r.stdout)
		}
		if got := e.Names(t, name); !slices.Equal(got, []string{name}) || e.id(t, name) != id {
			t.Fatalf("after the rollback: containers %v, want only the old %s", got, name)
		}
		// As it was: its restart policy keeps restarting it.
		waitFor(t, name+" restarting again", 30*time.Second, func() bool {
			s := e.state(t, name)
			return s == "restarting" || s == "running"
		})
	})

	t.Run("exited", func(t *testing.T) {
		t.Parallel()
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
		scope := testenv.Name(t, "scope")
		name := testenv.Name(t, "stopped")
		e.RunContainer(t, name, "--label", "com.centurylinklabs.watchtower.scope="+scope, "--label", "com.centurylinklabs.watchtower.enable=true", ref)
		e.Docker(t, "stop", "-t", "1", name)
		v1 := e.imageOf(t, name)
		pushV2(testenv.ImageSpec{})
		// Not watched without --include-stopped.
		if r := e.cutover(t, t.TempDir(), "--run-once", "--scope", scope); r.code != 0 || e.imageOf(t, name) != v1 {
			t.Fatalf("a pass without --include-stopped: exit %d; %s replaced", r.code, name)
		}
		r := e.cutover(t, t.TempDir(), "--run-once", "--include-stopped", "--scope", scope)
		if r.code != 0 || !strings.Contains(r.stdout, "1 updated") {
			t.Fatalf("a pass with --include-stopped: exit %d, %q; want 1 updated", r.code, r.stdout)
		}
		// Replaced, not started: the new container was never run.
		e.requireOnly(t, name, "created", e.localImageOf(t, ref))
		// --revive-stopped starts what it updates.
		pushV2(testenv.ImageSpec{Version: "v3"})
		r = e.cutover(t, t.TempDir(), "--run-once", "--include-stopped", "--revive-stopped", "--scope", scope)
		if r.code != 0 || !strings.Contains(r.stdout, "1 updated") {
			t.Fatalf("a pass with --revive-stopped: exit %d, %q; want 1 updated", r.code, r.stdout)
		}
		e.requireOnly(t, name, "running", e.localImageOf(t, ref))
	})

	t.Run("network of another container", func(t *testing.T) {
		t.Parallel()
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
		sideRef, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "side"), Version: "side"})
		base, side := testenv.Name(t, "base"), testenv.Name(t, "side")
		e.RunContainer(t, base, ref)
		e.RunContainer(t, side, "--network", "container:"+base, "-e", "PORT=8001", sideRef)
		pushV2(testenv.ImageSpec{})
		r := e.cutover(t, t.TempDir(), "update", base)
		if r.code != 0 || !strings.Contains(r.stdout, "1 updated") {
			t.Fatalf("update of %s: exit %d, %q", base, r.code, r.stdout)
		}
		// The engine keeps the network container by id.
		cfg := e.Docker(t, "inspect", "--format", "{{.Config.Image}} {{.HostConfig.NetworkMode}} {{.State.Status}}", side)
		if want := sideRef + " container:" + e.id(t, base) + " running"; cfg != want {
			t.Errorf("%s after %s's update: %q, want %q (its reference kept, sharing the new %s)", side, base, cfg, want, base)
		}
		// Still a container cutover can check and update.
		r = e.cutover(t, t.TempDir(), "check", "--json", side)
		var gs []group
		if err := json.Unmarshal([]byte(r.stdout), &gs); err != nil {
			t.Fatalf("check --json: %v\n%s", err, r.stdout)
		}
		_, c := findContainer(t, gs, side)
		if c.Status != "uptodate" {
			t.Errorf("check of %s: %s (%s), want uptodate", side, c.Status, c.Reason)
		}
	})

	t.Run("link", func(t *testing.T) {
		t.Parallel()
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
		base, web := testenv.Name(t, "db"), testenv.Name(t, "web")
		e.RunContainer(t, base, ref)
		e.RunContainer(t, web, "--link", base+":db", ref)
		webID, webImage := e.id(t, web), e.imageOf(t, web)
		pushV2(testenv.ImageSpec{})
		r := e.cutover(t, t.TempDir(), "update", base)
		if r.code != 0 || !strings.Contains(r.stdout, web+": recreated after a container it depends on") {
			t.Fatalf("update of %s: exit %d, %q; want %s recreated after it", base, r.code, r.stdout, web)
		}
		// The engine makes a link follow its container through a rename:
		// only a new container links to the new one.
		e.requireOnly(t, web, "running", webImage)
		if e.id(t, web) == webID {
			t.Errorf("%s: still the container that linked to the old %s", web, base)
		}
		links := e.Docker(t, "inspect", "--format", "{{.HostConfig.Links}}", web)
		if want := "[/" + base + ":/" + web + "/db]"; links != want {
			t.Errorf("%s links: %s, want %s", web, links, want)
		}
		e.Docker(t, "restart", "-t", "1", web)
		if e.state(t, web) != "running" {
			t.Errorf("%s does not restart after the update of the container it links to", web)
		}
	})

	t.Run("stop signal kept by the rollback", func(t *testing.T) {
		t.Parallel()
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{HealthInterval: "1s"})
		name := testenv.Name(t, "db")
		e.RunContainer(t, name, "--stop-signal", "SIGINT", "--stop-timeout", "30", ref)
		v1 := e.imageOf(t, name)
		kills := e.followKills(t, name)
		pushV2(testenv.ImageSpec{HealthInterval: "1s", Mode: "unhealthy"})
		r := e.cutover(t, t.TempDir(), "update", name)
		if r.code == 0 || !strings.Contains(r.stdout, "rolled back") {
			t.Fatalf("update: exit %d, %q; want it rolled back", r.code, r.stdout)
		}
		e.requireOnly(t, name, "running", v1)
		// Both containers were stopped with the container's own signal: the
		// old one for the swap, the new one for the rollback.
		ours := kills(2)
		if len(ours) != 2 {
			t.Fatalf("kill events of %s: got %q, want two (old stopped, new rolled back)", name, ours)
		}
		for _, k := range ours {
			if !strings.HasSuffix(k, " 2") {
				t.Errorf("kill event %q: want signal 2 (SIGINT), the container's stop signal", k)
			}
		}
	})
}
