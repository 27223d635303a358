package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestPreUpdateHook(t *testing.T) {
	tests := []struct {
		name       string
		enabled    bool
		exitCode   int
		wantResult Result
		wantErr    string
	}{
		{"hooks off: label ignored", false, ExitSkip, ResultUpdated, ""},
		{"exit 0 proceeds", true, 0, ResultUpdated, ""},
		{"exit 75 skips", true, ExitSkip, ResultSkipped, "pre-update hook asked to skip this update (exit code 75)"},
		{"other exit fails untouched", true, 3, ResultFailed, "pre-update hook failed with exit code 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, reg, _ := world(t)
			opts := fastOptions()
			opts.LifecycleHooks = tc.enabled
			e := New(rt, reg, nil, nil, opts)
			rt.execCodes["sh -c /hooks/pre.sh"] = tc.exitCode
			rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1",
				Labels: map[string]string{"com.centurylinklabs.watchtower.lifecycle.pre-update": "/hooks/pre.sh"}})
			sum := update(t, e, ApplyOptions{})
			o := sum.Outcomes[0]
			gotErr := ""
			if o.Err != nil {
				gotErr = o.Err.Error()
			}
			if o.Result != tc.wantResult || gotErr != tc.wantErr {
				t.Errorf("outcome: got %s %q, want %s %q", o.Result, gotErr, tc.wantResult, tc.wantErr)
			}
			calls := rt.callLog()
			ran := slices.Contains(calls, "exec app sh -c /hooks/pre.sh")
			if ran != tc.enabled {
				t.Errorf("hook ran: %v, want %v (calls %v)", ran, tc.enabled, calls)
			}
			if tc.wantResult != ResultUpdated && slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "stop ") || strings.HasPrefix(c, "create ") }) {
				t.Errorf("container touched after the hook said no: %v", calls)
			}
		})
	}
}

func TestHookCommandTooLongIsRefused(t *testing.T) {
	rt, reg, _ := world(t)
	opts := fastOptions()
	opts.LifecycleHooks = true
	e := New(rt, reg, nil, nil, opts)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: "running",
		Labels: map[string]string{"cutover.lifecycle.pre-update": strings.Repeat("x", maxHookCommand+1)}})
	c, _ := rt.Container(context.Background(), "app")
	if err := e.preUpdate(context.Background(), c); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("huge hook command: got %v, want it refused", err)
	}
}
