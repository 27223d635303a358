package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cli"
	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationSwarmServices runs cutover against a single-node Swarm on
// a private engine: services are checked with the containers, and updated
// by Swarm's own rolling update, which cutover follows and reports; a
// failing one is rolled back by Swarm; task containers are never swapped.
// The subtests share the Swarm and run one after another.
func TestIntegrationSwarmServices(t *testing.T) {
	testenv.RequireRegistries(t)
	eng := testenv.NewPrivateEngine(t)
	eng.InitSwarm(t)
	t.Parallel()
	sw := swarmTest{t: t, eng: eng}

	t.Run("replicated update completes", sw.replicated)
	t.Run("global update completes", sw.global)
	t.Run("failing healthcheck is rolled back by Swarm", sw.rolledBack)
	t.Run("registry credentials go with the update", sw.credentials)
}

type swarmTest struct {
	t   *testing.T
	eng *testenv.PrivateEngine
}

// cutover runs cutover against the private engine.
func (s swarmTest) cutover(t *testing.T, data string, args ...string) result {
	t.Helper()
	return cutoverIn(t, data, append([]string{"--host", s.eng.Host}, args...)...)
}

func (s swarmTest) check(t *testing.T) []group {
	t.Helper()
	r := s.cutover(t, t.TempDir(), "check", "--json")
	if r.code != 0 {
		t.Fatalf("cutover check: exit %d: %s", r.code, r.stderr)
	}
	var gs []group
	if err := json.Unmarshal([]byte(r.stdout), &gs); err != nil {
		t.Fatalf("cutover check --json printed invalid JSON: %v\n%s", err, r.stdout)
	}
	return gs
}

// createService creates a service with a quick rollout (no delay, a short
// monitor) and the extra args, and waits until its tasks run.
func (s swarmTest) createService(t *testing.T, name string, args ...string) {
	t.Helper()
	full := append([]string{"service", "create", "--detach", "--name", name,
		"--update-delay", "0s", "--update-monitor", "2s", "--update-parallelism", "1",
		"--rollback-delay", "0s", "--rollback-monitor", "1s"}, args...)
	s.eng.Docker(t, full...)
	t.Cleanup(func() { s.eng.Docker(t, "service", "rm", name) })
	s.waitTasks(t, name)
}

// waitTasks waits until every task the service desires runs.
func (s swarmTest) waitTasks(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		replicas := s.eng.Docker(t, "service", "ls", "--filter", "name="+name, "--format", "{{.Name}} {{.Replicas}}")
		for _, line := range strings.Split(replicas, "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == name {
				if run, want, ok := strings.Cut(f[1], "/"); ok && run == want && run != "0" {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("service %s: tasks not all running within 2 minutes: %s\n%s", name, replicas, s.eng.Docker(t, "service", "ps", "--no-trunc", name))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// specImage is the image the service's spec names.
func (s swarmTest) specImage(t *testing.T, name string) string {
	t.Helper()
	return s.eng.Docker(t, "service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", name)
}

// requireTasksOn waits until the service's tasks meant to run are want of
// them, all running image, and fails after a while.
func (s swarmTest) requireTasksOn(t *testing.T, name, image string, want int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out := s.eng.Docker(t, "service", "ps", "--no-trunc", "--filter", "desired-state=running", "--format", "{{.Image}}|{{.CurrentState}}", name)
		lines := strings.Split(out, "\n")
		ok := len(lines) == want
		for _, l := range lines {
			img, state, _ := strings.Cut(l, "|")
			ok = ok && img == image && strings.HasPrefix(state, "Running")
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks of %s: got\n%s\nwant %d running %s", name, out, want, image)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func findRow(gs []group, name string) (group, container, bool) {
	for _, g := range gs {
		for _, c := range g.Containers {
			if c.Name == name {
				return g, c, true
			}
		}
	}
	return group{}, container{}, false
}

func (s swarmTest) replicated(t *testing.T) {
	ref, d1, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	web := testenv.Name(t, "web")
	kept := testenv.Name(t, "kept")
	s.createService(t, web, "--replicas", "2", ref)
	// Labels on a service mean what they mean on a container.
	s.createService(t, kept, "--label", "com.centurylinklabs.watchtower.enable=false", ref)

	gs := s.check(t)
	g, row, found := findRow(gs, web)
	if !found || row.Kind != "service" || row.Status != "uptodate" || row.Tasks != "2/2" || row.LocalDigest != short(d1) || g.Image != ref {
		t.Fatalf("check of service %s: got %+v in group %s, found %v; want kind service, uptodate, 2/2 tasks, local %s in group %s", web, row, g.Image, found, short(d1), ref)
	}
	// The tasks' containers are listed, as what they are.
	tasks := strings.Fields(s.eng.Docker(t, "ps", "--filter", "label=com.docker.swarm.service.name="+web, "--format", "{{.Names}}"))
	if len(tasks) != 2 {
		t.Fatalf("task containers of %s: got %v, want 2", web, tasks)
	}
	_, task, found := findRow(gs, tasks[0])
	if !found || task.Kind != "container" || task.Status != "unknown" || !strings.Contains(task.Reason, "a task of Swarm service "+web) {
		t.Errorf("check of task container %s: got %+v (found %v), want a container, unknown, as a task of %s", tasks[0], task, found, web)
	}

	d2 := pushV2(testenv.ImageSpec{})
	gs = s.check(t)
	if g, row, _ := findRow(gs, web); row.Status != "outdated" || row.LocalDigest != short(d1) || g.RemoteDigest != short(d2) {
		t.Fatalf("check of %s after v2 was pushed: got %+v, remote %s; want outdated, local %s, remote %s", web, row, g.RemoteDigest, short(d1), short(d2))
	}

	// Named alone, a task container is never swapped.
	taskID := s.eng.Docker(t, "inspect", "--format", "{{.Id}}", tasks[0])
	r := s.cutover(t, t.TempDir(), "update", tasks[0])
	if r.code != 0 || !strings.Contains(r.stdout, "skipped "+tasks[0]+": a task of Swarm service "+web) {
		t.Errorf("update of task container %s: exit %d, want 0 and the task skipped:\n%s", tasks[0], r.code, r.stdout)
	}
	if got := s.eng.Names(t, tasks[0]); len(got) != 1 || got[0] != tasks[0] || s.eng.Docker(t, "inspect", "--format", "{{.Id}}", tasks[0]) != taskID {
		t.Errorf("task container %s after its update was asked: got containers %v, want it untouched", tasks[0], got)
	}

	r = s.cutover(t, t.TempDir(), "update")
	if r.code != 0 {
		t.Fatalf("cutover update: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		web + ": asking Swarm to update the service to " + ref + "@" + d2,
		"updated " + web + " (" + ref + "): " + short(d1) + " -> " + short(d2),
		"skipped " + kept + ": disabled by its enable label",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("cutover update output lacks %q:\n%s", want, r.stdout)
		}
	}
	if got := s.specImage(t, web); got != ref+"@"+d2 {
		t.Errorf("service %s after the update: spec image %s, want %s", web, got, ref+"@"+d2)
	}
	s.requireTasksOn(t, web, ref+"@"+d2, 2)
	if got := s.specImage(t, kept); got != ref+"@"+d1 {
		t.Errorf("service %s, disabled by label: spec image %s, want %s untouched", kept, got, ref+"@"+d1)
	}
	if _, row, _ := findRow(s.check(t), web); row.Status != "uptodate" {
		t.Errorf("check of %s after its update: got %+v, want uptodate", web, row)
	}
}

func (s swarmTest) global(t *testing.T) {
	ref, d1, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	agent := testenv.Name(t, "agent")
	s.createService(t, agent, "--mode", "global", ref)
	d2 := pushV2(testenv.ImageSpec{})

	r := s.cutover(t, t.TempDir(), "update", agent)
	if r.code != 0 || !strings.Contains(r.stdout, "updated "+agent+" ("+ref+"): "+short(d1)+" -> "+short(d2)) {
		t.Fatalf("update of global service %s: exit %d, want 0 and it updated:\n%s%s", agent, r.code, r.stdout, r.stderr)
	}
	if got := s.specImage(t, agent); got != ref+"@"+d2 {
		t.Errorf("service %s after the update: spec image %s, want %s", agent, got, ref+"@"+d2)
	}
	s.requireTasksOn(t, agent, ref+"@"+d2, 1)
}

func (s swarmTest) rolledBack(t *testing.T) {
	ref, d1, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	frail := testenv.Name(t, "frail")
	s.createService(t, frail, "--replicas", "2", "--update-failure-action", "rollback", ref)
	pushV2(testenv.ImageSpec{Mode: "unhealthy", HealthInterval: "1s"})

	data := t.TempDir()
	r := s.cutover(t, data, "update", frail)
	if r.code != cli.ExitFailed {
		t.Errorf("update of %s to an unhealthy image: exit %d, want %d", frail, r.code, cli.ExitFailed)
	}
	// Swarm's own words: those of its rollback under way, or of the
	// rollback completed, by the time cutover reads them.
	if !strings.Contains(r.stdout, frail+": rolled back: Swarm rolled the update back: update rolled back due to failure or early termination of task") &&
		!strings.Contains(r.stdout, frail+": rolled back: Swarm rolled the update back: rollback completed") {
		t.Errorf("cutover update output lacks Swarm's rollback, in its words:\n%s", r.stdout)
	}
	for _, want := range []string{
		// Swarm stops a task whose healthcheck fails: it ends.
		"; a new task ended (complete, exit code 0)",
		"0 updated, 1 failed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("cutover update output lacks %q:\n%s", want, r.stdout)
		}
	}
	t.Logf("tasks of %s:\n%s", frail, s.eng.Docker(t, "service", "ps", "--no-trunc", frail))
	if got := s.specImage(t, frail); got != ref+"@"+d1 {
		t.Errorf("service %s after Swarm's rollback: spec image %s, want %s", frail, got, ref+"@"+d1)
	}
	s.requireTasksOn(t, frail, ref+"@"+d1, 2)

	// The version rolled back is not tried again by an update of all.
	r = s.cutover(t, data, "update")
	if r.code != 0 || !strings.Contains(r.stdout, "skipped "+frail+": held since") || strings.Contains(r.stdout, "asking Swarm") {
		t.Errorf("next update of all: exit %d, want 0 and %s held:\n%s", r.code, frail, r.stdout)
	}
	if got := s.specImage(t, frail); got != ref+"@"+d1 {
		t.Errorf("service %s after the next update of all: spec image %s, want %s", frail, got, ref+"@"+d1)
	}
}

func (s swarmTest) credentials(t *testing.T) {
	ref, d1, pushV2 := imagePair(t, testenv.AuthRegistry, testenv.ImageSpec{})
	// The engine gets v1 by a pull of its own and the service no
	// credentials: only those cutover sends let the node pull v2.
	s.eng.Pull(t, ref)
	private := testenv.Name(t, "private")
	s.createService(t, private, "--no-resolve-image", ref+"@"+d1)
	d2 := pushV2(testenv.ImageSpec{})

	env := []string{"DOCKER_CONFIG=" + testenv.LoginConfig(t)}
	code, out := runBinary(t, env, "--host", s.eng.Host, "--data-dir", t.TempDir(), "update", private)
	t.Logf("cutover update %s:\n%s", private, out)
	if code != 0 || !strings.Contains(out, "updated "+private) {
		t.Fatalf("update of %s from a registry with credentials: exit %d, want 0 and it updated", private, code)
	}
	s.requireTasksOn(t, private, ref+"@"+d2, 1)
}
