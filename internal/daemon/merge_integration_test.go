package daemon

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/docker"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/registry"
	"github.com/cutover/cutover/internal/testenv"
)

// heldRuntime is the real engine, with the listing of the first pass held
// until released, so that triggers queue up behind it.
type heldRuntime struct {
	engine.Runtime
	release chan struct{}
	waiting atomic.Int32
}

func (h *heldRuntime) Containers(ctx context.Context, all bool) ([]engine.Container, error) {
	h.waiting.Add(1)
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.Runtime.Containers(ctx, all)
}

// TestIntegrationQueuedPassesDoNotWiden queues, behind a running pass, a
// scheduled pass (whose policy leaves unlabelled containers alone) and a
// /v1/update?image= request for one repository, on the real engine. Each
// runs as asked: the container of the other repository is not updated by
// either, where folding the two into one pass would update both.
func TestIntegrationQueuedPassesDoNotWiden(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	scope := testenv.Name(t, "scope")
	repoA := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "widen-a")
	repoB := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "widen-b")
	a, b := testenv.Name(t, "widen-a"), testenv.Name(t, "widen-b")
	for name, repo := range map[string]string{a: repoA, b: repoB} {
		ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: "v1"})
		testenv.RunContainer(t, name, "--label", "cutover.scope="+scope, ref)
		testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: "v2"})
	}
	imageOf := func(name string) string { return testenv.Docker(t, "inspect", "--format", "{{.Image}}", name) }
	beforeA, beforeB := imageOf(a), imageOf(b)

	rt, err := docker.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	reg, err := registry.New(registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	held := &heldRuntime{Runtime: rt, release: make(chan struct{})}
	policy := Policy{Default: false}
	filter := Filter{Scope: scope}
	eng := engine.New(held, reg, nil, nil, engine.Options{
		HealthGrace: time.Second, HealthTimeout: 30 * time.Second,
		AutoUpdate: func(c engine.Container) bool { on, _ := policy.AutoUpdate(c); return on },
		Claims:     filter.Claims,
	})
	d := New(eng, Options{Filter: filter, Policy: policy}, nil, nil)
	defer d.Shutdown()

	ctx := context.Background()
	go d.Trigger(ctx, Request{Filtered: true}) // the running pass: it updates nothing
	for held.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	var scheduled, api Report
	wg.Go(func() { scheduled, _ = d.Trigger(ctx, Request{Scheduled: true}) })
	waitQueued(t, d, 1)
	wg.Go(func() { api, _ = d.Trigger(ctx, Request{Images: []string{repoB}}) })
	waitQueued(t, d, 2)
	close(held.release)
	wg.Wait()

	if scheduled.Trigger != "schedule" || scheduled.Updated != 0 || scheduled.Scanned != 2 {
		t.Errorf("scheduled pass: got trigger %s, scanned %d, updated %d (%+v); want 2 scanned and none updated (auto-update is off)",
			scheduled.Trigger, scheduled.Scanned, scheduled.Updated, scheduled.Outcomes)
	}
	if api.Trigger != "api" || api.Scanned != 1 || api.Updated != 1 || len(api.Outcomes) != 1 || api.Outcomes[0].Container != b {
		t.Errorf("?image=%s pass: got trigger %s, scanned %d, updated %d (%+v); want only %s scanned and updated",
			repoB, api.Trigger, api.Scanned, api.Updated, api.Outcomes, b)
	}
	if imageOf(a) != beforeA {
		t.Errorf("container %s (%s) was updated, want it left alone: neither pass asked for it", a, repoA)
	}
	if imageOf(b) == beforeB {
		t.Errorf("container %s (%s) was not updated, want it updated by the ?image= pass", b, repoB)
	}
}
