package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestEveryHookNeedsLifecycleHooks checks all four lifecycle hooks, under
// both label prefixes, through a pass and through a deploy: with
// LifecycleHooks off no command a label names runs, with it on each runs.
func TestEveryHookNeedsLifecycleHooks(t *testing.T) {
	labels := map[string]string{
		LabelPrefix + "lifecycle.pre-check":            "/hooks/pre-check.sh",
		WatchtowerLabelPrefix + "lifecycle.pre-update": "/hooks/pre-update.sh",
		LabelPrefix + "lifecycle.post-update":          "/hooks/post-update.sh",
		WatchtowerLabelPrefix + "lifecycle.post-check": "/hooks/post-check.sh",
	}
	run := map[string]func(t *testing.T, e *Engine){
		"pass": func(t *testing.T, e *Engine) {
			if sum := update(t, e, ApplyOptions{}); sum.Updated != 1 {
				t.Fatalf("pass: got %+v, want container app updated", sum.Outcomes)
			}
		},
		"deploy": func(t *testing.T, e *Engine) {
			out, err := e.Deploy(context.Background(), DeployRequest{Container: "app", Image: "127.0.0.1:5000/app:latest"}, nil)
			if err != nil || out.Result != ResultUpdated {
				t.Fatalf("deploy: got %s %v, want updated", out.Result, err)
			}
		},
	}
	for how, do := range run {
		for _, enabled := range []bool{false, true} {
			t.Run(how+map[bool]string{false: ", hooks off", true: ", hooks on"}[enabled], func(t *testing.T) {
				rt, reg, _ := world(t)
				opts := fastOptions()
				opts.LifecycleHooks = enabled
				e := New(rt, reg, nil, nil, opts)
				rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", Labels: labels})
				do(t, e)
				var ran []string
				for _, call := range rt.callLog() {
					if cmd, ok := strings.CutPrefix(call, "exec app sh -c "); ok {
						ran = append(ran, cmd)
					} else if strings.HasPrefix(call, "exec ") {
						t.Errorf("engine call %q: want hooks run only in container app", call)
					}
				}
				if !enabled && len(ran) > 0 {
					t.Errorf("hooks off: got %v run, want none", ran)
				}
				if enabled && !slices.Contains(ran, "/hooks/pre-update.sh") || enabled && !slices.Contains(ran, "/hooks/post-update.sh") {
					t.Errorf("hooks on: got %v run, want pre-update and post-update among them", ran)
				}
				if enabled && how == "pass" && len(ran) != 4 {
					t.Errorf("hooks on, pass: got %v run, want all four hooks once", ran)
				}
			})
		}
	}
}
