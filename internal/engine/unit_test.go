package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// services of the test stack, dependencies first: web depends on api,
// which depends on db.
var services = []string{"db", "api", "web"}

// stack is a fake engine running the Compose project "shop": web, api and
// db, each on v1 (sha256:<svc>1) of its own image, with v2 (sha256:<svc>2)
// in the registry. extra labels go on every container.
type stack struct {
	rt    *fakeRuntime
	reg   *fakeRegistry
	j     *memJournal
	holds *memHolds
	e     *Engine
}

func newStack(t *testing.T, extra map[string]string, tune func(*Options)) *stack {
	t.Helper()
	s := &stack{rt: newFakeRuntime(), reg: &fakeRegistry{digests: map[string]string{}}, j: &memJournal{}, holds: &memHolds{}}
	for _, svc := range services {
		ref := "127.0.0.1:5000/" + svc + ":latest"
		s.rt.addImage(ref, "sha256:"+svc+"1", digestV1)
		s.rt.serves[ref] = Image{ID: "sha256:" + svc + "2", RepoDigests: []string{"127.0.0.1:5000/" + svc + "@" + digestV2}}
		s.reg.digests[ref] = digestV2
	}
	deps := map[string]string{"db": "", "api": "db:service_healthy:false", "web": "api:service_started:false"}
	for _, svc := range services {
		labels := map[string]string{ComposeProjectLabel: "shop", ComposeServiceLabel: svc, composeDependsOnLabel: deps[svc]}
		maps.Copy(labels, extra)
		s.rt.addContainer(Container{ID: svc + strings.Repeat("0", 16), Name: "shop-" + svc + "-1", Image: "127.0.0.1:5000/" + svc + ":latest",
			ImageID: "sha256:" + svc + "1", Labels: labels})
	}
	opts := fastOptions()
	opts.Journal, opts.Holds = s.j, s.holds
	if tune != nil {
		tune(&opts)
	}
	s.e = New(s.rt, s.reg, nil, nil, opts)
	return s
}

// images returns each service's image, and fails unless each container
// exists exactly once under its name and nothing else is left.
func (s *stack) images(t *testing.T) map[string]string {
	t.Helper()
	got := map[string]string{}
	var names []string
	for _, c := range s.rt.snapshot() {
		names = append(names, c.Name+"("+string(c.State)+")")
		svc := strings.TrimSuffix(strings.TrimPrefix(c.Name, "shop-"), "-1")
		if !slices.Contains(services, svc) || c.Name != "shop-"+svc+"-1" {
			continue
		}
		if !c.Running() {
			t.Errorf("container %s is %s, want running", c.Name, c.State)
		}
		got[svc] = c.ImageID
	}
	if len(names) != len(services) || len(got) != len(services) {
		slices.Sort(names)
		t.Fatalf("containers: got %v, want exactly shop-db-1, shop-api-1 and shop-web-1", names)
	}
	return got
}

// all returns the same image version for every service: "1" or "2".
func all(version string) map[string]string {
	out := map[string]string{}
	for _, svc := range services {
		out[svc] = "sha256:" + svc + version
	}
	return out
}

// update checks and applies, naming the containers given (none: all).
func (s *stack) update(t *testing.T, names ...string) Summary {
	t.Helper()
	report, err := s.e.Check(context.Background(), CheckOptions{Names: names})
	if err != nil {
		t.Fatal(err)
	}
	return s.e.Apply(context.Background(), s.e.Plan(report, PlanOptions{Explicit: len(names) > 0}), ApplyOptions{}, nil)
}

func results(sum Summary) map[string]Result {
	out := map[string]Result{}
	for _, o := range sum.Outcomes {
		out[o.Container] = o.Result
	}
	return out
}

func TestAtomicStackCreatesEveryNewContainerFirstThenSwapsInDependencyOrder(t *testing.T) {
	s := newStack(t, map[string]string{"cutover.atomic": "true"}, nil)
	sum := s.update(t)
	if diff := cmp.Diff(map[string]Result{"shop-db-1": ResultUpdated, "shop-api-1": ResultUpdated, "shop-web-1": ResultUpdated}, results(sum)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if len(sum.Units) != 1 || sum.Units[0].Project != "shop" || sum.Units[0].Result != ResultUpdated {
		t.Fatalf("units: got %+v, want shop updated", sum.Units)
	}
	if got, want := sum.Units[0].Names(), []string{"shop-db-1", "shop-api-1", "shop-web-1"}; !slices.Equal(got, want) {
		t.Errorf("unit members: got %v, want %v in dependency order", got, want)
	}
	for _, o := range sum.Outcomes {
		if o.Unit == nil || o.Unit.Project != "shop" {
			t.Errorf("outcome of %s: unit %v, want shop", o.Container, o.Unit)
		}
	}
	if diff := cmp.Diff(all("2"), s.images(t)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	var order []string
	for _, c := range s.rt.callLog() {
		if strings.HasPrefix(c, "create ") || strings.HasPrefix(c, "stop ") || (strings.HasPrefix(c, "remove ") && strings.Contains(c, RetiredSuffix)) {
			order = append(order, strings.Fields(c)[0]+" "+strings.Fields(c)[1])
		}
	}
	want := []string{
		"create shop-db-1-cutover-new", "create shop-api-1-cutover-new", "create shop-web-1-cutover-new",
		"stop shop-db-1", "stop shop-api-1", "stop shop-web-1",
		"remove shop-db-1-cutover-replaced", "remove shop-api-1-cutover-replaced", "remove shop-web-1-cutover-replaced",
	}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("engine calls (-want +got):\n%s", diff)
	}
	if recs, _ := s.j.Swaps(context.Background()); len(recs) != 0 {
		t.Errorf("journal entries left: %+v", recs)
	}
}

func TestAtomicStackGoesBackWholeWhenOneMemberFailsItsGate(t *testing.T) {
	s := newStack(t, map[string]string{"cutover.atomic": "true"}, nil)
	s.rt.startState["127.0.0.1:5000/api:latest"] = HealthState{State: StateExited, ExitCode: 3}
	sum := s.update(t)
	want := map[string]Result{"shop-db-1": ResultRolledBack, "shop-api-1": ResultRolledBack, "shop-web-1": ResultSkipped}
	if diff := cmp.Diff(want, results(sum)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(all("1"), s.images(t)); diff != "" {
		t.Errorf("images after the rollback (-want +got):\n%s", diff)
	}
	if len(sum.Units) != 1 || sum.Units[0].Result != ResultRolledBack || !strings.Contains(fmt.Sprint(sum.Units[0].Err), "shop-api-1: new container exited with code 3") {
		t.Fatalf("unit: got %+v, want rolled back because of shop-api-1", sum.Units)
	}
	for _, o := range sum.Outcomes {
		switch o.Container {
		case "shop-db-1":
			if !strings.Contains(o.Err.Error(), "rolled back with atomic project shop: shop-api-1") {
				t.Errorf("shop-db-1: error %q, want it to name the member that failed", o.Err)
			}
		case "shop-web-1":
			if !errors.Is(o.Err, errUnitSkipped) {
				t.Errorf("shop-web-1: error %q, want it left with its project", o.Err)
			}
		}
	}
	for _, svc := range services {
		if img, _ := s.rt.Image(context.Background(), "127.0.0.1:5000/"+svc+":latest"); svc != "web" && img.ID != "sha256:"+svc+"1" {
			t.Errorf("tag of %s after the rollback: points at %s, want v1 again", svc, img.ID)
		}
	}
	if hs, _ := s.holds.Held(context.Background()); len(hs) != 1 || hs[0].Container != "shop-api-1" {
		t.Errorf("holds: got %+v, want the failing member's version held", hs)
	}
	// The held member keeps the whole project back at the next pass.
	again := s.update(t)
	for _, o := range again.Outcomes {
		if o.Result != ResultSkipped || !strings.Contains(o.Err.Error(), "held since") {
			t.Errorf("next pass, %s: got %s %v, want skipped while shop-api-1 is held", o.Container, o.Result, o.Err)
		}
	}
	if diff := cmp.Diff(all("1"), s.images(t)); diff != "" {
		t.Errorf("images after the next pass (-want +got):\n%s", diff)
	}
}

func TestAtomicStackRebuildsAMemberTheEngineDeletedWhenItGoesBack(t *testing.T) {
	s := newStack(t, map[string]string{"cutover.atomic": "true"}, nil)
	// db runs with --rm: once stopped, its old container is gone.
	s.rt.containers["db"+strings.Repeat("0", 16)].AutoRemove = true
	s.rt.startState["127.0.0.1:5000/web:latest"] = HealthState{State: StateRunning, Health: "unhealthy"}
	s.rt.containers["web"+strings.Repeat("0", 16)].HasHealthcheck = true
	sum := s.update(t)
	if got := results(sum)["shop-db-1"]; got != ResultRolledBack {
		t.Fatalf("shop-db-1: got %s, want rolled back", got)
	}
	if diff := cmp.Diff(all("1"), s.images(t)); diff != "" {
		t.Errorf("images after the rollback (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(s.rt.callLog(), func(c string) bool { return strings.HasPrefix(c, "rebuild shop-db-1") }) {
		t.Errorf("engine calls: want shop-db-1 rebuilt from its definition, got %v", s.rt.callLog())
	}
}

func TestAtomicStackUpdateOfOneMemberTakesTheOthersAlong(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels map[string]string
		tune   func(*Options)
		want   map[string]string
	}{
		{"labelled", map[string]string{"cutover.atomic": "true"}, nil, all("2")},
		{"every project atomic", nil, func(o *Options) { o.AtomicProjects = true }, all("2")},
		{"not atomic", nil, nil, map[string]string{"db": "sha256:db1", "api": "sha256:api1", "web": "sha256:web2"}},
		{"opted out", map[string]string{"cutover.atomic": "false"}, func(o *Options) { o.AtomicProjects = true }, map[string]string{"db": "sha256:db1", "api": "sha256:api1", "web": "sha256:web2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, tc.labels, tc.tune)
			s.update(t, "shop-web-1")
			if diff := cmp.Diff(tc.want, s.images(t)); diff != "" {
				t.Errorf("images after updating shop-web-1 (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAtomicStackPlanLeavesOptedOutMembersAndWaitsForBlockedOnes(t *testing.T) {
	s := newStack(t, map[string]string{"cutover.atomic": "true"}, nil)
	s.rt.containers["db"+strings.Repeat("0", 16)].Labels["cutover.enable"] = "false"
	report, err := s.e.Check(context.Background(), CheckOptions{Names: []string{"shop-web-1"}})
	if err != nil {
		t.Fatal(err)
	}
	p := s.e.Plan(report, PlanOptions{Explicit: true})
	var steps []string
	for _, st := range p.Steps {
		steps = append(steps, st.Container.Name+"@"+st.Unit)
	}
	slices.Sort(steps)
	if diff := cmp.Diff([]string{"shop-api-1@shop", "shop-web-1@shop"}, steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Container.Name != "shop-db-1" || !strings.Contains(p.Skipped[0].Reason, "enable label") {
		t.Errorf("skipped: got %+v, want shop-db-1 kept out by its label", p.Skipped)
	}

	// A paused member holds the unit back.
	s.rt.containers["db"+strings.Repeat("0", 16)].Labels["cutover.enable"] = "true"
	s.rt.containers["db"+strings.Repeat("0", 16)].State = StatePaused
	report, err = s.e.Check(context.Background(), CheckOptions{Names: []string{"shop-web-1"}, IncludeStopped: true})
	if err != nil {
		t.Fatal(err)
	}
	p = s.e.Plan(report, PlanOptions{Explicit: true})
	if len(p.Steps) != 0 || len(p.Skipped) != 3 {
		t.Fatalf("plan with shop-db-1 paused: got steps %v, skipped %v; want none and all three", p.Steps, p.Skipped)
	}
	for _, sk := range p.Skipped {
		if sk.Container.Name != "shop-db-1" && !strings.Contains(sk.Reason, "atomic project shop waits for shop-db-1: paused") {
			t.Errorf("%s skipped for %q, want it waiting for shop-db-1", sk.Container.Name, sk.Reason)
		}
	}
}

func TestAtomicStackGoesAlongWithAPeriodicPassOfOneMember(t *testing.T) {
	s := newStack(t, map[string]string{"cutover.atomic": "true"}, func(o *Options) {
		o.AutoUpdate = func(c Container) bool { return c.Name == "shop-api-1" }
	})
	report, err := s.e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.e.Apply(context.Background(), s.e.Plan(report, PlanOptions{Periodic: true}), ApplyOptions{}, nil)
	if diff := cmp.Diff(all("2"), s.images(t)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
}

func TestAtomicStackFailingAnyEngineCallEndsAllOldOrAllNew(t *testing.T) {
	for _, op := range []string{"create", "define", "stop", "rename", "start", "health"} {
		for _, svc := range services {
			t.Run(op+" "+svc, func(t *testing.T) {
				s := newStack(t, map[string]string{"cutover.atomic": "true"}, nil)
				id := svc + strings.Repeat("0", 16)
				if op == "start" || op == "health" || op == "create" {
					id = "shop-" + svc + "-1"
				}
				times := -1
				if op == "start" {
					// Only the new container's start: the old one must be
					// able to start again.
					times = 1
				}
				s.rt.failOn(op, id, errEngineBusy, times)
				sum := s.update(t)
				got := s.images(t)
				if !cmp.Equal(got, all("1")) && !cmp.Equal(got, all("2")) {
					t.Fatalf("images: got %v, want all v1 or all v2", got)
				}
				if len(sum.Units) != 1 {
					t.Fatalf("units: got %+v, want one", sum.Units)
				}
				if cmp.Equal(got, all("1")) == (sum.Units[0].Result == ResultUpdated) {
					t.Errorf("unit result %s, but images %v", sum.Units[0].Result, got)
				}
			})
		}
	}
}

// crashAt panics at the n-th time step is done.
func crashAt(step SwapStep, n int) func(SwapStep) {
	seen := 0
	return func(s SwapStep) {
		if s == step {
			seen++
			if seen == n {
				panic(crash{})
			}
		}
	}
}

// TestAtomicStackRecoversAllOldOrAllNewAfterACrashAnywhere cuts a unit's
// update short after every step of every member, with and without the
// journal, and recovers: every service ends on v1, or, once the unit's
// commit had begun, every one on v2.
func TestAtomicStackRecoversAllOldOrAllNewAfterACrashAnywhere(t *testing.T) {
	for _, step := range SwapSteps {
		for n := 1; n <= len(services); n++ {
			for _, withJournal := range []bool{true, false} {
				name := fmt.Sprintf("%s #%d", step, n)
				if !withJournal {
					name += " journal lost"
				}
				t.Run(name, func(t *testing.T) {
					s := newStack(t, map[string]string{"cutover.atomic": "true"}, func(o *Options) { o.AfterStep = crashAt(step, n) })
					crashed := false
					func() {
						defer func() {
							v := recover()
							if v != nil && v != (crash{}) {
								panic(v)
							}
							crashed = v != nil
						}()
						// A deploy swaps its unit in the caller's goroutine,
						// where the injected crash can be caught.
						s.e.Deploy(context.Background(), DeployRequest{Container: "shop-web-1", Image: "127.0.0.1:5000/web:latest"}, nil)
					}()
					if !crashed {
						t.Fatalf("the update ran to its end: no crash after %s #%d", step, n)
					}
					j, now := s.j, time.Now()
					if !withJournal {
						// Without the journal, a swap is abandoned only once
						// it could no longer be running elsewhere.
						j, now = &memJournal{}, now.Add(time.Hour)
					}
					after := New(s.rt, s.reg, nil, nil, Options{Journal: j, Now: func() time.Time { return now }})
					for range 2 { // recovery is idempotent
						if _, err := after.Recover(context.Background()); err != nil {
							t.Fatalf("recover: %v", err)
						}
					}
					got := s.images(t)
					want := all("1")
					switch {
					case step == StepOldRemoved:
						want = all("2")
					case step == StepHealthPassed && (withJournal || n > 1):
						// Without the journal, the engine's state says the
						// commit began once the first member's old container
						// was renamed as retired, right after it passed.
						want = all("2")
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("images after recovery (-want +got):\n%s", diff)
					}
					if recs, _ := j.Swaps(context.Background()); len(recs) != 0 {
						t.Errorf("journal entries left: %+v", recs)
					}
				})
			}
		}
	}
}

func TestDeployOfAnAtomicMemberTakesItsProjectAlong(t *testing.T) {
	s := newStack(t, map[string]string{"cutover.atomic": "true"}, nil)
	s.rt.addImage("127.0.0.1:5000/web:2.0", "sha256:web2", digestV2)
	s.rt.serves["127.0.0.1:5000/web:2.0"] = Image{ID: "sha256:web2", RepoDigests: []string{"127.0.0.1:5000/web@" + digestV2}}
	var moved []string
	s.e.opts.Moved = func(_ context.Context, c Container, image string) error {
		moved = append(moved, c.Name+"="+image)
		return nil
	}
	o, err := s.e.Deploy(context.Background(), DeployRequest{Container: "shop-web-1", Image: "127.0.0.1:5000/web:2.0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Result != ResultUpdated || o.Unit == nil || o.Unit.Result != ResultUpdated || len(o.Unit.Members) != 3 {
		t.Fatalf("deploy: got %s %v, unit %+v; want updated with its project of three", o.Result, o.Err, o.Unit)
	}
	if diff := cmp.Diff(all("2"), s.images(t)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shop-web-1=127.0.0.1:5000/web:2.0"}, moved); diff != "" {
		t.Errorf("containers moved to another reference (-want +got):\n%s", diff)
	}
}

func TestDependantRestartsAfterItsDependencyOnlyWhenComposeSaysSo(t *testing.T) {
	for _, restart := range []bool{true, false} {
		t.Run(fmt.Sprint("restart ", restart), func(t *testing.T) {
			s := newStack(t, nil, nil)
			// Only db is outdated.
			for _, svc := range []string{"api", "web"} {
				s.reg.digests["127.0.0.1:5000/"+svc+":latest"] = digestV1
			}
			s.rt.containers["api"+strings.Repeat("0", 16)].Labels[composeDependsOnLabel] = fmt.Sprintf("db:service_healthy:%t", restart)
			s.update(t)
			restarted := slices.Contains(s.rt.callLog(), "restart shop-api-1")
			if restarted != restart {
				t.Errorf("shop-api-1 restarted after shop-db-1's update: %v, want %v; calls %v", restarted, restart, s.rt.callLog())
			}
			if slices.Contains(s.rt.callLog(), "restart shop-web-1") {
				t.Errorf("shop-web-1, which does not depend on shop-db-1 directly, was restarted")
			}
		})
	}
}

// TestUnitCutShortIsSettledWholeBeforeAMemberIsSwappedAgain crashes an
// atomic unit midway, then updates one member alone (the projects are no
// longer atomic): the earlier unit is settled back first, all of it, and
// only then the member swapped.
func TestUnitCutShortIsSettledWholeBeforeAMemberIsSwappedAgain(t *testing.T) {
	s := newStack(t, nil, func(o *Options) {
		o.AtomicProjects = true
		o.AfterStep = crashAt(StepNewStarted, 2)
	})
	func() {
		defer func() {
			if v := recover(); v != nil && v != (crash{}) {
				panic(v)
			}
		}()
		s.e.Deploy(context.Background(), DeployRequest{Container: "shop-web-1", Image: "127.0.0.1:5000/web:latest"}, nil)
	}()
	later := New(s.rt, s.reg, nil, nil, Options{Journal: s.j, HealthGrace: 20 * time.Millisecond, ProbeInterval: 5 * time.Millisecond})
	o, err := later.Deploy(context.Background(), DeployRequest{Container: "shop-db-1", Image: "127.0.0.1:5000/db:latest"}, nil)
	if err != nil || o.Result != ResultUpdated {
		t.Fatalf("deploy of shop-db-1: got %s %v (%v), want updated", o.Result, o.Err, err)
	}
	want := map[string]string{"db": "sha256:db2", "api": "sha256:api1", "web": "sha256:web1"}
	if diff := cmp.Diff(want, s.images(t)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	if recs, _ := s.j.Swaps(context.Background()); len(recs) != 0 {
		t.Errorf("journal entries left: %+v", recs)
	}
}

// TestAtomicStackRollbackCutShortIsFinishedByRecovery fails the rollback
// itself: db's old container cannot be renamed back once. The unit is
// reported failed, and the next recovery finishes it: all old.
func TestAtomicStackRollbackCutShortIsFinishedByRecovery(t *testing.T) {
	var s *stack
	s = newStack(t, map[string]string{"cutover.atomic": "true"}, func(o *Options) {
		o.AfterStep = func(step SwapStep) {
			// api, second in the order, started: db's restore comes next.
			if api, err := s.rt.Container(context.Background(), "shop-api-1"); step == StepNewStarted && err == nil && api.ImageID == "sha256:api2" {
				s.rt.failOn("rename", "db"+strings.Repeat("0", 16), errEngineBusy, 1)
			}
		}
	})
	s.rt.startState["127.0.0.1:5000/api:latest"] = HealthState{State: StateExited, ExitCode: 3}
	sum := s.update(t)
	if len(sum.Units) != 1 || sum.Units[0].Result != ResultFailed {
		t.Fatalf("unit: got %+v, want failed: its rollback was cut short", sum.Units)
	}
	if _, err := New(s.rt, s.reg, nil, nil, Options{Journal: s.j}).Recover(context.Background()); err != nil {
		t.Fatalf("recover: %v", err)
	}
	if diff := cmp.Diff(all("1"), s.images(t)); diff != "" {
		t.Errorf("images after recovery (-want +got):\n%s", diff)
	}
}

// TestAtomicStackKeepsANewContainerWhoseOldOneCannotStart fails the start
// of db's old container when the unit goes back: db keeps its new
// container, the last copy that can serve, and the unit says it failed
// rather than rolled back.
func TestAtomicStackKeepsANewContainerWhoseOldOneCannotStart(t *testing.T) {
	s := newStack(t, map[string]string{"cutover.atomic": "true"}, nil)
	s.rt.startState["127.0.0.1:5000/api:latest"] = HealthState{State: StateExited, ExitCode: 3}
	s.rt.failOn("start", "db"+strings.Repeat("0", 16), errEngineBusy, -1)
	sum := s.update(t)
	want := map[string]string{"db": "sha256:db2", "api": "sha256:api1", "web": "sha256:web1"}
	if diff := cmp.Diff(want, s.images(t)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	if len(sum.Units) != 1 || sum.Units[0].Result != ResultFailed || results(sum)["shop-db-1"] != ResultFailed {
		t.Errorf("unit %+v, outcomes %v: want the unit and shop-db-1 failed", sum.Units, results(sum))
	}
}
