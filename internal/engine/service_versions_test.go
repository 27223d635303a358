package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/policy"
	"github.com/cutover/cutover/internal/release"
)

// oldDigest is a digest of versionRepo:1.0.0 the registry has moved past.
var oldDigest = "sha256:" + strings.Repeat("0", 64)

// serviceVersionWorld is versionWorld on a Swarm manager, with service svc
// pinned by Swarm to an older digest of versionRepo:1.0.0, with labels.
func serviceVersionWorld(t *testing.T, opts Options, labels map[string]string) (*fakeRuntime, *fakeCatalog, *Engine) {
	t.Helper()
	opts.ServicePoll = time.Millisecond
	if opts.Holds == nil {
		opts.Holds = &memHolds{}
	}
	rt, cat, _ := versionWorld(t, opts)
	sw := rt.withSwarm()
	sw.addService("svcsvc0000000000000000001", "svc", versionRepo+":1.0.0@"+oldDigest, replicated(2), labels)
	return rt, cat, New(rt, cat, nil, nil, opts)
}

func TestServiceFollowsItsTagsDigestUnderATagPolicy(t *testing.T) {
	opts := fastOptions()
	opts.Policy = policy.Minor
	rt, cat, e := serviceVersionWorld(t, opts, nil)
	rt.swarm.addService("svcmaj0000000000000000001", "major", versionRepo+":1.0.0@"+oldDigest, replicated(1), map[string]string{"cutover.policy": "major"})
	onVersion(rt, "app", "1.0.0", nil)

	r := check(t, e)
	type row struct {
		Status  Status
		Policy  policy.Policy
		Current string
		Offered string
		Digest  string
		Note    string
	}
	got := map[string]row{}
	for _, name := range []string{"app", "svc", "major"} {
		cs := statusOf(t, r, name)
		rw := row{Status: cs.Status, Policy: cs.Policy, Current: cs.CurrentVersion, Note: cs.Why()}
		if cs.Offer != nil {
			rw.Offered, rw.Digest = cs.Offer.Reference, cs.Offer.Digest
		}
		got[name] = rw
	}
	want := map[string]row{
		"app": {Status: StatusOutdated, Policy: policy.Minor, Current: "1.0.0", Offered: versionRepo + ":1.1.0", Digest: tagDigest("1.1.0"),
			Note: "2.0.0 is out, beyond the minor policy"},
		"svc": {Status: StatusOutdated, Policy: policy.Digest, Current: "1.0.0", Offered: versionRepo + ":1.0.0", Digest: tagDigest("1.0.0"),
			Note: "a Swarm service follows its tag's digest: the minor policy moves containers only"},
		"major": {Status: StatusOutdated, Policy: policy.Digest, Current: "1.0.0", Offered: versionRepo + ":1.0.0", Digest: tagDigest("1.0.0"),
			Note: "a Swarm service follows its tag's digest: the major policy moves containers only"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := cat.requests[versionRepo+":1.0.0"]; n != 1 {
		t.Errorf("digest of %s:1.0.0 asked %d times, want once for the container and both services", versionRepo, n)
	}

	sum := e.Apply(context.Background(), e.Plan(r, PlanOptions{}), ApplyOptions{}, nil)
	if sum.Updated != 3 {
		t.Fatalf("apply: got %+v, want app, svc and major updated", sum.Outcomes)
	}
	for _, name := range []string{"svc", "major"} {
		svc, err := rt.Service(context.Background(), name)
		if err != nil || svc.Image != versionRepo+":1.0.0" || svc.Digest != tagDigest("1.0.0") {
			t.Errorf("service %s after the update: got %s@%s (%v), want %s:1.0.0@%s", name, svc.Image, svc.Digest, err, versionRepo, tagDigest("1.0.0"))
		}
	}
	if c := only(t, rt, "app"); c.Image != versionRepo+":1.1.0" {
		t.Errorf("app after the update: got %s, want %s:1.1.0", c.Image, versionRepo)
	}
}

func TestServiceIsNeverPinned(t *testing.T) {
	// Swarm pins every service's digest; the tag is what its owner chose.
	rt, _, e := serviceVersionWorld(t, fastOptions(), nil)
	r := check(t, e)
	cs := statusOf(t, r, "svc")
	if cs.Pinned || cs.Offer == nil || cs.Offer.Reference != versionRepo+":1.0.0" || cs.Note != "" {
		t.Fatalf("svc: got pinned %v offer %+v note %q, want the tag's new digest offered, not pinned", cs.Pinned, cs.Offer, cs.Note)
	}
	p := e.Plan(r, PlanOptions{Periodic: true})
	if len(p.Steps) != 1 || p.Steps[0].Container.Name != "svc" {
		t.Fatalf("periodic plan: got steps %+v skipped %+v, want svc updated without being asked by name", p.Steps, p.Skipped)
	}
	if o := e.Apply(context.Background(), p, ApplyOptions{}, nil).Outcomes[0]; o.Result != ResultUpdated || o.OldVersion != "1.0.0" || o.NewVersion != "1.0.0" {
		t.Errorf("outcome: got %s %s -> %s (%v), want updated, 1.0.0 at a new digest", o.Result, o.OldVersion, o.NewVersion, o.Err)
	}
	want := []string{"service-update svc to " + versionRepo + ":1.0.0@" + tagDigest("1.0.0") + ` as ""`}
	if diff := cmp.Diff(want, rt.callLog()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestServiceCooldownAndSkip(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	holds := &memHolds{}
	opts := fastOptions()
	opts.CooldownDelay, opts.Sightings, opts.Holds, opts.Now = 72*time.Hour, &memSightings{}, holds, func() time.Time { return now }
	rt, cat, e := serviceVersionWorld(t, opts, nil)
	cat.images[versionRepo+"@"+tagDigest("1.0.0")] = release.Image{Digest: tagDigest("1.0.0"), Created: now.Add(-time.Hour),
		Labels: map[string]string{release.LabelVersion: "1.0.0-build2"}}

	r := check(t, e)
	cs := statusOf(t, r, "svc")
	until := now.Add(72 * time.Hour)
	if cs.Offer == nil || !cs.Offer.CooldownUntil.Equal(until) || cs.Offer.Version != "1.0.0-build2" || !strings.HasPrefix(cs.Note, "cooling down until") {
		t.Fatalf("svc: got offer %+v note %q, want 1.0.0-build2 cooling down until %s", cs.Offer, cs.Note, until)
	}
	if p := e.Plan(r, PlanOptions{Explicit: true}); len(p.Steps) != 0 || len(p.Skipped) != 1 || !strings.HasPrefix(p.Skipped[0].Reason, "cooling down") {
		t.Errorf("plan by name: got steps %+v skipped %+v, want svc cooling down", p.Steps, p.Skipped)
	}
	if p := e.Plan(r, PlanOptions{Explicit: true, Force: true}); len(p.Steps) != 1 {
		t.Errorf("forced plan: got %+v, want svc updated", p)
	}

	// Skipped by a person: left alone by passes, taken when asked by name.
	if _, err := e.Skip(context.Background(), cs, "admin"); err != nil {
		t.Fatal(err)
	}
	r = check(t, e)
	if cs := statusOf(t, r, "svc"); cs.Held == nil || !cs.Skipped() || !strings.HasPrefix(cs.Note, "skipped by admin") {
		t.Errorf("svc after the skip: got held %+v note %q, want skipped by admin", cs.Held, cs.Note)
	}
	if p := e.Plan(r, PlanOptions{Periodic: true, Force: true}); len(p.Steps) != 0 {
		t.Errorf("periodic plan after the skip: got %+v, want nothing", p.Steps)
	}
	sum := e.Apply(context.Background(), e.Plan(r, PlanOptions{Explicit: true, Force: true}), ApplyOptions{}, nil)
	if sum.Updated != 1 {
		t.Fatalf("update by name: got %+v, want svc updated", sum.Outcomes)
	}
	if svc, _ := rt.Service(context.Background(), "svc"); svc.Digest != tagDigest("1.0.0") {
		t.Errorf("svc after its update by name: got %s, want %s", svc.Digest, tagDigest("1.0.0"))
	}
}

func TestTaskContainerOnAPinnedReferenceIsLeftToSwarm(t *testing.T) {
	// A task's container runs "repo:tag@sha256:...", the form a container
	// pinned by a person has: it must not be re-pinned behind Swarm's back.
	rt, _, e := serviceVersionWorld(t, fastOptions(), nil)
	rt.addContainer(Container{
		ID: "ta5k000000000000", Name: "svc.1.x7k2", Image: versionRepo + ":1.0.0@" + oldDigest, ImageID: "sha256:img-old",
		Labels: map[string]string{"com.docker.swarm.service.name": "svc", "com.docker.swarm.service.id": "svcsvc0000000000000000001", "com.docker.swarm.task.id": "x7k2"},
	})
	r := check(t, e)
	task := statusOf(t, r, "svc.1.x7k2")
	want := "a task of Swarm service svc: cutover updates the service, and Swarm its tasks"
	if task.Status != StatusUnknown || task.Reason != want || task.Pinned || task.Offer != nil || task.AutoUpdate {
		t.Errorf("task container: got %s %q pinned %v offer %+v auto-update %v, want unknown %q with nothing offered", task.Status, task.Reason, task.Pinned, task.Offer, task.AutoUpdate, want)
	}
	p := e.Plan(r, PlanOptions{Explicit: true, Repin: true, Force: true})
	for _, s := range p.Steps {
		if s.Container.Name == "svc.1.x7k2" {
			t.Errorf("plan by name: got a step for the task container: %+v", s)
		}
	}
}
