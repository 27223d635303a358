package cli_test

import (
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/testenv"
)

// policyCase is a scope with a stale unlabelled container, a stale one
// labelled enable=true and a stale one labelled enable=false.
type policyCase struct {
	scope, plain, enabled, disabled string
	before                          map[string]string
}

func newPolicyCase(t *testing.T) policyCase {
	t.Helper()
	ref, _, push := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	p := policyCase{scope: testenv.Name(t, "scope"), before: map[string]string{}}
	run := func(prefix string, labels ...string) string {
		name := testenv.Name(t, prefix)
		args := []string{"--label", "com.centurylinklabs.watchtower.scope=" + p.scope}
		for _, l := range labels {
			args = append(args, "--label", l)
		}
		testenv.RunContainer(t, name, append(args, ref)...)
		p.before[name] = imageOf(t, name)
		return name
	}
	p.plain = run("plain")
	p.enabled = run("enabled", "com.centurylinklabs.watchtower.enable=true")
	p.disabled = run("disabled", "com.centurylinklabs.watchtower.enable=false")
	push(testenv.ImageSpec{})
	return p
}

// expect checks which containers the pass updated.
func (p policyCase) expect(t *testing.T, res result, updated ...string) {
	t.Helper()
	for _, n := range []string{p.plain, p.enabled, p.disabled} {
		want := strings.Contains(strings.Join(updated, " "), n)
		if got := imageOf(t, n) != p.before[n]; got != want {
			t.Errorf("container %s: updated %v, want %v\nstdout:\n%s\nstderr:\n%s", n, got, want, res.stdout, res.stderr)
		}
	}
}

// TestIntegrationWatchtowerPolicy checks the switch of update policy: with
// no sign of Watchtower, periodic passes (and --run-once) update only
// containers labelled enable=true; with a WATCHTOWER_* variable or a flag
// only Watchtower has, every container not labelled enable=false, as
// Watchtower did, unless --auto-update-default says otherwise. enable=false
// containers are never looked at: not checked, counted or notified.
func TestIntegrationWatchtowerPolicy(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)

	t.Run("cutover's without Watchtower settings", func(t *testing.T) {
		t.Parallel()
		p := newPolicyCase(t)
		res := mustRun(t, nil, "-R", "--scope", p.scope)
		p.expect(t, res, p.enabled)
		if !strings.Contains(res.stderr, "update policy: cutover's opt-in") || !strings.Contains(res.stderr, "watching 2 containers, auto-updating 1") {
			t.Errorf("startup message: want cutover's policy and 2 containers watched, 1 auto-updated; got:\n%s", res.stderr)
		}
	})
	t.Run("Watchtower's after a Watchtower flag", func(t *testing.T) {
		t.Parallel()
		p := newPolicyCase(t)
		recv := listenReceiver(t)
		res := mustRun(t, nil, "-R", "--scope", p.scope, "--porcelain", "v1", "--notification-url", "generic+http://"+recv.addr+"/generic")
		p.expect(t, res, p.plain, p.enabled)
		if !strings.Contains(res.stderr, "update policy: Watchtower's, because --porcelain is given") {
			t.Errorf("startup message: want Watchtower's policy because of --porcelain; got:\n%s", res.stderr)
		}
		if want := "/" + p.enabled + " ("; !strings.Contains(res.stdout, want) || strings.Count(res.stdout, "): Updated\n") != 2 || strings.Contains(res.stdout, p.disabled) {
			t.Errorf("porcelain output: want %s and %s updated and %s absent, got:\n%s", p.plain, p.enabled, p.disabled, res.stdout)
		}
		for _, q := range recv.requests() {
			if strings.Contains(q.body, p.disabled) {
				t.Errorf("a notification names %s (enable=false): %s", p.disabled, q.body)
			}
		}
		// --porcelain's template is every service's.
		if !recv.sent("/generic", "/"+p.plain+" (") {
			t.Errorf("no notification of %s's update; got %s", p.plain, formatRequests(recv.requests()))
		}
	})
	t.Run("Watchtower's with --label-enable", func(t *testing.T) {
		t.Parallel()
		p := newPolicyCase(t)
		res := mustRun(t, nil, "-R", "--scope", p.scope, "-e", "--no-color")
		p.expect(t, res, p.enabled)
		if !strings.Contains(res.stdout, "1 scanned, 1 updated") {
			t.Errorf("summary: want 1 scanned, 1 updated, got:\n%s", res.stdout)
		}
	})
	t.Run("Watchtower's after a WATCHTOWER_ variable", func(t *testing.T) {
		p := newPolicyCase(t)
		res := mustRun(t, map[string]string{"WATCHTOWER_SCOPE": p.scope})
		p.expect(t, res, p.plain, p.enabled)
		if !strings.Contains(res.stderr, "update policy: Watchtower's, because WATCHTOWER_RUN_ONCE and 1 more WATCHTOWER_* variables are set") {
			t.Errorf("startup message: want Watchtower's policy because of the variables; got:\n%s", res.stderr)
		}
		if !strings.Contains(res.stdout, "2 scanned, 2 updated, 0 failed, 0 skipped") {
			t.Errorf("summary: want the enable=false container neither scanned nor skipped, got:\n%s", res.stdout)
		}
	})
	t.Run("--auto-update-default=false wins", func(t *testing.T) {
		p := newPolicyCase(t)
		res := mustRun(t, map[string]string{"WATCHTOWER_SCOPE": p.scope}, "--auto-update-default=false")
		p.expect(t, res, p.enabled)
		if !strings.Contains(res.stderr, "update policy: cutover's opt-in") {
			t.Errorf("startup message: want cutover's policy; got:\n%s", res.stderr)
		}
	})
}
