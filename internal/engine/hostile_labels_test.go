package engine

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

// hostileContainers are containers whose owner wrote labels to hurt: huge
// values, values that do not parse, and control characters.
func hostileContainers() []Container {
	mib := strings.Repeat("x", 1<<20)
	return []Container{
		{ID: "a000000000000000", Name: "huge", Labels: map[string]string{
			LabelPrefix + "enable": mib, LabelPrefix + "depends-on": mib, LabelPrefix + "stop-signal": mib,
			LabelPrefix + "scope": mib, LabelPrefix + "monitor-only": mib, LabelPrefix + "no-pull": mib,
			LabelPrefix + "lifecycle.pre-update": mib, LabelPrefix + "lifecycle.post-update": mib,
			LabelPrefix + "lifecycle.pre-update-timeout": mib,
			"com.docker.compose.depends_on":              strings.Repeat("db:service_started:false,", 40000),
		}},
		{ID: "b000000000000000", Name: "maybe", Labels: map[string]string{
			WatchtowerLabelPrefix + "enable":                       "maybe",
			WatchtowerLabelPrefix + "depends-on":                   strings.Repeat(",", 10000),
			WatchtowerLabelPrefix + "stop-signal":                  "SIG\x00KILL",
			WatchtowerLabelPrefix + "lifecycle.pre-update":         "/hooks/pre.sh",
			WatchtowerLabelPrefix + "lifecycle.pre-update-timeout": "-1",
		}},
		{ID: "c000000000000000", Name: "overflow", Labels: map[string]string{
			LabelPrefix + "enable":                       "\r\ntrue",
			LabelPrefix + "depends-on":                   "/huge,/overflow,overflow," + strings.Repeat("maybe,", 10000),
			LabelPrefix + "stop-signal":                  "SIGTERM\r\n",
			LabelPrefix + "lifecycle.pre-update":         "  /hooks/pre.sh  ",
			LabelPrefix + "lifecycle.pre-update-timeout": "9999999999999",
			"com.docker.compose.project":                 "p",
			"com.docker.compose.depends_on":              "overflow,::,:,,",
			"com.docker.compose.service":                 "overflow",
		}},
		{ID: "d000000000000000", Name: "cycle", Labels: map[string]string{
			LabelPrefix + "depends-on": "cycle,huge,maybe,overflow,d000000000000000,d0000000",
		}},
	}
}

// TestHostileLabelsCannotCrashAPass runs whole passes, hooks off and on, over
// containers with hostile labels: every container gets an outcome, invalid
// stop signals never reach the engine, and hooks run only when enabled and
// only with the commands as the labels give them.
func TestHostileLabelsCannotCrashAPass(t *testing.T) {
	for _, hooks := range []bool{false, true} {
		t.Run(map[bool]string{false: "hooks off", true: "hooks on"}[hooks], func(t *testing.T) {
			rt, reg, _ := world(t)
			opts := fastOptions()
			opts.LifecycleHooks = hooks
			var logs bytes.Buffer
			e := New(rt, reg, nil, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), opts)
			for _, c := range hostileContainers() {
				c.Image, c.ImageID = "127.0.0.1:5000/app", "sha256:img1"
				rt.addContainer(c)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			report, err := e.Check(ctx, CheckOptions{})
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			sum := e.Apply(ctx, e.Plan(report, PlanOptions{Periodic: true}), ApplyOptions{}, nil)
			var names []string
			for _, o := range sum.Outcomes {
				names = append(names, o.Container)
			}
			slices.Sort(names)
			if want := []string{"cycle", "huge", "maybe", "overflow"}; !slices.Equal(names, want) {
				t.Errorf("outcomes: got containers %v, want %v (summary %+v)", names, want, sum)
			}
			for _, o := range sum.Outcomes {
				want := ResultUpdated
				if hooks && o.Container == "huge" {
					want = ResultFailed // its 1 MiB hook command is refused
				}
				if o.Result != want {
					t.Errorf("container %s: got %s (%v), want %s", o.Container, o.Result, o.Err, want)
				}
			}
			for _, call := range rt.callLog() {
				if strings.HasPrefix(call, "stop ") && !strings.Contains(call, " signal= ") {
					t.Errorf("engine call %.80q: want no stop signal from an invalid label", call)
				}
				if strings.HasPrefix(call, "exec ") {
					if !hooks {
						t.Errorf("engine call %.80q with lifecycle hooks off", call)
					} else if call != "exec maybe sh -c /hooks/pre.sh" && call != "exec overflow sh -c /hooks/pre.sh" {
						t.Errorf("engine call %.80q: want only the two short hooks to run", call)
					}
				}
			}
			if hooks && !slices.Contains(rt.callLog(), "exec maybe sh -c /hooks/pre.sh") {
				t.Errorf("hooks on: the hook of container maybe did not run (calls %v)", rt.callLog())
			}
			if logs.Len() > 1<<20 {
				t.Errorf("logs: got %d bytes for one pass, want a 1 MiB label not copied into them", logs.Len())
			}
		})
	}
}

// TestHostileImageReferencesAreUnknown checks that containers configured
// with references that do not parse are reported, not updated, and leave the
// others alone.
func TestHostileImageReferencesAreUnknown(t *testing.T) {
	rt, _, e := world(t)
	bad := []string{"", "Foo::bar", strings.Repeat("a", 1<<20), "docker.io/./", "app\x00:latest", "app\r\nX: y", "../../etc/passwd"}
	for i, img := range bad {
		rt.addContainer(Container{ID: string(rune('a'+i)) + strings.Repeat("0", 15), Name: "bad" + string(rune('a'+i)), Image: img, ImageID: "sha256:img1"})
	}
	rt.addContainer(Container{ID: "z000000000000000", Name: "good", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	sum := update(t, e, ApplyOptions{})
	for _, o := range sum.Outcomes {
		switch {
		case o.Container == "good" && o.Result != ResultUpdated:
			t.Errorf("container good: got %s (%v), want updated", o.Result, o.Err)
		case o.Container != "good" && o.Result == ResultUpdated:
			t.Errorf("container %s with image %.40q: got updated, want it left alone", o.Container, o.Image)
		}
	}
	for _, call := range rt.callLog() {
		if strings.Contains(call, "bad") {
			t.Errorf("engine call %.80q touches a container whose image does not parse", call)
		}
	}
}
