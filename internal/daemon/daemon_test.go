package daemon

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// gateRuntime is an engine with no containers whose listing blocks until
// released, so a test can hold a pass open.
type gateRuntime struct {
	engine.Runtime // calls beyond listing are not expected
	release        chan struct{}
	lists          atomic.Int32
}

func (g *gateRuntime) Containers(ctx context.Context, _ bool) ([]engine.Container, error) {
	g.lists.Add(1)
	select {
	case <-g.release:
	case <-ctx.Done():
	}
	return nil, nil
}

type countingObserver struct{ passes atomic.Int32 }

func (c *countingObserver) PassFinished(context.Context, Report, engine.Report) { c.passes.Add(1) }

func TestConcurrentTriggersMakeOnePassAndOneFollowUp(t *testing.T) {
	rt := &gateRuntime{release: make(chan struct{})}
	obs := &countingObserver{}
	d := New(engine.New(rt, nil, nil, nil, engine.Options{}), Options{}, nil, nil, obs)

	first := make(chan Report, 1)
	go func() { r, _ := d.Trigger(context.Background(), Request{}); first <- r }()
	for rt.lists.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids {
		wg.Go(func() {
			r, err := d.Trigger(context.Background(), Request{Images: []string{"app"}})
			if err != nil {
				t.Error(err)
			}
			ids[i] = r.ID
		})
	}
	// Wait until all ten joined the queued follow-up.
	for d.Skipped() < 9 {
		time.Sleep(time.Millisecond)
	}
	close(rt.release)
	wg.Wait()
	r1 := <-first
	if got := obs.passes.Load(); got != 2 {
		t.Errorf("passes run for 11 overlapping triggers: got %d, want 2", got)
	}
	for _, id := range ids {
		if id != ids[0] || id == r1.ID {
			t.Fatalf("pass ids: first %s, follow-ups %v; want the ten to share one follow-up", r1.ID, ids)
		}
	}
	d.Shutdown()
	if r, _ := d.Trigger(context.Background(), Request{}); r.Skipped != 1 {
		t.Errorf("trigger after shutdown: got %+v, want it skipped", r.Summary)
	}
}

func TestScheduleConflictsAndParses(t *testing.T) {
	if _, err := NewSchedule(time.Minute, "0 0 4 * * *", true); err == nil {
		t.Error("--schedule with --interval accepted")
	}
	for _, bad := range []string{"0 4 * *", "0 0 4 * * * *", "61 0 4 * * *", "@fortnightly"} {
		if _, err := NewSchedule(0, bad, false); err == nil {
			t.Errorf("--schedule %q accepted", bad)
		}
	}
	// Watchtower's cron made the day of week optional and knew descriptors.
	from := time.Date(2026, 1, 1, 5, 0, 0, 0, time.UTC)
	for expr, want := range map[string]time.Time{
		"0 0 4 * *":       time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC),
		"0 30 6 * * MON":  time.Date(2026, 1, 5, 6, 30, 0, 0, time.UTC),
		"@daily":          time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		"@every 1h30m":    from.Add(90 * time.Minute),
		"*/10 * * * * *":  from.Add(10 * time.Second),
		"0 0 0 1 JAN *":   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		"0 0 12 ? * 0,6 ": time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC),
	} {
		s, err := NewSchedule(0, expr, false)
		if err != nil {
			t.Errorf("--schedule %q: %v", expr, err)
			continue
		}
		if got := s.Next(from); !got.Equal(want) {
			t.Errorf("--schedule %q: next run after %s: got %s, want %s", expr, from, got, want)
		}
	}
	s, err := NewSchedule(0, "0 0 4 * * *", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Next(from), time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next run after %s: got %s, want %s", from, got, want)
	}
	i, err := NewSchedule(30*time.Second, "", true)
	if err != nil || !i.Next(from).Equal(from.Add(30*time.Second)) {
		t.Errorf("interval schedule: %v %v", i.Next(from), err)
	}
}

func TestFilterAdmits(t *testing.T) {
	c := func(name, state string, labels map[string]string) engine.Container {
		return engine.Container{Name: name, State: engine.State(state), Labels: labels}
	}
	enabled := map[string]string{"com.centurylinklabs.watchtower.enable": "true"}
	scoped := map[string]string{"cutover.scope": "prod"}
	disabled := map[string]string{"com.centurylinklabs.watchtower.enable": "false"}
	tests := []struct {
		name   string
		filter Filter
		c      engine.Container
		want   bool
	}{
		{"running", Filter{}, c("a", "running", nil), true},
		{"stopped", Filter{}, c("a", "exited", nil), false},
		{"stopped included", Filter{IncludeStopped: true}, c("a", "exited", nil), true},
		{"restarting", Filter{}, c("a", "restarting", nil), false},
		{"restarting included", Filter{IncludeRestarting: true}, c("a", "restarting", nil), true},
		{"temporary name", Filter{}, c("a-cutover-new", "running", nil), false},
		{"named", Filter{Names: []string{"b"}}, c("a", "running", nil), false},
		{"disabled", Filter{Disabled: []string{"a"}}, c("a", "running", nil), false},
		{"label enable without label", Filter{LabelEnable: true}, c("a", "running", nil), false},
		{"label enable with label", Filter{LabelEnable: true}, c("a", "running", enabled), true},
		{"scope match", Filter{Scope: "prod"}, c("a", "running", scoped), true},
		{"scope other", Filter{Scope: "dev"}, c("a", "running", scoped), false},
		{"scope none, unscoped", Filter{Scope: "none"}, c("a", "running", nil), true},
		{"scope none, scoped", Filter{Scope: "none"}, c("a", "running", scoped), false},
		{"scope none, labelled none", Filter{Scope: "none"}, c("a", "running", map[string]string{"cutover.scope": "none"}), true},
		{"no scope watches scoped", Filter{}, c("a", "running", scoped), true},
		{"enable=false left out", Filter{}, c("a", "running", disabled), false},
		{"enable=false left out when named", Filter{Names: []string{"a"}}, c("a", "running", disabled), false},
		{"enable=false shown", Filter{ShowDisabled: true}, c("a", "running", disabled), true},
		{"disabled with a slash", Filter{Disabled: []string{"/a"}}, c("a", "running", nil), false},
		{"named with a slash", Filter{Names: []string{"/a"}}, c("a", "running", nil), true},
		{"named by regex", Filter{Names: []string{"web-[0-9]+"}}, c("web-12", "running", nil), true},
		{"regex anchored past the slash", Filter{Names: []string{"^web-[0-9]+$"}}, c("web-12", "running", nil), false},
		{"regex anchored with the slash", Filter{Names: []string{"^/web-[0-9]+$"}}, c("web-12", "running", nil), true},
		{"regex must cover the name", Filter{Names: []string{"web"}}, c("web-12", "running", nil), false},
		{"regex may cover the slash", Filter{Names: []string{"/web-.*"}}, c("web-12", "running", nil), true},
		{"regex may miss the last character", Filter{Names: []string{"web-1"}}, c("web-12", "running", nil), true},
		{"regex must start at the name", Filter{Names: []string{"eb-12"}}, c("web-12", "running", nil), false},
		{"invalid regex matches only itself", Filter{Names: []string{"web-(1"}}, c("web-12", "running", nil), false},
	}
	for _, tc := range tests {
		if got := tc.filter.Admits(tc.c); got != tc.want {
			t.Errorf("%s: Admits(%s %s %v) = %v, want %v", tc.name, tc.c.Name, tc.c.State, tc.c.Labels, got, tc.want)
		}
	}
}

type toggles map[string]bool

func (t toggles) AutoUpdate(name string) (bool, bool) { v, ok := t[name]; return v, ok }

func TestPolicyOrder(t *testing.T) {
	off := map[string]string{"com.centurylinklabs.watchtower.enable": "false"}
	on := map[string]string{"cutover.enable": "true"}
	p := Policy{Default: false, Toggles: toggles{"toggled-on": true, "toggled-off": false}}
	tests := []struct {
		name, reason string
		labels       map[string]string
		want         bool
	}{
		{"toggled-on", "toggle", off, true},
		{"toggled-off", "toggle", on, false},
		{"labelled", "label", on, true},
		{"plain", "default", nil, false},
	}
	for _, tc := range tests {
		got, reason := p.AutoUpdate(engine.Container{Name: tc.name, Labels: tc.labels})
		if got != tc.want || reason != tc.reason {
			t.Errorf("%s: got %v by %s, want %v by %s", tc.name, got, reason, tc.want, tc.reason)
		}
	}
}
