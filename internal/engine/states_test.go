package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// only returns the containers of the fake engine, requiring exactly one,
// named name.
func only(t *testing.T, rt *fakeRuntime, name string) Container {
	t.Helper()
	cs := rt.snapshot()
	if len(cs) != 1 || cs[0].Name != name {
		var names []string
		for _, c := range cs {
			names = append(names, c.Name+"("+string(c.State)+")")
		}
		t.Fatalf("containers: got %v, want exactly %s", names, name)
	}
	return cs[0]
}

func updateOne(t *testing.T, e *Engine, opts ApplyOptions, names ...string) Outcome {
	t.Helper()
	report, err := e.Check(context.Background(), CheckOptions{Names: names, IncludeStopped: true})
	if err != nil {
		t.Fatal(err)
	}
	sum := e.Apply(context.Background(), e.Plan(report, PlanOptions{Explicit: len(names) > 0, Force: opts.Force}), opts, nil)
	if len(sum.Outcomes) != 1 {
		t.Fatalf("outcomes: got %+v, want one", sum.Outcomes)
	}
	return sum.Outcomes[0]
}

func TestAutoRemoveContainerIsSwapped(t *testing.T) {
	rt, _, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", AutoRemove: true})
	o := updateOne(t, e, ApplyOptions{})
	if o.Result != ResultUpdated {
		t.Fatalf("outcome: got %s %v, want updated", o.Result, o.Err)
	}
	c := only(t, rt, "app")
	if c.ImageID != "sha256:img2" || !c.Running() || !c.AutoRemove {
		t.Errorf("app: got image %s state %s autoremove %v, want sha256:img2 running with --rm kept", c.ImageID, c.State, c.AutoRemove)
	}
}

func TestAutoRemoveContainerWhoseNewImageCrashesIsRebuilt(t *testing.T) {
	rt, reg, _ := world(t)
	holds := &memHolds{}
	opts := fastOptions()
	opts.Holds = holds
	e := New(rt, reg, nil, nil, opts)
	rt.startState["127.0.0.1:5000/app:latest"] = HealthState{State: StateExited, ExitCode: 1}
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app:latest", ImageID: "sha256:img1", AutoRemove: true})
	o := updateOne(t, e, ApplyOptions{})
	if o.Result != ResultRolledBack || !strings.Contains(o.Err.Error(), "exited with code 1") {
		t.Fatalf("outcome: got %s %v, want rolled back for the exit", o.Result, o.Err)
	}
	c := only(t, rt, "app")
	if c.ImageID != "sha256:img1" || !c.Running() || c.ID == "a000000000000000" {
		t.Errorf("app: got %s image %s state %s, want a rebuilt container on sha256:img1, running", c.ID, c.ImageID, c.State)
	}
	if img, _ := rt.Image(context.Background(), "127.0.0.1:5000/app:latest"); img.ID != "sha256:img1" {
		t.Errorf("tag after the rollback: points at %s, want sha256:img1 again", img.ID)
	}
	if hs, _ := holds.Held(context.Background()); len(hs) != 1 || hs[0].Digest != digestV2 {
		t.Errorf("holds after the rollback: got %+v, want %s held", hs, digestV2)
	}
}

func TestPausedContainerIsSkippedUnlessForced(t *testing.T) {
	rt, _, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: StatePaused})
	o := updateOne(t, e, ApplyOptions{}, "app")
	if o.Result != ResultSkipped || o.Err == nil || o.Err.Error() != "paused" {
		t.Fatalf("outcome: got %s %v, want skipped: paused", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ID != "a000000000000000" || c.State != StatePaused {
		t.Fatalf("app after a skipped update: got %s %s, want the old one, paused", c.ID, c.State)
	}
	o = updateOne(t, e, ApplyOptions{Force: true}, "app")
	if o.Result != ResultUpdated {
		t.Fatalf("forced outcome: got %s %v, want updated", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ImageID != "sha256:img2" || !c.Running() {
		t.Errorf("app after a forced update: got image %s state %s, want sha256:img2 running", c.ImageID, c.State)
	}
	if log := strings.Join(rt.callLog(), ","); !strings.Contains(log, "unpause app,stop app") {
		t.Errorf("calls: %s; want the paused container unpaused, then stopped", log)
	}
}

func TestRollbackOfForcedPausedContainerPausesItAgain(t *testing.T) {
	rt, _, e := world(t)
	rt.startState["127.0.0.1:5000/app:latest"] = HealthState{State: StateExited, ExitCode: 2}
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: StatePaused})
	o := updateOne(t, e, ApplyOptions{Force: true}, "app")
	if o.Result != ResultRolledBack {
		t.Fatalf("outcome: got %s %v, want rolled back", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ID != "a000000000000000" || c.State != StatePaused {
		t.Errorf("app after the rollback: got %s %s, want the old one, paused again", c.ID, c.State)
	}
}

func TestRestartingContainerIsUpdated(t *testing.T) {
	rt, _, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: StateRestarting})
	o := updateOne(t, e, ApplyOptions{}, "app")
	if o.Result != ResultUpdated {
		t.Fatalf("outcome: got %s %v, want updated", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ImageID != "sha256:img2" || !c.Running() {
		t.Errorf("app: got image %s state %s, want sha256:img2 running", c.ImageID, c.State)
	}
}

func TestRestartingContainerIsRestoredAsItWasWhenTheNewOneFails(t *testing.T) {
	rt, _, e := world(t)
	rt.startState["127.0.0.1:5000/app:latest"] = HealthState{State: StateExited, ExitCode: 1}
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: StateRestarting})
	o := updateOne(t, e, ApplyOptions{}, "app")
	if o.Result != ResultRolledBack {
		t.Fatalf("outcome: got %s %v, want rolled back", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ID != "a000000000000000" || !c.Up() {
		t.Errorf("app: got %s %s, want the old one, started again", c.ID, c.State)
	}
}

func TestContainersThatCannotBeSwappedAreSkippedWithTheReason(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      Container
		reason string
	}{
		{"dead", Container{State: StateDead}, "dead"},
		{"removing", Container{State: StateRemoving}, "being removed"},
		{"swarm task", Container{Labels: map[string]string{"com.docker.swarm.task.id": "x"}}, "managed by Docker Swarm"},
		{"kubernetes", Container{Labels: map[string]string{"io.kubernetes.pod.name": "x"}}, "managed by Kubernetes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt, _, e := world(t)
			c := tc.c
			c.ID, c.Name, c.Image, c.ImageID = "a000000000000000", "app", "127.0.0.1:5000/app", "sha256:img1"
			rt.addContainer(c)
			o := updateOne(t, e, ApplyOptions{Force: true}, "app")
			if o.Result != ResultSkipped || !strings.Contains(o.Err.Error(), tc.reason) {
				t.Fatalf("outcome: got %s %v, want skipped: %s", o.Result, o.Err, tc.reason)
			}
			for _, call := range rt.callLog() {
				if !strings.HasPrefix(call, "pull") {
					t.Errorf("call on a container that must not be swapped: %s", call)
				}
			}
		})
	}
}

func TestDependantRecreatedOnItsTag(t *testing.T) {
	rt, _, e := world(t)
	rt.addImage("127.0.0.1:5000/side:1", "sha256:side", digestV1)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	rt.addContainer(Container{ID: "b000000000000000", Name: "side", Image: "127.0.0.1:5000/side:1", ImageID: "sha256:side", NetworkContainer: "a000000000000000"})
	report, err := e.Check(context.Background(), CheckOptions{Names: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	if sum := e.Apply(context.Background(), e.Plan(report, PlanOptions{Explicit: true}), ApplyOptions{}, nil); sum.Updated != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	side, err := rt.Container(context.Background(), "side")
	if err != nil {
		t.Fatal(err)
	}
	if side.ID == "b000000000000000" || side.Image != "127.0.0.1:5000/side:1" || side.NetworkContainer != "app" {
		t.Errorf("side after app's update: got id %s image %q network container %q, want recreated on 127.0.0.1:5000/side:1 sharing app's network", side.ID, side.Image, side.NetworkContainer)
	}
}

func TestHealthySwapIsFinalWhenTheOldContainerCannotBeRemoved(t *testing.T) {
	rt, reg, j, e := journaledWorld(t, nil)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	// Refused at each of the swap's three tries.
	rt.failOn("remove", "a000000000000000", errors.New("device or resource busy"), 3)
	if o := updateOne(t, e, ApplyOptions{}); o.Result != ResultUpdated {
		t.Fatalf("outcome: got %s %v, want updated", o.Result, o.Err)
	}
	if recs, _ := j.Swaps(context.Background()); len(recs) != 1 || !recs[0].Healthy {
		t.Fatalf("journal after the failed removal: got %+v, want the swap kept as healthy", recs)
	}
	// Much later, another process recovers: the update stays.
	later := New(rt, reg, nil, nil, Options{Journal: j, Now: func() time.Time { return time.Now().Add(24 * time.Hour) }})
	rep, err := later.Recover(context.Background())
	if err != nil || len(rep.Kept) != 1 {
		t.Fatalf("recovery: got %+v %v, want the new container kept", rep, err)
	}
	if c := only(t, rt, "app"); c.ImageID != "sha256:img2" || !c.Running() {
		t.Errorf("app after recovery: got image %s state %s, want sha256:img2 running", c.ImageID, c.State)
	}
}

func TestHealthySwapIsFinalEvenWithoutTheJournal(t *testing.T) {
	rt, reg, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	rt.failOn("remove", "a000000000000000", errors.New("device or resource busy"), 3)
	if o := updateOne(t, e, ApplyOptions{}); o.Result != ResultUpdated {
		t.Fatalf("outcome: got %s %v, want updated", o.Result, o.Err)
	}
	later := New(rt, reg, nil, nil, Options{Now: func() time.Time { return time.Now().Add(24 * time.Hour) }})
	if rep, err := later.Recover(context.Background()); err != nil || len(rep.Kept) != 1 {
		t.Fatalf("recovery: got %+v %v, want the new container kept", rep, err)
	}
	if c := only(t, rt, "app"); c.ImageID != "sha256:img2" {
		t.Errorf("app after recovery: got image %s, want sha256:img2", c.ImageID)
	}
}

func TestStaleLeftoverIsSettledBeforeTheNextSwap(t *testing.T) {
	rt, _, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	rt.addContainer(Container{ID: "c000000000000000", Name: "app-cutover-old", Image: "127.0.0.1:5000/app", ImageID: "sha256:img0", State: StateExited})
	if o := updateOne(t, e, ApplyOptions{}, "app"); o.Result != ResultUpdated {
		t.Fatalf("outcome with a leftover of an earlier swap: got %s %v, want updated", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ImageID != "sha256:img2" {
		t.Errorf("app: got image %s, want sha256:img2", c.ImageID)
	}
}

func TestRecoveryTakesOnlyNotFoundAsAbsence(t *testing.T) {
	rt, reg, j, e := journaledWorld(t, func(o *Options) {
		o.AfterStep = func(s SwapStep) {
			if s == StepNewStarted {
				panic(crash{})
			}
		}
	})
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	func() {
		defer func() {
			if v := recover(); v != nil && v != (crash{}) {
				panic(v)
			}
		}()
		e.Deploy(context.Background(), DeployRequest{Container: "app", Image: "127.0.0.1:5000/app"}, nil)
	}()
	// The engine stumbles on the old container: nothing may be removed.
	rt.failOn("inspect", "a000000000000000", errEngineBusy, 1)
	after := New(rt, reg, nil, nil, Options{Journal: j})
	if _, err := after.Recover(context.Background()); err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("recovery with the engine stumbling: got %v, want its error", err)
	}
	if n := len(rt.snapshot()); n != 2 {
		t.Fatalf("containers after a recovery that could not tell: got %d, want both copies kept", n)
	}
	if rep, err := after.Recover(context.Background()); err != nil || len(rep.RolledBack) != 1 {
		t.Fatalf("recovery once the engine answers: got %+v %v, want app rolled back", rep, err)
	}
	if c := only(t, rt, "app"); c.ID != "a000000000000000" || !c.Running() {
		t.Errorf("app: got %s %s, want the old one running", c.ID, c.State)
	}
}

func TestRollbackStopsTheNewContainerAsTheOldOneStops(t *testing.T) {
	rt, _, e := world(t)
	rt.startState["127.0.0.1:5000/app:latest"] = HealthState{State: StateRunning, Health: "unhealthy"}
	timeout := 42 * time.Second
	rt.addContainer(Container{ID: "a000000000000000", Name: "db", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1",
		StopSignal: "SIGINT", StopTimeout: &timeout, HasHealthcheck: true})
	if o := updateOne(t, e, ApplyOptions{}); o.Result != ResultRolledBack {
		t.Fatalf("outcome: got %s %v, want rolled back", o.Result, o.Err)
	}
	var stops []string
	for _, c := range rt.callLog() {
		if strings.HasPrefix(c, "stop ") {
			stops = append(stops, c)
		}
	}
	if len(stops) != 2 || !strings.HasSuffix(stops[1], "signal=SIGINT timeout=42s") {
		t.Errorf("stops: got %v, want the new container stopped with SIGINT and 42s, as the old one", stops)
	}
}

func TestOldContainerThatCannotStartAgainLeavesTheNewOne(t *testing.T) {
	rt, _, e := world(t)
	rt.startState["127.0.0.1:5000/app:latest"] = HealthState{State: StateRunning, Health: "unhealthy"}
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", HasHealthcheck: true})
	rt.failOn("start", "a000000000000000", errors.New("OCI runtime create failed"), -1)
	o := updateOne(t, e, ApplyOptions{})
	var kept keptNew
	if o.Result != ResultFailed || !errors.As(o.Err, &kept) {
		t.Fatalf("outcome: got %s %v, want failed, the new container kept", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ImageID != "sha256:img2" || !c.Running() {
		t.Errorf("app: got image %s state %s, want the new one running: the old one cannot", c.ImageID, c.State)
	}
}

func TestRolledBackVersionIsHeldUntilANewerOneOrAPersonAsks(t *testing.T) {
	rt, reg, _ := world(t)
	holds := &memHolds{}
	opts := fastOptions()
	opts.Holds = holds
	e := New(rt, reg, nil, nil, opts)
	rt.startState["127.0.0.1:5000/app:latest"] = HealthState{State: StateExited, ExitCode: 1}
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app:latest", ImageID: "sha256:img1"})
	if o := updateOne(t, e, ApplyOptions{}); o.Result != ResultRolledBack {
		t.Fatalf("outcome: got %s %v, want rolled back", o.Result, o.Err)
	}
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs := report.Groups[0].Containers[0]
	if cs.Status != StatusOutdated || cs.Held == nil || cs.Held.Digest != digestV2 {
		t.Fatalf("check after the rollback: got %+v, want outdated with %s held", cs, digestV2)
	}
	if p := e.Plan(report, PlanOptions{Periodic: true}); len(p.Steps) != 0 || len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0].Reason, "held") {
		t.Errorf("periodic plan: got %+v, want app skipped as held", p)
	}
	if p := e.Plan(report, PlanOptions{Explicit: true}); len(p.Steps) != 1 {
		t.Errorf("plan asked for by name: got %+v, want app updated", p)
	}
	reg.digests["127.0.0.1:5000/app:latest"] = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	report, _ = e.Check(context.Background(), CheckOptions{})
	if cs := report.Groups[0].Containers[0]; cs.Held != nil {
		t.Errorf("check once a newer version is out: got %+v held, want nothing held", cs.Held)
	}
}

func TestDrainWaitsForSwapsInFlightAndRefusesNewOnes(t *testing.T) {
	rt, reg, _ := world(t)
	inGate := make(chan struct{})
	release := make(chan struct{})
	opts := fastOptions()
	opts.AfterStep = func(s SwapStep) {
		if s == StepNewStarted {
			close(inGate)
			<-release
		}
	}
	e := New(rt, reg, nil, nil, opts)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	done := make(chan Outcome)
	go func() {
		done <- updateOne(t, e, ApplyOptions{})
	}()
	<-inGate
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if e.Drain(ctx) {
		t.Fatal("Drain returned with a swap in its gate")
	}
	if _, err := e.Deploy(context.Background(), DeployRequest{Container: "other", Image: "127.0.0.1:5000/app"}, nil); err == nil {
		t.Error("a deploy began while draining")
	}
	close(release)
	<-done
	if !e.Drain(context.Background()) {
		t.Error("Drain did not return once the swap ended")
	}
}

func TestSelfIsHandedOverFromEverySurface(t *testing.T) {
	rt, reg, _ := world(t)
	var handed []string
	opts := fastOptions()
	opts.FindSelf = func(context.Context) (string, error) { return "a000000000000000", nil }
	opts.HandOver = func(_ context.Context, s Step) error {
		handed = append(handed, s.Container.Name+" "+s.Image)
		return nil
	}
	e := New(rt, reg, nil, nil, opts)
	rt.addContainer(Container{ID: "a000000000000000", Name: "cutover", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	o, err := e.Deploy(context.Background(), DeployRequest{Container: "cutover", Image: "127.0.0.1:5000/app"}, nil)
	if err != nil || o.Result != ResultSkipped || !strings.Contains(o.Err.Error(), "handed over") {
		t.Fatalf("deploy of cutover itself: got %+v %v, want it handed over", o, err)
	}
	if len(handed) != 1 || handed[0] != "cutover 127.0.0.1:5000/app:latest" {
		t.Errorf("hand-overs: got %v", handed)
	}
	if c := only(t, rt, "cutover"); c.ID != "a000000000000000" || !c.Running() {
		t.Errorf("cutover's container: got %s %s, want untouched", c.ID, c.State)
	}
}

func TestSelfUnknownFailsTheSwapAndTouchesNothing(t *testing.T) {
	rt, reg, _ := world(t)
	opts := fastOptions()
	opts.FindSelf = func(context.Context) (string, error) { return "", errEngineBusy }
	e := New(rt, reg, nil, nil, opts)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	o := updateOne(t, e, ApplyOptions{})
	if o.Result != ResultFailed || !strings.Contains(o.Err.Error(), "cannot tell whether app is the container cutover runs in") {
		t.Fatalf("outcome: got %s %v", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ID != "a000000000000000" {
		t.Errorf("app: replaced although cutover could not tell whether it was its own")
	}
}

func TestNoRestartLeavesTheStartToTheProcessManager(t *testing.T) {
	t.Run("the manager starts it", func(t *testing.T) {
		rt, _, e := world(t)
		rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app:latest", ImageID: "sha256:img1"})
		manager := make(chan struct{})
		go func() {
			// A systemd unit's "docker run --name app app:latest" once the
			// old container is gone.
			for len(rt.snapshot()) != 0 {
				time.Sleep(time.Millisecond)
			}
			rt.addContainer(Container{ID: "m000000000000000", Name: "app", Image: "127.0.0.1:5000/app:latest", ImageID: "sha256:img2"})
			close(manager)
		}()
		o := updateOne(t, e, ApplyOptions{NoRestart: true})
		<-manager
		if o.Result != ResultUpdated {
			t.Fatalf("outcome: got %s %v, want updated", o.Result, o.Err)
		}
		if c := only(t, rt, "app"); c.ID != "m000000000000000" {
			t.Errorf("app: got %s, want the manager's container", c.ID)
		}
	})
	t.Run("nothing starts it", func(t *testing.T) {
		rt, _, e := world(t)
		rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app:latest", ImageID: "sha256:img1"})
		o := updateOne(t, e, ApplyOptions{NoRestart: true})
		if o.Result != ResultRolledBack || !strings.Contains(o.Err.Error(), "nothing started app again") {
			t.Fatalf("outcome: got %s %v, want rolled back", o.Result, o.Err)
		}
		if c := only(t, rt, "app"); c.ImageID != "sha256:img1" || !c.Running() {
			t.Errorf("app: got image %s state %s, want the old one rebuilt, running", c.ImageID, c.State)
		}
	})
}

func TestNewContainerCreatedAfterItsProcessDiedIsALeftoverOfItsSwap(t *testing.T) {
	rt, reg, _ := world(t)
	j := &memJournal{}
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	// The process was killed while the engine created the new container:
	// the journal knows the swap, not the container.
	j.SaveSwap(context.Background(), SwapRecord{Version: journalVersion, ID: "s1", Name: "app", OldID: "a000000000000000", WasRunning: true, Step: StepCreated, Started: time.Now()})
	e := New(rt, reg, nil, nil, Options{Journal: j, LateCreate: 50 * time.Millisecond})
	if _, err := e.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Then the engine finishes the create.
	rt.addContainer(Container{ID: "b000000000000000", Name: "app-cutover-new", Image: "127.0.0.1:5000/app", ImageID: "sha256:img2", State: StateCreated,
		Created: time.Now(), Labels: map[string]string{SwapLabelID: "s1", SwapLabelRole: "new", SwapLabelOf: "app", SwapLabelUntil: time.Now().Add(time.Hour).Format(time.RFC3339)}})
	rep, err := e.Recover(context.Background())
	if err != nil || len(rep.RolledBack) != 1 {
		t.Fatalf("recovery once the late container shows: got %+v %v, want it removed, app rolled back", rep, err)
	}
	if c := only(t, rt, "app"); c.ID != "a000000000000000" || !c.Running() {
		t.Errorf("app: got %s %s, want the old one running", c.ID, c.State)
	}
	if recs, _ := j.Swaps(context.Background()); len(recs) != 0 {
		t.Errorf("journal: got %+v, want it empty", recs)
	}
}

// A removal the engine refuses once (its storage busy for a moment) is
// tried again: the swap ends with the old container gone, nothing left for
// a later recovery.
func TestARefusedRemovalOfTheOldContainerIsTriedAgain(t *testing.T) {
	rt, _, j, e := journaledWorld(t, nil)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	rt.failOn("remove", "a000000000000000", errors.New("device or resource busy"), 1)
	if o := updateOne(t, e, ApplyOptions{}); o.Result != ResultUpdated {
		t.Fatalf("outcome: got %s %v, want updated", o.Result, o.Err)
	}
	if recs, _ := j.Swaps(context.Background()); len(recs) != 0 {
		t.Errorf("journal: got %+v, want the swap finished", recs)
	}
	if c := only(t, rt, "app"); c.ImageID != "sha256:img2" || !c.Running() {
		t.Errorf("app: got image %s state %s, want sha256:img2 running", c.ImageID, c.State)
	}
}

// A create that finds the tag gone (another process moving it, which the
// containerd store does by removing it first) points the tag again and
// creates once more.
func TestACreateThatLostItsTagPointsItAgain(t *testing.T) {
	rt, _, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	rt.failOn("create", "app", fmt.Errorf("new image 127.0.0.1:5000/app:latest: %w", ErrNotFound), 1)
	if o := updateOne(t, e, ApplyOptions{}); o.Result != ResultUpdated {
		t.Fatalf("outcome: got %s %v, want updated", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ImageID != "sha256:img2" || !c.Running() {
		t.Errorf("app: got image %s state %s, want sha256:img2 running", c.ImageID, c.State)
	}
}
