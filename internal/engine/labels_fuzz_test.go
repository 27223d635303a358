package engine

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// deadlineRuntime records the deadline each Exec was given.
type deadlineRuntime struct {
	*fakeRuntime
	mu        sync.Mutex
	deadlines []time.Duration // 0: none
}

func (d *deadlineRuntime) Exec(ctx context.Context, id string, cmd []string) (ExecResult, error) {
	var left time.Duration
	if dl, ok := ctx.Deadline(); ok {
		left = time.Until(dl)
	}
	d.mu.Lock()
	d.deadlines = append(d.deadlines, left)
	d.mu.Unlock()
	return d.fakeRuntime.Exec(ctx, id, cmd)
}

// FuzzLabels feeds label values a container's owner chooses to every parser
// of labels: the enable flag, dependencies (cutover's and Compose's), the stop
// signal and a lifecycle hook with its timeout. None may panic, and each
// result must be one the rest of the engine can use.
func FuzzLabels(f *testing.F) {
	f.Add("true", "db,cache", "db:service_started:false,cache", "SIGTERM", "2")
	f.Add("maybe", "/db , ,/", "::,", "SIG\x00KILL", "-1")
	f.Add(" FALSE ", strings.Repeat(",", 10000), strings.Repeat(",:", 1000), "sigkill", "9999999999999")
	f.Add("1", "app", "app", "15", "0")
	f.Add("", "", "", "", "")
	f.Add("t\r\n", "a\x00b,c", "svc\x00:x", "SIGRTMIN+3", "+5")
	f.Add("yes", strings.Repeat("x", 5000), "db", strings.Repeat("A", 17), "1e3")
	f.Fuzz(func(t *testing.T, enable, dependsOn, composeDeps, stopSignal, hookTimeout string) {
		c := Container{
			ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: "running",
			Labels: map[string]string{
				LabelPrefix + "enable":                         enable,
				WatchtowerLabelPrefix + "depends-on":           dependsOn,
				"com.docker.compose.depends_on":                composeDeps,
				"com.docker.compose.project":                   "p",
				LabelPrefix + "stop-signal":                    stopSignal,
				LabelPrefix + "lifecycle.pre-update":           "/hooks/pre.sh",
				LabelPrefix + "lifecycle.pre-update-timeout":   hookTimeout,
				WatchtowerLabelPrefix + "lifecycle.post-check": dependsOn,
			},
		}

		on, set := LabelBool(c, "enable")
		want, err := strconv.ParseBool(strings.TrimSpace(enable))
		if set != (err == nil) || (set && on != want) {
			t.Fatalf("LabelBool(enable=%q): got %v, %v; want %v, %v", enable, on, set, want, err == nil)
		}
		if Excluded(c) != (set && !on) {
			t.Fatalf("Excluded(enable=%q): got %v", enable, Excluded(c))
		}

		for _, d := range labelDependencies(c) {
			if d == "" || strings.Contains(d, ",") {
				t.Fatalf("depends-on %q: got dependency %q", dependsOn, d)
			}
		}
		for _, d := range composeDependencies(c) {
			if d == "" || strings.ContainsAny(d, ",:") {
				t.Fatalf("compose depends_on %q: got service %q", composeDeps, d)
			}
		}
		all := []Container{c,
			{ID: "b000000000000000", Name: "db", Labels: map[string]string{"com.docker.compose.project": "p", "com.docker.compose.service": "db"}},
			{ID: "c000000000000000", Name: "cache"},
		}
		for _, d := range dependencies(c, all) {
			if d != "db" && d != "cache" {
				t.Fatalf("dependencies of app: got %q, want only existing containers other than app", d)
			}
		}

		// The version labels take the same hostile values: a label is read
		// or refused with a reason, never anything else.
		c.Labels[LabelPrefix+"policy"] = enable
		c.Labels[LabelPrefix+"tag.include"] = dependsOn
		c.Labels[LabelPrefix+"tag.exclude"] = composeDeps
		c.Labels[LabelPrefix+"cooldown"] = hookTimeout
		if r, err := rulesOf(c, "digest"); err == nil && r.Policy == "" {
			t.Fatalf("policy %q: got no policy and no error", enable)
		} else if err != nil && err.Error() == "" {
			t.Fatalf("policy %q: got an empty error", enable)
		}
		if d, err := cooldownOf(c, 0); err == nil && (d < 0 || d > MaxCooldown) {
			t.Fatalf("cooldown %q: got %s, want 0 to %s", hookTimeout, d, MaxCooldown)
		}

		rt := &deadlineRuntime{fakeRuntime: newFakeRuntime()}
		rt.addContainer(c)
		opts := fastOptions()
		opts.LifecycleHooks = true
		e := New(rt, &fakeRegistry{}, nil, nil, opts)
		if sig := e.stopSignal(c); sig != "" && !validSignal(sig) {
			t.Fatalf("stop-signal %q: got signal %q, which the engine does not accept", stopSignal, sig)
		}
		if err := e.preUpdate(context.Background(), c); err != nil {
			t.Fatalf("pre-update hook: %v", err)
		}
		if len(rt.deadlines) != 1 {
			t.Fatalf("pre-update hook ran %d times, want once", len(rt.deadlines))
		}
		got := rt.deadlines[0]
		wantMax := time.Minute
		if mins, err := strconv.Atoi(strings.TrimSpace(hookTimeout)); err == nil && mins >= 0 && mins <= math.MaxInt64/int(time.Minute) {
			wantMax = time.Duration(mins) * time.Minute
		}
		// "No limit" and anything longer are held to the longest a hook may
		// take, so a hanging hook cannot hold the container for ever.
		if wantMax == 0 || wantMax > maxHookTimeout {
			wantMax = maxHookTimeout
		}
		switch {
		case got < 0:
			t.Fatalf("hook timeout %q: got a deadline in the past (%s)", hookTimeout, got)
		case got == 0 && wantMax != 0:
			t.Fatalf("hook timeout %q: got no deadline, want one %s away", hookTimeout, wantMax)
		case wantMax != 0 && got != 0 && (got > wantMax || got < wantMax-time.Minute):
			t.Fatalf("hook timeout %q: got a deadline %s away, want %s", hookTimeout, got, wantMax)
		}
	})
}
