package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// pacedRuntime watches the fake engine's calls: how many swaps are between
// creating their new container and starting it, how many between stopping
// the old one and starting the new one, and whether every health gate is
// open at once. Each new container's first health answer waits until all
// gates are open, so gates that do not overlap never finish.
type pacedRuntime struct {
	*fakeRuntime
	gates int // how many gates must be open at once

	mu               sync.Mutex
	busy, down       int
	maxBusy, maxDown int
	created          map[string]bool
	seen             map[string]bool
	allOpen          chan struct{}
}

func newPacedRuntime(gates int) *pacedRuntime {
	return &pacedRuntime{fakeRuntime: newFakeRuntime(), gates: gates, created: map[string]bool{}, seen: map[string]bool{}, allOpen: make(chan struct{})}
}

func (p *pacedRuntime) CreateReplacement(ctx context.Context, old Container, r Replacement) (string, error) {
	id, err := p.fakeRuntime.CreateReplacement(ctx, old, r)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		p.created[id] = true
		p.busy++
		p.maxBusy = max(p.maxBusy, p.busy)
	}
	return id, err
}

func (p *pacedRuntime) Stop(ctx context.Context, id, signal string, timeout time.Duration) error {
	p.mu.Lock()
	if !strings.HasPrefix(id, "new") {
		p.down++
		p.maxDown = max(p.maxDown, p.down)
	}
	p.mu.Unlock()
	return p.fakeRuntime.Stop(ctx, id, signal, timeout)
}

func (p *pacedRuntime) Start(ctx context.Context, id string) error {
	err := p.fakeRuntime.Start(ctx, id)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.created[id] {
		delete(p.created, id)
		p.busy--
		p.down--
	}
	return err
}

func (p *pacedRuntime) Health(ctx context.Context, id string) (HealthState, error) {
	p.mu.Lock()
	first := !p.seen[id]
	p.seen[id] = true
	if first && len(p.seen) == p.gates {
		close(p.allOpen)
	}
	p.mu.Unlock()
	if first {
		select {
		case <-p.allOpen:
		case <-ctx.Done():
			return HealthState{}, fmt.Errorf("only %d of %d health gates were open at once", p.openGates(), p.gates)
		}
	}
	return p.fakeRuntime.Health(ctx, id)
}

func (p *pacedRuntime) openGates() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen)
}

func TestApplyGatesOverlapAndEngineWorkIsBounded(t *testing.T) {
	const n, swaps = 12, 3
	rt := newPacedRuntime(n)
	rt.addImage("127.0.0.1:5000/app:latest", "sha256:img1", digestV1)
	rt.serves["127.0.0.1:5000/app:latest"] = Image{ID: "sha256:img2", RepoDigests: []string{"127.0.0.1:5000/app@" + digestV2}}
	reg := &fakeRegistry{digests: map[string]string{"127.0.0.1:5000/app:latest": digestV2}}
	for i := range n {
		rt.addContainer(Container{ID: fmt.Sprintf("c%015d", i), Name: fmt.Sprintf("app%d", i), Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	}
	// A generous health timeout: a gate waits in Health until all are open.
	opts := Options{HealthGrace: time.Millisecond, HealthTimeout: time.Minute, ProbeInterval: time.Millisecond, Swaps: swaps}
	e := New(rt, reg, nil, nil, opts)

	sum := update(t, e, ApplyOptions{})
	if sum.Updated != n {
		for _, o := range sum.Outcomes {
			if o.Result != ResultUpdated {
				t.Errorf("container %s: got %s (%v), want updated", o.Container, o.Result, o.Err)
			}
		}
		t.Fatalf("updated: got %d, want %d", sum.Updated, n)
	}
	if rt.maxBusy > swaps {
		t.Errorf("swaps between create and start at once: got %d, want at most %d", rt.maxBusy, swaps)
	}
	if rt.maxDown != 1 {
		t.Errorf("containers down at once: got %d, want 1", rt.maxDown)
	}
	cs, _ := rt.Containers(context.Background(), true)
	for _, c := range cs {
		if c.ImageID != "sha256:img2" || !c.Running() || strings.Contains(c.Name, "-cutover-") {
			t.Errorf("container %s after the update: got image %s state %s, want sha256:img2 running", c.Name, c.ImageID, c.State)
		}
	}
	if len(cs) != n {
		t.Errorf("containers after the update: got %d, want %d", len(cs), n)
	}
}

func TestApplyOutagesBoundIsAnOption(t *testing.T) {
	const n = 6
	rt := newPacedRuntime(n)
	rt.addImage("127.0.0.1:5000/app:latest", "sha256:img1", digestV1)
	rt.serves["127.0.0.1:5000/app:latest"] = Image{ID: "sha256:img2", RepoDigests: []string{"127.0.0.1:5000/app@" + digestV2}}
	reg := &fakeRegistry{digests: map[string]string{"127.0.0.1:5000/app:latest": digestV2}}
	for i := range n {
		rt.addContainer(Container{ID: fmt.Sprintf("c%015d", i), Name: fmt.Sprintf("app%d", i), Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	}
	e := New(rt, reg, nil, nil, Options{HealthGrace: time.Millisecond, HealthTimeout: time.Minute, ProbeInterval: time.Millisecond, Swaps: 4, Outages: 2})
	if sum := update(t, e, ApplyOptions{}); sum.Updated != n {
		t.Fatalf("updated: got %d, want %d (%+v)", sum.Updated, n, sum.Outcomes)
	}
	if rt.maxDown > 2 {
		t.Errorf("containers down at once: got %d, want at most 2", rt.maxDown)
	}
	if rt.maxBusy > 4 {
		t.Errorf("swaps between create and start at once: got %d, want at most 4", rt.maxBusy)
	}
}

func TestSwapWaitingForItsTurnCanBeCancelled(t *testing.T) {
	rt, _, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan := e.Plan(report, PlanOptions{})
	// Every place is taken, as by other swaps in flight.
	for range cap(e.busy) {
		e.busy <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last Event
	sum := e.Apply(ctx, plan, ApplyOptions{}, SinkFunc(func(ev Event) {
		if ev.Phase == PhaseRecreating {
			cancel()
		}
		last = ev
	}))
	if len(sum.Outcomes) != 1 || sum.Outcomes[0].Result != ResultSkipped {
		t.Fatalf("outcomes: got %+v, want app skipped", sum.Outcomes)
	}
	if last.Phase != PhaseSkipped || last.Container != "app" {
		t.Errorf("last event: got %+v, want app skipped", last)
	}
	for _, call := range rt.callLog() {
		if !strings.HasPrefix(call, "pull ") {
			t.Errorf("call after the cancel: got %q, want none but the pull", call)
		}
	}
	c, _ := rt.Container(context.Background(), "app")
	if c.ID != "a000000000000000" || !c.Running() {
		t.Errorf("app after the cancelled swap: got %+v, want the old container running", c)
	}
}

// outageRuntime counts the containers down at once: from the stop of the
// copy that serves a name to the start of the copy that serves it next,
// whether that is a swap's new container or, on rollback, the old one
// again. Stops are slow, so that outages which are not kept apart overlap.
type outageRuntime struct {
	*fakeRuntime
	mu             sync.Mutex
	down           map[string]bool // by name, without cutover's suffixes
	now, maxAtOnce int
}

func baseName(n string) string {
	for _, s := range []string{AsideSuffix, NewSuffix, RetiredSuffix} {
		n = strings.TrimSuffix(n, s)
	}
	return n
}

func (o *outageRuntime) nameOf(id string) string {
	o.fakeRuntime.mu.Lock()
	defer o.fakeRuntime.mu.Unlock()
	if c := o.fakeRuntime.containers[id]; c != nil {
		return baseName(c.Name)
	}
	return ""
}

func (o *outageRuntime) Stop(ctx context.Context, id, signal string, timeout time.Duration) error {
	name := o.nameOf(id)
	o.mu.Lock()
	if !o.down[name] {
		o.down[name] = true
		o.now++
		o.maxAtOnce = max(o.maxAtOnce, o.now)
	}
	o.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	return o.fakeRuntime.Stop(ctx, id, signal, timeout)
}

func (o *outageRuntime) Start(ctx context.Context, id string) error {
	err := o.fakeRuntime.Start(ctx, id)
	name := o.nameOf(id)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down[name] {
		delete(o.down, name)
		o.now--
	}
	return err
}

// A rollback's stop of the new container and start of the old one is an
// outage too: with --concurrent-restarts 1, and every new container failing
// its gate at once, still one container at most is down at a time.
func TestRollbackOutagesTakeTheirTurn(t *testing.T) {
	const n = 8
	rt := &outageRuntime{fakeRuntime: newFakeRuntime(), down: map[string]bool{}}
	rt.addImage("127.0.0.1:5000/app:latest", "sha256:img1", digestV1)
	rt.serves["127.0.0.1:5000/app:latest"] = Image{ID: "sha256:img2", RepoDigests: []string{"127.0.0.1:5000/app@" + digestV2}}
	// Running but unhealthy: a rollback stops it before starting the old one.
	rt.startState["127.0.0.1:5000/app:latest"] = HealthState{State: StateRunning, Health: "unhealthy"}
	reg := &fakeRegistry{digests: map[string]string{"127.0.0.1:5000/app:latest": digestV2}}
	for i := range n {
		rt.addContainer(Container{ID: fmt.Sprintf("c%015d", i), Name: fmt.Sprintf("app%d", i), Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: StateRunning, HasHealthcheck: true})
	}
	e := New(rt, reg, nil, nil, Options{HealthGrace: 20 * time.Millisecond, HealthTimeout: time.Minute, ProbeInterval: time.Millisecond, Swaps: n, Outages: 1})
	sum := update(t, e, ApplyOptions{})
	if sum.Failed != n {
		t.Fatalf("failed: got %d, want all %d rolled back (%+v)", sum.Failed, n, sum.Outcomes)
	}
	if rt.maxAtOnce != 1 {
		t.Errorf("containers down at once: got %d, want 1", rt.maxAtOnce)
	}
	cs, _ := rt.Containers(context.Background(), true)
	for _, c := range cs {
		if c.ImageID != "sha256:img1" || !c.Running() || c.Name != baseName(c.Name) {
			t.Errorf("container %s after the rollbacks: image %s, state %s; want sha256:img1 running under its name", c.Name, c.ImageID, c.State)
		}
	}
}
