package fleet

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

// outcomes lists a summary's outcomes as "HOST/NAME result", sorted.
func outcomes(s engine.Summary) []string {
	var out []string
	for _, o := range s.Outcomes {
		out = append(out, o.FullName()+" "+string(o.Result))
	}
	slices.Sort(out)
	return out
}

// images tells, for each container named, which image it runs on each
// engine that has it: "HOST/NAME=IMAGE", sorted.
func images(w *world, names ...string) []string {
	var out []string
	for h, rt := range w.engines {
		for _, n := range names {
			if id := rt.imageOf(n); id != "" {
				out = append(out, engine.FullName(h, n)+"="+id)
			}
		}
	}
	slices.Sort(out)
	return out
}

// A plan of the fleet updates each engine's containers on that engine:
// containers of the same name on two engines are two updates, each on its
// own engine.
func TestPlanAndApplyOverTwoEngines(t *testing.T) {
	w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
	ctx := context.Background()
	report, err := w.fleet.Check(ctx, engine.CheckOptions{})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	plan := w.fleet.Plan(report, engine.PlanOptions{})
	var steps []string
	for _, s := range plan.Steps {
		steps = append(steps, s.Container.FullName())
	}
	slices.Sort(steps)
	if want := []string{"a/cache", "a/web", "b/api", "b/web"}; !slices.Equal(steps, want) || plan.Scanned != 4 {
		t.Fatalf("plan: got steps %q of %d scanned, want %q of 4", steps, plan.Scanned, want)
	}

	var mu sync.Mutex
	var events []string
	sink := engine.SinkFunc(func(ev engine.Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Phase == engine.PhaseDone {
			events = append(events, ev.FullName())
		}
	})
	sum := w.fleet.Apply(ctx, plan, engine.ApplyOptions{}, sink)
	want := []string{"a/cache updated", "a/web updated", "b/api updated", "b/web updated"}
	if diff := cmp.Diff(want, outcomes(sum)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if sum.Updated != 4 || sum.Failed != 0 || sum.Scanned != 4 {
		t.Errorf("summary: got %d updated, %d failed of %d scanned, want 4, 0 of 4", sum.Updated, sum.Failed, sum.Scanned)
	}
	slices.Sort(events)
	if want := []string{"a/cache", "a/web", "b/api", "b/web"}; !slices.Equal(events, want) {
		t.Errorf("done events: got %q, want %q", events, want)
	}
	if diff := cmp.Diff([]string{"a/cache=" + newImage, "a/web=" + newImage, "b/api=" + newImage, "b/web=" + newImage}, images(w, "web", "cache", "api")); diff != "" {
		t.Errorf("images run (-want +got):\n%s", diff)
	}
	// Neither engine was asked about the other's containers.
	for h, other := range map[string]string{"a": "api", "b": "cache"} {
		for _, c := range w.engines[h].callLog() {
			if strings.Contains(c, other) {
				t.Errorf("engine %s: got call %q, want none about %s, which runs elsewhere", h, c, other)
			}
		}
	}
}

// A plan of one engine's containers leaves the other engine alone, even
// where it runs a container of the same name.
func TestApplyOfOneEnginesPlan(t *testing.T) {
	w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
	ctx := context.Background()
	report, err := w.fleet.Check(ctx, engine.CheckOptions{Names: []string{"b/web"}})
	if err != nil {
		t.Fatalf("Check b/web: %v", err)
	}
	sum := w.fleet.Apply(ctx, w.fleet.Plan(report, engine.PlanOptions{Explicit: true}), engine.ApplyOptions{}, nil)
	if diff := cmp.Diff([]string{"b/web updated"}, outcomes(sum)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a/web=" + oldImage, "b/web=" + newImage}, images(w, "web")); diff != "" {
		t.Errorf("images run (-want +got):\n%s", diff)
	}
	untouched(t, "a", w.engines["a"])
}

// An engine that hangs during a pass holds back only its own containers:
// the other's are updated, and the pass's report says which engine did
// not answer in time.
func TestPassWithAHungEngine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The pass's context ends once a's update has ended, while b still
	// hangs.
	w := newWorld(t, twoEngines, []string{"a", "b"}, func(host string, o *engine.Options) {
		if host == "a" {
			var n int
			var mu sync.Mutex
			o.Finished = func(engine.Outcome) {
				mu.Lock()
				defer mu.Unlock()
				if n++; n == 2 {
					cancel()
				}
			}
		}
	})
	held, release := w.engines["b"].holdCalls()
	defer release()

	res := w.fleet.Pass(ctx, engine.PassOptions{Plan: engine.PlanOptions{Periodic: true}}, nil)
	select {
	case <-held:
	default:
		t.Fatal("engine b was never asked, want it to hang")
	}
	if res.Err != nil {
		t.Fatalf("Pass: got %v, want a's containers updated", res.Err)
	}
	want := []string{"a/cache updated", "a/web updated"}
	if diff := cmp.Diff(want, outcomes(res.Summary)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if res.Summary.Updated != 2 || res.Summary.Failed != 0 {
		t.Errorf("summary: got %d updated, %d failed, want 2, 0", res.Summary.Updated, res.Summary.Failed)
	}
	if got := fullNames(res.Checked); !slices.Equal(got, []string{"a/cache", "a/web"}) {
		t.Errorf("checked: got %q, want a's containers", got)
	}
	for _, h := range res.Checked.Hosts {
		if h.Host == "a" && h.Err != nil || h.Host == "b" && !errors.Is(h.Err, context.Canceled) {
			t.Errorf("Checked.Hosts: engine %s: got %v, want a fine and b cut short by the end of the pass", h.Host, h.Err)
		}
	}
	if diff := cmp.Diff([]string{"a/web=" + newImage, "b/web=" + oldImage}, images(w, "web")); diff != "" {
		t.Errorf("images run (-want +got):\n%s", diff)
	}
}

func TestPassWithEnginesDown(t *testing.T) {
	refused := errors.New("connection refused")
	t.Run("one", func(t *testing.T) {
		w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
		w.engines["a"].setDown(refused)
		res := w.fleet.Pass(context.Background(), engine.PassOptions{}, nil)
		if res.Err != nil {
			t.Fatalf("Pass: got %v, want b's containers updated", res.Err)
		}
		want := []string{"b/api updated", "b/web updated"}
		if diff := cmp.Diff(want, outcomes(res.Summary)); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		if errs := hostErrors(res.Checked); errs["a"] != "connection refused" || errs["b"] != "" {
			t.Errorf("Checked.Hosts: got %q, want a refused and b fine", errs)
		}
	})
	t.Run("all", func(t *testing.T) {
		w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
		w.engines["a"].setDown(refused)
		w.engines["b"].setDown(refused)
		res := w.fleet.Pass(context.Background(), engine.PassOptions{}, nil)
		if res.Err == nil || !strings.Contains(res.Err.Error(), "engine a: connection refused") || !strings.Contains(res.Err.Error(), "engine b: connection refused") {
			t.Errorf("Pass: got error %v, want one naming both engines", res.Err)
		}
		if len(res.Summary.Outcomes) != 0 {
			t.Errorf("outcomes: got %q, want none when no engine answered", outcomes(res.Summary))
		}
	})
}
