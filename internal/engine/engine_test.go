package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	digestV1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestV2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func fastOptions() Options {
	return Options{HealthGrace: 20 * time.Millisecond, HealthTimeout: time.Second, ProbeInterval: 5 * time.Millisecond}
}

// world is a fake engine with app:latest at v1 locally and v2 in the registry.
func world(t *testing.T) (*fakeRuntime, *fakeRegistry, *Engine) {
	t.Helper()
	rt := newFakeRuntime()
	rt.addImage("127.0.0.1:5000/app:latest", "sha256:img1", digestV1)
	rt.serves["127.0.0.1:5000/app:latest"] = Image{ID: "sha256:img2", RepoDigests: []string{"127.0.0.1:5000/app@" + digestV2}}
	reg := &fakeRegistry{digests: map[string]string{"127.0.0.1:5000/app:latest": digestV2}}
	return rt, reg, New(rt, reg, nil, nil, fastOptions())
}

// journaledWorld is world with a journal in memory, and the options tune
// changes.
func journaledWorld(t *testing.T, tune func(*Options)) (*fakeRuntime, *fakeRegistry, *memJournal, *Engine) {
	t.Helper()
	rt, reg, _ := world(t)
	j := &memJournal{}
	opts := fastOptions()
	opts.Journal = j
	if tune != nil {
		tune(&opts)
	}
	return rt, reg, j, New(rt, reg, nil, nil, opts)
}

func TestCheckGroupsByImageWithOneRequestPerImage(t *testing.T) {
	rt, reg, e := world(t)
	rt.addImage("nginx", "sha256:ng", digestV2)
	reg.digests["nginx:latest"] = digestV2
	rt.addContainer(Container{ID: "aaaaaaaaaaaaaaaa", Name: "web1", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	rt.addContainer(Container{ID: "bbbbbbbbbbbbbbbb", Name: "web2", Image: "127.0.0.1:5000/app:latest", ImageID: "sha256:img1"})
	rt.addContainer(Container{ID: "cccccccccccccccc", Name: "proxy", Image: "nginx", ImageID: "sha256:ng"})
	rt.addContainer(Container{ID: "dddddddddddddddd", Name: "byid", Image: "sha256:ng", ImageID: "sha256:ng"})
	rt.addContainer(Container{ID: "eeeeeeeeeeeeeeee", Name: "stopped", Image: "nginx", ImageID: "sha256:ng", State: "exited"})

	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Image, Status, Names string }
	var got []row
	for _, g := range report.Groups {
		names := ""
		for _, c := range g.Containers {
			names += c.Container.Name + "=" + string(c.Status) + " "
		}
		got = append(got, row{g.Image, string(g.Status), names})
	}
	want := []row{
		{"127.0.0.1:5000/app:latest", "outdated", "web1=outdated web2=outdated "},
		{"nginx:latest", "uptodate", "proxy=uptodate "},
		{"sha256:ng", "unknown", "byid=unknown "},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"127.0.0.1:5000/app:latest": 1, "nginx:latest": 1}, reg.requests); diff != "" {
		t.Errorf("registry requests per reference (-want +got):\n%s", diff)
	}
	if len(rt.callLog()) != 0 {
		t.Errorf("check changed something: %v", rt.callLog())
	}
}

func TestCheckStatuses(t *testing.T) {
	tests := []struct {
		name       string
		remote     string
		remoteErr  error
		tagMovedTo string // local tag moved to an image with this digest
		noDigest   bool   // the running image was built locally
		// dropped: the engine dropped the running image's RepoDigests as
		// its tag moved on, and gives its manifest's digest (containerd)
		dropped    bool
		want       Status
		wantReason string
		wantLocal  string
	}{
		{name: "same digest", remote: digestV1, want: StatusUpToDate},
		{name: "registry moved on", remote: digestV2, want: StatusOutdated},
		{name: "registry down", remoteErr: errors.New("registry unreachable: connection refused"), want: StatusUnknown, wantReason: "registry unreachable: connection refused"},
		{name: "tag pulled past the container", remote: digestV2, tagMovedTo: digestV2, want: StatusOutdated},
		{name: "built locally, tag pulled since", remote: digestV2, tagMovedTo: digestV2, noDigest: true, want: StatusOutdated},
		{name: "built locally", remote: digestV2, noDigest: true, want: StatusUnknown, wantReason: "the image has no digest from 127.0.0.1:5000 (built locally?)"},
		{name: "tag pulled past, its old name dropped", remote: digestV2, tagMovedTo: digestV2, dropped: true, want: StatusOutdated, wantLocal: digestV1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := newFakeRuntime()
			ref := "127.0.0.1:5000/app:latest"
			switch {
			case tc.dropped:
				rt.images["sha256:img1"] = Image{ID: "sha256:img1", Digest: digestV1}
			case tc.noDigest:
				rt.images["sha256:img1"] = Image{ID: "sha256:img1"}
				rt.images[ref] = rt.images["sha256:img1"]
			default:
				rt.addImage(ref, "sha256:img1", digestV1)
			}
			if tc.tagMovedTo != "" {
				rt.addImage(ref, "sha256:img2", tc.tagMovedTo)
			}
			rt.addContainer(Container{ID: "aaaaaaaaaaaaaaaa", Name: "app", Image: ref, ImageID: "sha256:img1"})
			reg := &fakeRegistry{digests: map[string]string{ref: tc.remote}, errs: map[string]error{ref: tc.remoteErr}}
			report, err := New(rt, reg, nil, nil, fastOptions()).Check(context.Background(), CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := report.Groups[0].Containers[0]
			if got.Status != tc.want || got.Reason != tc.wantReason {
				t.Errorf("container app: got status %q reason %q, want %q reason %q", got.Status, got.Reason, tc.want, tc.wantReason)
			}
			if tc.wantLocal != "" && got.LocalDigest != tc.wantLocal {
				t.Errorf("container app: local digest %q, want %q", got.LocalDigest, tc.wantLocal)
			}
		})
	}
}

func TestCheckUnknownNameIsAnError(t *testing.T) {
	_, _, e := world(t)
	_, err := e.Check(context.Background(), CheckOptions{Names: []string{"ghost"}})
	if !IsNotFound(err) {
		t.Fatalf("check of a missing container: got %v, want a not-found error", err)
	}
}

func TestPlanHonoursLabels(t *testing.T) {
	rt, _, e := world(t)
	for _, c := range []Container{
		{ID: "a000000000000000", Name: "plain"},
		{ID: "b000000000000000", Name: "off-wt", Labels: map[string]string{"com.centurylinklabs.watchtower.enable": "false"}},
		{ID: "c000000000000000", Name: "off-cutover", Labels: map[string]string{"cutover.enable": "false"}},
		{ID: "d000000000000000", Name: "watch", Labels: map[string]string{"com.centurylinklabs.watchtower.monitor-only": "true"}},
	} {
		c.Image, c.ImageID = "127.0.0.1:5000/app", "sha256:img1"
		rt.addContainer(c)
	}
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	summarise := func(p Plan) (steps []string, skips []string) {
		for _, s := range p.Steps {
			steps = append(steps, s.Container.Name)
		}
		for _, s := range p.Skipped {
			skips = append(skips, s.Container.Name+": "+s.Reason)
		}
		return
	}
	steps, skips := summarise(e.Plan(report, PlanOptions{}))
	if diff := cmp.Diff([]string{"plain"}, steps); diff != "" {
		t.Errorf("updated by default (-want +got):\n%s", diff)
	}
	wantSkips := []string{"off-cutover: disabled by its enable label", "off-wt: disabled by its enable label", "watch: monitor-only label"}
	if diff := cmp.Diff(wantSkips, skips); diff != "" {
		t.Errorf("skipped by default (-want +got):\n%s", diff)
	}
	steps, _ = summarise(e.Plan(report, PlanOptions{Explicit: true}))
	if diff := cmp.Diff([]string{"off-cutover", "off-wt", "plain"}, steps); diff != "" {
		t.Errorf("updated when named (-want +got):\n%s", diff)
	}
	steps, _ = summarise(e.Plan(report, PlanOptions{MonitorOnly: true}))
	if len(steps) != 0 {
		t.Errorf("monitor-only planned updates: %v", steps)
	}
}

func TestApplySwapsInOrderAndRemovesOldLast(t *testing.T) {
	rt, _, e := world(t)
	timeout := 3 * time.Second
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", StopSignal: "SIGUSR1", StopTimeout: &timeout})
	sum := update(t, e, ApplyOptions{})
	if sum.Updated != 1 || sum.Failed != 0 {
		t.Fatalf("summary: got %+v, want one update", sum)
	}
	want := []string{
		"pull 127.0.0.1:5000/app:latest",
		"create app-cutover-new on 127.0.0.1:5000/app:latest",
		"stop app signal=SIGUSR1 timeout=3s",
		"rename app to app-cutover-old",
		"rename app-cutover-new to app",
		"start app",
		"rename app-cutover-old to app-cutover-replaced",
		"remove app-cutover-replaced",
	}
	if diff := cmp.Diff(want, rt.callLog()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	c, _ := rt.Container(context.Background(), "app")
	if c.ImageID != "sha256:img2" || !c.Running() {
		t.Errorf("container app after update: got image %s state %s, want sha256:img2 running", c.ImageID, c.State)
	}
	if o := sum.Outcomes[0]; o.OldDigest != digestV1 || o.NewDigest != digestV2 {
		t.Errorf("outcome digests: got %s -> %s, want %s -> %s", o.OldDigest, o.NewDigest, digestV1, digestV2)
	}
}

func TestApplyRollsBackWhenNewContainerExits(t *testing.T) {
	rt, _, e := world(t)
	rt.startState["127.0.0.1:5000/app:latest"] = HealthState{State: "exited", ExitCode: 3}
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	sum := update(t, e, ApplyOptions{})
	if sum.Failed != 1 || sum.Outcomes[0].Result != ResultRolledBack {
		t.Fatalf("summary: got %+v, want one rolled back", sum)
	}
	if got, want := sum.Outcomes[0].Err.Error(), "new container exited with code 3"; got != want {
		t.Errorf("reason: got %q, want %q", got, want)
	}
	c, err := rt.Container(context.Background(), "app")
	if err != nil || c.ID != "a000000000000000" || !c.Running() {
		t.Fatalf("after rollback: got %+v (%v), want the old container running as app", c, err)
	}
	cs, _ := rt.Containers(context.Background(), true)
	if len(cs) != 1 {
		t.Errorf("containers after rollback: got %d, want 1", len(cs))
	}
}

func TestApplyPullFailureTouchesNothing(t *testing.T) {
	rt, _, e := world(t)
	rt.pullErr["127.0.0.1:5000/app:latest"] = errors.New("unauthorized: authentication required")
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	sum := update(t, e, ApplyOptions{})
	if sum.Failed != 1 {
		t.Fatalf("summary: got %+v, want one failure", sum)
	}
	if diff := cmp.Diff([]string{"pull 127.0.0.1:5000/app:latest"}, rt.callLog()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestConcurrentUpdatesOfOneContainerNeverOverlap(t *testing.T) {
	rt, reg, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			report, err := e.Check(context.Background(), CheckOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			e.Apply(context.Background(), e.Plan(report, PlanOptions{}), ApplyOptions{}, nil)
		})
	}
	wg.Wait()
	if rt.overlap.Load() {
		t.Error("two swaps of app ran at once")
	}
	cs, _ := rt.Containers(context.Background(), true)
	if len(cs) != 1 || cs[0].Name != "app" || cs[0].ImageID != "sha256:img2" {
		t.Errorf("containers after concurrent updates: got %+v, want app once on sha256:img2", cs)
	}
	_ = reg
}

func TestBatchesPutDependenciesFirst(t *testing.T) {
	mk := func(name string, links ...string) Container {
		return Container{ID: fmt.Sprintf("%s%016d", name, 0), Name: name, Links: links, State: "running"}
	}
	db, app, proxy, other := mk("db"), mk("app", "db"), mk("proxy", "app"), mk("other")
	all := []Container{proxy, app, db, other}
	var steps []Step
	for _, c := range all {
		steps = append(steps, Step{Container: c})
	}
	var got [][]string
	for _, b := range batches(steps, all) {
		var names []string
		for _, s := range b {
			names = append(names, s.Container.Name)
		}
		got = append(got, names)
	}
	want := [][]string{{"db", "app", "proxy"}, {"other"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

func update(t *testing.T, e *Engine, opts ApplyOptions) Summary {
	t.Helper()
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return e.Apply(context.Background(), e.Plan(report, PlanOptions{}), opts, nil)
}
