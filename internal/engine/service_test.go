package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const appRef = "127.0.0.1:5000/app:latest"

// swarmWorld is world on a Swarm manager, with service web (two replicas)
// pinned to v1 of app:latest, whose registry has v2, and credentials for
// the registry.
func swarmWorld(t *testing.T) (*fakeRuntime, *fakeSwarm, *fakeRegistry, *Engine) {
	t.Helper()
	rt, reg, _ := world(t)
	reg.auth = Auth{ServerAddress: "127.0.0.1:5000", Username: "deploy", Password: "secret"}
	sw := rt.withSwarm()
	sw.addService("svcweb0000000000000000001", "web", appRef+"@"+digestV1, replicated(2), nil)
	opts := fastOptions()
	opts.ServicePoll = time.Millisecond
	holds := &memHolds{}
	opts.Holds = holds
	return rt, sw, reg, New(rt, reg, nil, nil, opts)
}

func replicated(n uint64) ServiceInfo {
	return ServiceInfo{Mode: "replicated", Desired: n, Running: n, Update: Rollout{Parallelism: 1, Monitor: time.Second, FailureAction: "rollback"}}
}

// rowOf finds name in a report, with its group.
func rowOf(t *testing.T, r Report, name string) (Group, ContainerStatus) {
	t.Helper()
	for _, g := range r.Groups {
		for _, cs := range g.Containers {
			if cs.Container.Name == name {
				return g, cs
			}
		}
	}
	t.Fatalf("%s is not in the report", name)
	return Group{}, ContainerStatus{}
}

func TestCheckListsServicesWithContainersAndOneRequestPerImage(t *testing.T) {
	rt, sw, reg, e := swarmWorld(t)
	rt.addContainer(Container{ID: "aaaaaaaaaaaaaaaa", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	sw.addService("svcapi0000000000000000001", "api", appRef+"@"+digestV2, ServiceInfo{Mode: "global", Desired: 3, Running: 3}, nil)

	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Groups) != 1 {
		t.Fatalf("groups: got %d, want the one of %s shared by container and services", len(report.Groups), appRef)
	}
	type row struct {
		Name   string
		Kind   Kind
		Local  string
		Status Status
	}
	var got []row
	for _, cs := range report.Groups[0].Containers {
		got = append(got, row{cs.Container.Name, KindOf(cs.Container), cs.LocalDigest, cs.Status})
	}
	want := []row{
		{"api", KindService, digestV2, StatusUpToDate},
		{"app", KindContainer, digestV1, StatusOutdated},
		{"web", KindService, digestV1, StatusOutdated},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{appRef: 1}, reg.requests); diff != "" {
		t.Errorf("registry requests (-want +got):\n%s", diff)
	}
	if calls := rt.callLog(); len(calls) != 0 {
		t.Errorf("check changed something: %v", calls)
	}
}

func TestEngineThatIsNoManagerHasNoServices(t *testing.T) {
	_, sw, _, e := swarmWorld(t)
	sw.manager = false
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Groups) != 0 {
		t.Errorf("groups of an engine that is not a manager: got %+v, want none", report.Groups)
	}
	if _, err := e.Check(context.Background(), CheckOptions{Names: []string{"web"}}); !IsNotFound(err) {
		t.Errorf("check of web on an engine that is no manager: got %v, want not found", err)
	}
}

func TestServiceListFailureCostsOnlyTheServices(t *testing.T) {
	rt, _, _, e := swarmWorld(t)
	rt.addContainer(Container{ID: "aaaaaaaaaaaaaaaa", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	rt.failOn("services", "", errors.New("rpc error: code = Unknown desc = The swarm does not have a leader"), -1)
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatalf("check with a manager that cannot list services: %v", err)
	}
	if _, cs := rowOf(t, report, "app"); cs.Status != StatusOutdated {
		t.Errorf("container app: got %s, want outdated", cs.Status)
	}
}

func TestServiceUpdateAsksSwarmWithTheDigestAndCredentials(t *testing.T) {
	rt, _, _, e := swarmWorld(t)
	o := updateOne(t, e, ApplyOptions{Cleanup: true}, "web")
	if o.Result != ResultUpdated || o.Err != nil {
		t.Fatalf("outcome: got %s %v, want updated", o.Result, o.Err)
	}
	if o.OldDigest != digestV1 || o.NewDigest != digestV2 {
		t.Errorf("outcome digests: got %s -> %s, want %s -> %s", o.OldDigest, o.NewDigest, digestV1, digestV2)
	}
	// No pull, no container, no image removed: Swarm's nodes do it all.
	want := []string{`service-update web to ` + appRef + `@` + digestV2 + ` as "deploy"`}
	if diff := cmp.Diff(want, rt.callLog()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	svc, _ := rt.Service(context.Background(), "web")
	if svc.Image != appRef || svc.Digest != digestV2 {
		t.Errorf("service web after the update: got %s@%s, want %s@%s", svc.Image, svc.Digest, appRef, digestV2)
	}
	report, err := e.Check(context.Background(), CheckOptions{Names: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, cs := rowOf(t, report, "web"); cs.Status != StatusUpToDate {
		t.Errorf("service web checked after its update: got %s, want uptodate", cs.Status)
	}
}

func TestServiceUpdateEndsAsSwarmEndsIt(t *testing.T) {
	target := appRef + "@" + digestV2
	tests := []struct {
		name       string
		rollout    []SwarmUpdate
		taskError  string
		want       Result
		wantErr    string
		wantDigest string // the service's digest afterwards
		wantHeld   bool
		// wantNext is why the next pass leaves web alone.
		wantNext string
	}{
		{
			name:       "rolled back",
			rollout:    []SwarmUpdate{{SwarmUpdating, "update in progress"}, {SwarmRollbackStarted, "update rolled back due to failure or early termination of task x1"}, {SwarmRollbackCompleted, "rollback completed"}},
			taskError:  "a new task failed: task: non-zero exit (1)",
			want:       ResultRolledBack,
			wantErr:    "Swarm rolled the update back: update rolled back due to failure or early termination of task x1; a new task failed: task: non-zero exit (1)",
			wantDigest: digestV1,
			wantHeld:   true,
			wantNext:   "held since",
		},
		{
			name:       "rollback seen only once completed",
			rollout:    []SwarmUpdate{{SwarmRollbackCompleted, "rollback completed"}},
			want:       ResultRolledBack,
			wantErr:    "Swarm rolled the update back: rollback completed",
			wantDigest: digestV1,
			wantHeld:   true,
			wantNext:   "held since",
		},
		{
			name:       "paused",
			rollout:    []SwarmUpdate{{SwarmUpdating, "update in progress"}, {SwarmPaused, "update paused due to failure or early termination of task x2"}},
			want:       ResultFailed,
			wantErr:    "Swarm paused the update: update paused due to failure or early termination of task x2",
			wantDigest: digestV2,
			wantHeld:   true,
			wantNext:   "Swarm paused its last update (update paused due to failure or early termination of task x2); resume it or roll it back with docker service update",
		},
		{
			name:       "rollback paused",
			rollout:    []SwarmUpdate{{SwarmRollbackStarted, "update rolled back due to failure or early termination of task x3"}, {SwarmRollbackPaused, "rollback paused due to failure or early termination of task x4"}},
			want:       ResultFailed,
			wantErr:    "Swarm paused the rollback: update rolled back due to failure or early termination of task x3",
			wantDigest: digestV1,
			wantHeld:   true,
			wantNext:   "Swarm paused its last update (rollback paused",
		},
		{
			name: "completed after a wait for Swarm to start",
			// Zero states: Swarm has not picked the update up yet.
			rollout:    []SwarmUpdate{{}, {}, {SwarmUpdating, "update in progress"}, {SwarmCompleted, "update completed"}},
			want:       ResultUpdated,
			wantDigest: digestV2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, sw, _, e := swarmWorld(t)
			sw.rollouts[target] = tc.rollout
			sw.taskErrors[target] = tc.taskError
			o := updateOne(t, e, ApplyOptions{}, "web")
			gotErr := ""
			if o.Err != nil {
				gotErr = o.Err.Error()
			}
			if o.Result != tc.want || gotErr != tc.wantErr {
				t.Errorf("outcome: got %s %q, want %s %q", o.Result, gotErr, tc.want, tc.wantErr)
			}
			svc, _ := rt.Service(context.Background(), "web")
			if svc.Digest != tc.wantDigest {
				t.Errorf("service web afterwards: got digest %s, want %s", ShortDigest(svc.Digest), ShortDigest(tc.wantDigest))
			}
			held, _ := e.opts.Holds.Held(context.Background())
			if got := len(held) == 1; got != tc.wantHeld {
				t.Errorf("holds: got %+v, want held %v", held, tc.wantHeld)
			}
			if tc.wantHeld {
				// Held after a rollback; left to a person while paused.
				report, err := e.Check(context.Background(), CheckOptions{})
				if err != nil {
					t.Fatal(err)
				}
				p := e.Plan(report, PlanOptions{Periodic: true})
				if len(p.Steps) != 0 || len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0].Reason, tc.wantNext) {
					t.Errorf("next periodic plan: got steps %v skipped %+v, want web skipped: %s", p.Steps, p.Skipped, tc.wantNext)
				}
			}
		})
	}
}

func TestServiceUpdateThatNeverEndsFailsAtItsTimeLimit(t *testing.T) {
	rt, sw, _, _ := swarmWorld(t)
	target := appRef + "@" + digestV2
	sw.rollouts[target] = make([]SwarmUpdate, 0)
	for range 1000 {
		sw.rollouts[target] = append(sw.rollouts[target], SwarmUpdate{State: SwarmUpdating, Message: "update in progress"})
	}
	// A clock that runs a minute per reading: the limit comes in a few polls.
	var mu sync.Mutex
	now := time.Unix(0, 0)
	opts := fastOptions()
	opts.ServicePoll = time.Millisecond
	opts.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now
	}
	e := New(rt, &fakeRegistry{digests: map[string]string{appRef: digestV2}}, nil, nil, opts)
	o := updateOne(t, e, ApplyOptions{}, "web")
	if o.Result != ResultFailed || o.Err == nil || !strings.Contains(o.Err.Error(), "Swarm's update did not end within") || !strings.Contains(o.Err.Error(), "state: updating") {
		t.Fatalf("outcome: got %s %v, want failed at the time limit", o.Result, o.Err)
	}
	// Two rounds of one task (1 s monitor, 1 s health timeout), the
	// rollback's one round of both tasks (Swarm's 5 s monitor, 1 s), and
	// two minutes for the nodes to pull.
	if want := "within 2m10s"; !strings.Contains(o.Err.Error(), want) {
		t.Errorf("time limit: got %v, want %s", o.Err, want)
	}
}

func TestFollowLimitComesFromTheUpdateConfigAndTasks(t *testing.T) {
	e := New(newFakeRuntime(), &fakeRegistry{}, nil, nil, Options{HealthTimeout: 10 * time.Second})
	tests := []struct {
		name string
		info ServiceInfo
		want time.Duration
	}{
		{"one task, Swarm's defaults", ServiceInfo{Desired: 1}, 5*time.Second + 10*time.Second + nodePullAllowance},
		{"four tasks two at a time with a delay", ServiceInfo{Desired: 4, Update: Rollout{Parallelism: 2, Delay: 3 * time.Second, Monitor: 2 * time.Second}}, 2*(3+2+10)*time.Second + nodePullAllowance},
		{"all at once", ServiceInfo{Desired: 4, Update: Rollout{Parallelism: 0, Monitor: time.Second}}, 11*time.Second + nodePullAllowance},
		{"rollback on failure", ServiceInfo{Desired: 2, Update: Rollout{Parallelism: 1, Monitor: time.Second, FailureAction: "rollback"}, Rollback: Rollout{Parallelism: 2, Monitor: time.Second}}, 2*11*time.Second + 11*time.Second + nodePullAllowance},
		{"no tasks known", ServiceInfo{}, 15*time.Second + nodePullAllowance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.followLimit(Container{Service: &tc.info}); got != tc.want {
				t.Errorf("time limit: got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestServiceLabelsMeanWhatTheyMeanForContainers(t *testing.T) {
	rt, sw, _, e := swarmWorld(t)
	sw.addService("svcoff000000000000000001", "off", appRef+"@"+digestV1, replicated(1), map[string]string{"com.centurylinklabs.watchtower.enable": "false"})
	sw.addService("svcwatch00000000000000001", "watch", appRef+"@"+digestV1, replicated(1), map[string]string{"cutover.monitor-only": "true"})
	sw.addService("svcnopull0000000000000001", "nopull", appRef+"@"+digestV1, replicated(1), map[string]string{"cutover.no-pull": "true"})
	sw.addService("svczero00000000000000001", "zero", appRef+"@"+digestV1, ServiceInfo{Mode: "replicated"}, nil)
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := e.Plan(report, PlanOptions{})
	var steps, skips []string
	for _, s := range p.Steps {
		steps = append(steps, s.Container.Name)
	}
	for _, s := range p.Skipped {
		skips = append(skips, s.Container.Name+": "+s.Reason)
	}
	if diff := cmp.Diff([]string{"web"}, steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	wantSkips := []string{
		"nopull: no-pull: a service update has Swarm's nodes pull the image",
		"off: disabled by its enable label",
		"watch: monitor-only label",
	}
	if diff := cmp.Diff(wantSkips, skips); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if s := p.Steps[0]; s.NeedsPull {
		t.Errorf("step of service web needs a pull; Swarm's nodes pull")
	}
	// A service scaled to zero is a stopped one: checked when stopped
	// ones are.
	all, err := e.Check(context.Background(), CheckOptions{IncludeStopped: true})
	if err != nil {
		t.Fatal(err)
	}
	rowOf(t, all, "zero")
	if calls := rt.callLog(); len(calls) != 0 {
		t.Errorf("check and plan changed something: %v", calls)
	}
}

func TestServiceIsNamedLikeAContainer(t *testing.T) {
	_, _, _, e := swarmWorld(t)
	for _, name := range []string{"web", "svcweb000000", "svcweb0000000000000000001"} {
		report, err := e.Check(context.Background(), CheckOptions{Names: []string{name}})
		if err != nil {
			t.Fatalf("check %s: %v", name, err)
		}
		if _, cs := rowOf(t, report, "web"); !cs.Container.IsService() {
			t.Errorf("check %s: got a %s, want the service", name, KindOf(cs.Container))
		}
	}
}

func TestTaskContainerIsListedButNeverSwapped(t *testing.T) {
	rt, _, _, e := swarmWorld(t)
	rt.addContainer(Container{
		ID: "ta5k000000000000", Name: "web.1.x7k2", Image: appRef + "@" + digestV1, ImageID: "sha256:img1",
		Labels: map[string]string{"com.docker.swarm.service.name": "web", "com.docker.swarm.service.id": "svcweb0000000000000000001", "com.docker.swarm.task.id": "x7k2"},
	})
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, task := rowOf(t, report, "web.1.x7k2")
	wantReason := "a task of Swarm service web: cutover updates the service, and Swarm its tasks"
	if task.Status != StatusUnknown || task.Reason != wantReason {
		t.Errorf("task container: got %s %q, want unknown %q", task.Status, task.Reason, wantReason)
	}
	sum := e.Apply(context.Background(), e.Plan(report, PlanOptions{Explicit: true, Force: true}), ApplyOptions{Force: true}, nil)
	if sum.Updated != 1 {
		t.Errorf("summary: got %+v, want the service updated", sum)
	}
	for _, call := range rt.callLog() {
		if strings.Contains(call, "web.1.x7k2") {
			t.Errorf("the task container was touched: %s", call)
		}
	}
	// Named on its own, by deploy, it is refused.
	_, err = e.Deploy(context.Background(), DeployRequest{Container: "web.1.x7k2", Image: appRef}, nil)
	if !errors.Is(err, ErrUnswappable) {
		t.Errorf("deploy of a task container: got %v, want it refused", err)
	}
}

func TestServiceUpdateDecidesFromTheServiceAsItIsNow(t *testing.T) {
	t.Run("already updating", func(t *testing.T) {
		rt, sw, _, e := swarmWorld(t)
		report, _ := e.Check(context.Background(), CheckOptions{})
		sw.services["svcweb0000000000000000001"].c.Service.Status = &SwarmUpdate{State: SwarmUpdating, Message: "update in progress"}
		o := e.Apply(context.Background(), e.Plan(report, PlanOptions{}), ApplyOptions{}, nil).Outcomes[0]
		if o.Result != ResultSkipped || o.Err == nil || o.Err.Error() != "Swarm is already updating it (updating)" {
			t.Errorf("outcome: got %s %v, want skipped as Swarm is updating it", o.Result, o.Err)
		}
		if calls := rt.callLog(); len(calls) != 0 {
			t.Errorf("calls: %v, want none", calls)
		}
	})
	t.Run("image changed", func(t *testing.T) {
		rt, sw, _, e := swarmWorld(t)
		report, _ := e.Check(context.Background(), CheckOptions{})
		sw.services["svcweb0000000000000000001"].c.Image = "127.0.0.1:5000/other:2"
		o := e.Apply(context.Background(), e.Plan(report, PlanOptions{}), ApplyOptions{}, nil).Outcomes[0]
		if o.Result != ResultSkipped || o.Err == nil || !strings.Contains(o.Err.Error(), "changed to 127.0.0.1:5000/other:2") {
			t.Errorf("outcome: got %s %v, want skipped as its image changed", o.Result, o.Err)
		}
		if calls := rt.callLog(); len(calls) != 0 {
			t.Errorf("calls: %v, want none", calls)
		}
	})
	t.Run("removed", func(t *testing.T) {
		_, sw, _, e := swarmWorld(t)
		report, _ := e.Check(context.Background(), CheckOptions{})
		sw.removeService("svcweb0000000000000000001")
		o := e.Apply(context.Background(), e.Plan(report, PlanOptions{}), ApplyOptions{}, nil).Outcomes[0]
		if o.Result != ResultFailed || !IsNotFound(o.Err) {
			t.Errorf("outcome: got %s %v, want failed, not found", o.Result, o.Err)
		}
	})
	t.Run("update refused", func(t *testing.T) {
		rt, _, _, e := swarmWorld(t)
		rt.failOn("service-update", "", errors.New("rpc error: code = Unknown desc = update out of sequence"), 1)
		o := updateOne(t, e, ApplyOptions{}, "web")
		if o.Result != ResultFailed || o.Err == nil || o.Err.Error() != "service update: rpc error: code = Unknown desc = update out of sequence" {
			t.Errorf("outcome: got %s %v, want the update's error", o.Result, o.Err)
		}
	})
	t.Run("removed while followed", func(t *testing.T) {
		_, sw, _, e := swarmWorld(t)
		target := appRef + "@" + digestV2
		sw.rollouts[target] = []SwarmUpdate{{State: SwarmUpdating}, {State: SwarmUpdating}, {State: SwarmUpdating}}
		var once sync.Once
		sink := SinkFunc(func(ev Event) {
			if ev.Phase == PhaseHealthCheck {
				once.Do(func() { sw.removeService("svcweb0000000000000000001") })
			}
		})
		report, _ := e.Check(context.Background(), CheckOptions{})
		o := e.Apply(context.Background(), e.Plan(report, PlanOptions{}), ApplyOptions{}, sink).Outcomes[0]
		if o.Result != ResultFailed || o.Err == nil || o.Err.Error() != "the service was removed during its update" {
			t.Errorf("outcome: got %s %v, want failed as removed", o.Result, o.Err)
		}
	})
}

func TestConcurrentUpdatesOfOneServiceAskSwarmOnce(t *testing.T) {
	rt, _, _, e := swarmWorld(t)
	var wg sync.WaitGroup
	results := make([]Outcome, 4)
	for i := range results {
		wg.Go(func() {
			report, err := e.Check(context.Background(), CheckOptions{Names: []string{"web"}})
			if err != nil {
				t.Error(err)
				return
			}
			sum := e.Apply(context.Background(), e.Plan(report, PlanOptions{Explicit: true}), ApplyOptions{}, nil)
			results[i] = Outcome{Result: ResultFresh}
			if len(sum.Outcomes) > 0 {
				// Checked before another's update ended.
				results[i] = sum.Outcomes[0]
			}
		})
	}
	wg.Wait()
	updates := 0
	for _, c := range rt.callLog() {
		if strings.HasPrefix(c, "service-update web") {
			updates++
		}
	}
	if updates != 1 {
		t.Errorf("service updates asked: got %d, want 1 (calls %v)", updates, rt.callLog())
	}
	for _, o := range results {
		if o.Result != ResultUpdated && o.Result != ResultFresh {
			t.Errorf("outcome: got %s %v, want updated or fresh", o.Result, o.Err)
		}
	}
}

func TestGlobalServiceWithoutTasksIsUpdatedAtOnce(t *testing.T) {
	rt, sw, _, e := swarmWorld(t)
	sw.removeService("svcweb0000000000000000001")
	sw.addService("svcglobal0000000000000001", "agent", appRef+"@"+digestV1, ServiceInfo{Mode: "global"}, nil)
	// Swarm starts no update where there is no task to replace.
	sw.rollouts[appRef+"@"+digestV2] = []SwarmUpdate{}
	o := updateOne(t, e, ApplyOptions{}, "agent")
	if o.Result != ResultUpdated {
		t.Fatalf("outcome: got %s %v, want updated", o.Result, o.Err)
	}
	if calls := rt.callLog(); len(calls) != 1 {
		t.Errorf("calls: got %v, want one service update", calls)
	}
}

func TestServiceUpdateIsRecordedAndAnnounced(t *testing.T) {
	_, _, _, e := swarmWorld(t)
	hist := &memHistory{}
	e.hist = hist
	var mu sync.Mutex
	var phases []string
	sink := SinkFunc(func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Container == "web" {
			phases = append(phases, string(ev.Phase)+": "+ev.Message)
		}
	})
	report, _ := e.Check(context.Background(), CheckOptions{})
	e.Apply(context.Background(), e.Plan(report, PlanOptions{}), ApplyOptions{}, sink)
	want := []string{
		"recreating: asking Swarm to update the service to " + appRef + "@" + digestV2,
		"health-check: following Swarm's rolling update",
		"done: updated",
	}
	if diff := cmp.Diff(want, phases); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(hist.attempts) != 1 || hist.attempts[0].Container != "web" || hist.attempts[0].Result != ResultUpdated || hist.attempts[0].NewDigest != digestV2 {
		t.Errorf("history: got %+v, want web updated to v2", hist.attempts)
	}
}

type memHistory struct {
	mu       sync.Mutex
	attempts []Attempt
}

func (h *memHistory) RecordAttempt(_ context.Context, a Attempt) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.attempts = append(h.attempts, a)
	return nil
}
