package engine

import (
	"context"
	"strings"
	"testing"
)

// proxiedRuntime is a fake engine reached through containers (a socket
// proxy), or one that cannot say which.
type proxiedRuntime struct {
	*fakeRuntime
	ids []string
	err error
}

func (p proxiedRuntime) Conduits(context.Context) ([]string, error) { return p.ids, p.err }

func TestTheProxyToTheEngineIsNeverSwapped(t *testing.T) {
	rt, reg, _ := world(t)
	e := New(proxiedRuntime{fakeRuntime: rt, ids: []string{"p000000000000000"}}, reg, nil, nil, fastOptions())
	rt.addContainer(Container{ID: "p000000000000000", Name: "socket-proxy", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	rt.addContainer(Container{ID: "a000000000000000", Name: "web", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})

	// Asked for by name, as the dashboard's button and the CLI do.
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := e.Apply(context.Background(), e.Plan(report, PlanOptions{Explicit: true, Force: true}), ApplyOptions{}, nil)
	got := map[string]Outcome{}
	for _, o := range sum.Outcomes {
		got[o.Container] = o
	}
	if o := got["socket-proxy"]; o.Result != ResultSkipped || o.Err == nil || !strings.Contains(o.Err.Error(), "cutover reaches the Docker engine through it") {
		t.Errorf("socket-proxy: got %s %v, want skipped because cutover reaches the engine through it", o.Result, o.Err)
	}
	if o := got["web"]; o.Result != ResultUpdated {
		t.Errorf("web: got %s %v, want updated", o.Result, o.Err)
	}
	if c := named(t, rt, "socket-proxy"); c.ID != "p000000000000000" || !c.Running() {
		t.Errorf("socket-proxy: got %s %s, want untouched", c.ID, c.State)
	}

	// The deploy webhook names it.
	o, err := e.Deploy(context.Background(), DeployRequest{Container: "socket-proxy", Image: "127.0.0.1:5000/app"}, nil)
	if err != nil || o.Result != ResultSkipped || !strings.Contains(o.Err.Error(), "cutover reaches the Docker engine through it") {
		t.Errorf("deploy to socket-proxy: got %+v %v, want it skipped", o, err)
	}
	if c := named(t, rt, "socket-proxy"); c.ID != "p000000000000000" || !c.Running() {
		t.Errorf("socket-proxy after the deploy: got %s %s, want untouched", c.ID, c.State)
	}
}

func TestAnEngineThatCannotNameItsProxyFailsTheSwapAndTouchesNothing(t *testing.T) {
	rt, reg, _ := world(t)
	e := New(proxiedRuntime{fakeRuntime: rt, err: errEngineBusy}, reg, nil, nil, fastOptions())
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	o := updateOne(t, e, ApplyOptions{})
	if o.Result != ResultFailed || !strings.Contains(o.Err.Error(), "cannot tell whether cutover reaches the engine through app") {
		t.Fatalf("outcome: got %s %v, want failed, saying why", o.Result, o.Err)
	}
	if c := only(t, rt, "app"); c.ID != "a000000000000000" || !c.Running() {
		t.Errorf("app: got %s %s, want untouched", c.ID, c.State)
	}
}

// named returns the one container called name.
func named(t *testing.T, rt *fakeRuntime, name string) Container {
	t.Helper()
	var found []Container
	for _, c := range rt.snapshot() {
		if c.Name == name {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("containers named %s: got %+v, want one", name, found)
	}
	return found[0]
}
