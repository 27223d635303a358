package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/policy"
	"github.com/cutover/cutover/internal/release"
)

const versionRepo = "127.0.0.1:5000/team/app"

// versionTags are the tags of versionRepo, each at its own digest.
var versionTags = []string{"1.0.0", "1.0.1", "1.1.0", "2.0.0", "2.1.0-rc1", "1.1.0-alpine", "v3"}

func tagDigest(tag string) string {
	for i, t := range versionTags {
		if t == tag {
			return fmt.Sprintf("sha256:%064x", i+1)
		}
	}
	return fmt.Sprintf("sha256:%064x", 999)
}

func tagImageID(tag string) string { return "sha256:img-" + tag }

// versionWorld is a fake engine and registry with versionRepo's tags, each
// pullable, and 1.0.0 present locally.
func versionWorld(t *testing.T, opts Options) (*fakeRuntime, *fakeCatalog, *Engine) {
	t.Helper()
	rt := newFakeRuntime()
	cat := newFakeCatalog(&fakeRegistry{digests: map[string]string{}})
	for _, tag := range versionTags {
		ref := versionRepo + ":" + tag
		cat.digests[ref] = tagDigest(tag)
		rt.serves[ref] = Image{ID: tagImageID(tag), RepoDigests: []string{versionRepo + "@" + tagDigest(tag)}}
	}
	cat.tags[versionRepo] = append([]string(nil), versionTags...)
	rt.addImage(versionRepo+":1.0.0", tagImageID("1.0.0"), tagDigest("1.0.0"))
	return rt, cat, New(rt, cat, nil, nil, opts)
}

// onVersion adds a running container on versionRepo:tag with labels.
func onVersion(rt *fakeRuntime, name, tag string, labels map[string]string) {
	id := fmt.Sprintf("%-16s", name)
	id = strings.ReplaceAll(id, " ", "0")
	rt.addContainer(Container{ID: id, Name: name, Image: versionRepo + ":" + tag, ImageID: tagImageID(tag), Labels: labels})
}

func statusOf(t *testing.T, r Report, name string) ContainerStatus {
	t.Helper()
	for _, g := range r.Groups {
		for _, c := range g.Containers {
			if c.Container.Name == name {
				return c
			}
		}
	}
	t.Fatalf("no status for %s in %+v", name, r)
	return ContainerStatus{}
}

func check(t *testing.T, e *Engine) Report {
	t.Helper()
	r, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckOffersTheTagEachPolicyChooses(t *testing.T) {
	rt, cat, e := versionWorld(t, fastOptions())
	rt.addImage("127.0.0.1:5000/team/other:latest", "sha256:other", tagDigest("x"))
	cat.digests["127.0.0.1:5000/team/other:latest"] = tagDigest("x")
	policyLabel := func(p string) map[string]string { return map[string]string{"cutover.policy": p} }
	onVersion(rt, "digest", "1.0.0", nil)
	onVersion(rt, "patch", "1.0.0", policyLabel("patch"))
	onVersion(rt, "minor", "1.0.0", policyLabel("minor"))
	onVersion(rt, "major", "1.0.0", policyLabel("Major"))
	onVersion(rt, "include", "1.0.0", map[string]string{"cutover.policy": "major", "cutover.tag.include": `^1\.`})
	onVersion(rt, "exclude", "1.0.0", map[string]string{"cutover.policy": "major", "cutover.tag.exclude": `^2\.`})
	onVersion(rt, "watchtower-label", "1.0.0", map[string]string{"com.centurylinklabs.watchtower.policy": "patch"})
	onVersion(rt, "bad-policy", "1.0.0", policyLabel("newest"))
	onVersion(rt, "bad-pattern", "1.0.0", map[string]string{"cutover.policy": "minor", "cutover.tag.include": "("})
	rt.addContainer(Container{ID: "l000000000000000", Name: "latest", Image: "127.0.0.1:5000/team/other", ImageID: "sha256:other", Labels: policyLabel("minor")})

	r := check(t, e)
	type row struct {
		Status  Status
		Policy  policy.Policy
		Current string
		Offered string
		Digest  string
		Why     string
	}
	got := map[string]row{}
	for _, g := range r.Groups {
		for _, cs := range g.Containers {
			rw := row{Status: cs.Status, Policy: cs.Policy, Current: cs.CurrentVersion, Why: cs.Reason + cs.Note}
			if cs.Offer != nil {
				rw.Offered, rw.Digest = cs.Offer.Reference, cs.Offer.Digest
			}
			got[cs.Container.Name] = rw
		}
	}
	at := func(tag string) (string, string) { return versionRepo + ":" + tag, tagDigest(tag) }
	offer := func(s Status, p policy.Policy, tag string) row {
		ref, d := at(tag)
		return row{Status: s, Policy: p, Current: "1.0.0", Offered: ref, Digest: d}
	}
	want := map[string]row{
		"digest":           {Status: StatusUpToDate, Policy: policy.Digest, Current: "1.0.0"},
		"patch":            offer(StatusOutdated, policy.Patch, "1.0.1"),
		"minor":            offer(StatusOutdated, policy.Minor, "1.1.0"),
		"major":            offer(StatusOutdated, policy.Major, "2.0.0"),
		"include":          offer(StatusOutdated, policy.Major, "1.1.0"),
		"exclude":          offer(StatusOutdated, policy.Major, "1.1.0"),
		"watchtower-label": offer(StatusOutdated, policy.Patch, "1.0.1"),
		"bad-policy":       {Status: StatusUnknown, Why: `label cutover.policy: policy "newest" is not one of digest, patch, minor, major`},
		"bad-pattern":      {Status: StatusUnknown},
		"latest":           {Status: StatusUpToDate, Policy: policy.Digest, Current: "latest", Why: `tag "latest" has no version number, so the minor policy cannot apply: following its digest`},
	}
	for _, name := range []string{"patch", "minor", "include", "exclude", "watchtower-label"} {
		w := want[name]
		if name != "include" && name != "exclude" {
			w.Why = "2.0.0 is out, beyond the " + string(w.Policy) + " policy"
		}
		want[name] = w
	}
	if w := got["bad-pattern"]; w.Status == StatusUnknown && strings.Contains(w.Why, "tag include pattern") {
		want["bad-pattern"] = row{Status: StatusUnknown, Why: w.Why}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses by container (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{versionRepo: 1}, cat.tagRequests); diff != "" {
		t.Errorf("tag lists asked for, by repository (-want +got):\n%s", diff)
	}
	for ref, n := range cat.requests {
		if n != 1 {
			t.Errorf("digest of %s asked %d times, want once", ref, n)
		}
	}
	if n := cat.requests[versionRepo+":2.1.0-rc1"] + cat.requests[versionRepo+":v3"] + cat.requests[versionRepo+":1.1.0-alpine"]; n != 0 {
		t.Errorf("digests of tags never offered asked %d times, want 0", n)
	}
}

func TestCheckKeepsTheTagsShapeAndPreReleases(t *testing.T) {
	rt, cat, e := versionWorld(t, fastOptions())
	cat.tags[versionRepo] = append(cat.tags[versionRepo], "1.2.0-alpine", "v3.1", "v4", "2.1.0-rc2")
	for _, tag := range []string{"1.2.0-alpine", "v3.1", "v4", "2.1.0-rc2"} {
		cat.digests[versionRepo+":"+tag] = "sha256:" + strings.Repeat("e", 64)
	}
	rt.addImage(versionRepo+":1.1.0-alpine", tagImageID("1.1.0-alpine"), tagDigest("1.1.0-alpine"))
	rt.addImage(versionRepo+":v3", tagImageID("v3"), tagDigest("v3"))
	rt.addImage(versionRepo+":2.1.0-rc1", tagImageID("2.1.0-rc1"), tagDigest("2.1.0-rc1"))
	major := map[string]string{"cutover.policy": "major"}
	onVersion(rt, "alpine", "1.1.0-alpine", major)
	onVersion(rt, "prefixed", "v3", major)
	onVersion(rt, "rc", "2.1.0-rc1", major)
	r := check(t, e)
	for name, want := range map[string]string{"alpine": "1.2.0-alpine", "prefixed": "v4", "rc": "2.1.0-rc2"} {
		cs := statusOf(t, r, name)
		if cs.Offer == nil || cs.Offer.Ref.Tag != want {
			t.Errorf("%s: got offer %+v, want tag %s", name, cs.Offer, want)
		}
	}
}

func TestCheckTellsWhatChanged(t *testing.T) {
	rt, cat, e := versionWorld(t, fastOptions())
	built := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cat.images[versionRepo+"@"+tagDigest("1.1.0")] = release.Image{Digest: tagDigest("1.1.0"), Created: built, Labels: map[string]string{
		release.LabelVersion: "v1.1.0", release.LabelSource: "https://github.com/team/app",
	}}
	onVersion(rt, "minor", "1.0.0", map[string]string{"cutover.policy": "minor"})
	// Under digest, the version is the image's label: latest says nothing.
	rt.addImage(versionRepo+":latest", "sha256:img-latest-old", "sha256:"+strings.Repeat("a", 64))
	rt.images["sha256:img-latest-old"] = Image{ID: "sha256:img-latest-old", RepoDigests: []string{versionRepo + "@sha256:" + strings.Repeat("a", 64)}, Labels: map[string]string{release.LabelVersion: "1.0.9"}}
	cat.digests[versionRepo+":latest"] = tagDigest("1.1.0")
	rt.addContainer(Container{ID: "t000000000000000", Name: "latest", Image: versionRepo, ImageID: "sha256:img-latest-old"})

	r := check(t, e)
	for _, tc := range []struct {
		name, current, version, url string
	}{
		{"minor", "1.0.0", "1.1.0", "https://github.com/team/app/releases/tag/v1.1.0"},
		{"latest", "1.0.9", "v1.1.0", "https://github.com/team/app/releases/tag/v1.1.0"},
	} {
		cs := statusOf(t, r, tc.name)
		if cs.Offer == nil {
			t.Fatalf("%s: got no offer, want %s", tc.name, tc.version)
		}
		got := []string{cs.CurrentVersion, cs.Offer.Version, cs.Offer.ReleaseURL, cs.Offer.Created.Format(time.RFC3339)}
		want := []string{tc.current, tc.version, tc.url, built.Format(time.RFC3339)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: current, offered version, release URL, created (-want +got):\n%s", tc.name, diff)
		}
	}
	if n := cat.imageRequests[versionRepo+"@"+tagDigest("1.1.0")]; n != 1 {
		t.Errorf("configuration of the offered image asked %d times, want once for both containers", n)
	}
}

func TestCheckFallsBackToTheDigestWhenTagsCannotBeListed(t *testing.T) {
	rt, cat, e := versionWorld(t, fastOptions())
	cat.tagErrs[versionRepo] = errors.New("registry answered 401 Unauthorized")
	cat.digests[versionRepo+":1.0.0"] = "sha256:" + strings.Repeat("f", 64)
	onVersion(rt, "minor", "1.0.0", map[string]string{"cutover.policy": "minor"})
	cs := statusOf(t, check(t, e), "minor")
	if cs.Status != StatusOutdated || cs.Offer == nil || cs.Offer.Reference != versionRepo+":1.0.0" || !strings.Contains(cs.Note, "cannot list the tags") {
		t.Errorf("got %s offer %+v note %q, want the new digest of 1.0.0 offered and the tag list's failure said", cs.Status, cs.Offer, cs.Note)
	}
}

func TestResyncReusesTheRegistrysAnswers(t *testing.T) {
	rt, cat, e := versionWorld(t, fastOptions())
	onVersion(rt, "minor", "1.0.0", map[string]string{"cutover.policy": "minor"})
	ctx := context.Background()
	cs, _ := e.Containers(ctx, false)
	first, err := e.CheckContainers(ctx, cs, Remote{})
	if err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprint(cat.requests, cat.tagRequests)
	again, err := e.CheckContainers(ctx, cs, first.Remote)
	if err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprint(cat.requests, cat.tagRequests); after != before {
		t.Errorf("requests after a resync: got %s, want %s unchanged", after, before)
	}
	if o := statusOf(t, again, "minor").Offer; o == nil || o.Ref.Tag != "1.1.0" {
		t.Errorf("resync: got offer %+v, want 1.1.0", o)
	}
}

func TestUpdateMovesToTheOfferedTag(t *testing.T) {
	rt, _, e := versionWorld(t, fastOptions())
	onVersion(rt, "app", "1.0.0", map[string]string{"cutover.policy": "minor", "keep": "me"})
	plan := e.Plan(check(t, e), PlanOptions{})
	if len(plan.Steps) != 1 {
		t.Fatalf("plan: got %+v, want one step", plan)
	}
	s := plan.Steps[0]
	if s.Image != versionRepo+":1.1.0" || s.FromVersion != "1.0.0" || s.ToVersion != "1.1.0" || s.ToDigest != tagDigest("1.1.0") {
		t.Errorf("step: got image %s %s -> %s digest %s, want %s:1.1.0 1.0.0 -> 1.1.0 at %s", s.Image, s.FromVersion, s.ToVersion, s.ToDigest, versionRepo, tagDigest("1.1.0"))
	}
	sum := e.Apply(context.Background(), plan, ApplyOptions{}, nil)
	if sum.Updated != 1 {
		t.Fatalf("apply: got %+v, want one updated", sum)
	}
	o := sum.Outcomes[0]
	if o.Image != versionRepo+":1.1.0" || o.OldVersion != "1.0.0" || o.NewVersion != "1.1.0" || o.NewDigest != tagDigest("1.1.0") {
		t.Errorf("outcome: got %+v, want the move to 1.1.0 named", o)
	}
	c := only(t, rt, "app")
	if c.Image != versionRepo+":1.1.0" || c.ImageID != tagImageID("1.1.0") || c.Labels["keep"] != "me" || !c.Running() {
		t.Errorf("app: got %s on %s labels %v state %s, want it running %s:1.1.0 with its labels", c.Image, c.ImageID, c.Labels, c.State, versionRepo)
	}
	if cs := statusOf(t, check(t, e), "app"); cs.Status != StatusUpToDate || cs.Offer != nil {
		t.Errorf("check after the move: got %s offer %+v, want up to date under minor", cs.Status, cs.Offer)
	}
}

func TestMoveToATagOfTheSameImageRecreates(t *testing.T) {
	rt, _, e := versionWorld(t, fastOptions())
	rt.serves[versionRepo+":1.0.1"] = Image{ID: tagImageID("1.0.0"), RepoDigests: []string{versionRepo + "@" + tagDigest("1.0.1")}}
	onVersion(rt, "app", "1.0.0", map[string]string{"cutover.policy": "patch"})
	sum := e.Apply(context.Background(), e.Plan(check(t, e), PlanOptions{}), ApplyOptions{}, nil)
	if sum.Updated != 1 {
		t.Fatalf("apply: got %+v, want app moved though both tags name one image", sum.Outcomes)
	}
	if c := only(t, rt, "app"); c.Image != versionRepo+":1.0.1" {
		t.Errorf("app: got %s, want %s:1.0.1", c.Image, versionRepo)
	}
}

func TestMoveIsNotMadeWhenTheContainerChangedSinceTheCheck(t *testing.T) {
	rt, _, e := versionWorld(t, fastOptions())
	onVersion(rt, "app", "1.0.0", map[string]string{"cutover.policy": "minor"})
	plan := e.Plan(check(t, e), PlanOptions{})
	rt.mu.Lock()
	rt.byName("app").Image = versionRepo + ":2.0.0"
	rt.mu.Unlock()
	sum := e.Apply(context.Background(), plan, ApplyOptions{}, nil)
	if sum.Updated != 0 || sum.Outcomes[0].Result != ResultSkipped || !strings.Contains(sum.Outcomes[0].Err.Error(), "changed") {
		t.Errorf("apply: got %+v, want the move skipped: a deploy moved the container since", sum.Outcomes)
	}
}

func TestRolledBackMoveIsHeld(t *testing.T) {
	rt, cat, _ := versionWorld(t, fastOptions())
	holds := &memHolds{}
	opts := fastOptions()
	opts.Holds = holds
	e := New(rt, cat, nil, nil, opts)
	rt.startState[versionRepo+":1.1.0"] = HealthState{State: StateExited, ExitCode: 3}
	onVersion(rt, "app", "1.0.0", map[string]string{"cutover.policy": "minor"})
	sum := e.Apply(context.Background(), e.Plan(check(t, e), PlanOptions{}), ApplyOptions{}, nil)
	if o := sum.Outcomes[0]; o.Result != ResultRolledBack {
		t.Fatalf("apply: got %+v, want rolled back", o)
	}
	if c := only(t, rt, "app"); c.Image != versionRepo+":1.0.0" || !c.Running() {
		t.Errorf("app after the rollback: got %s %s, want running %s:1.0.0", c.Image, c.State, versionRepo)
	}
	cs := statusOf(t, check(t, e), "app")
	if cs.Held == nil || cs.Held.Image != versionRepo+":1.1.0" || cs.Held.Version != "1.1.0" || cs.Held.By != "" || !strings.HasPrefix(cs.Note, "held since") {
		t.Fatalf("check after the rollback: got held %+v note %q, want 1.1.0 held after the rollback", cs.Held, cs.Note)
	}
	if p := e.Plan(check(t, e), PlanOptions{Periodic: true}); len(p.Steps) != 0 {
		t.Errorf("periodic plan: got %+v, want nothing: 1.1.0 is held", p.Steps)
	}
}

func TestCooldown(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	built := now.Add(-time.Hour)
	newWorld := func(delay time.Duration, labels map[string]string) (*fakeRuntime, *Engine, *memSightings) {
		rt, cat, _ := versionWorld(t, fastOptions())
		cat.images[versionRepo+"@"+tagDigest("1.1.0")] = release.Image{Digest: tagDigest("1.1.0"), Created: built}
		sightings := &memSightings{}
		opts := fastOptions()
		opts.CooldownDelay, opts.Sightings, opts.Now = delay, sightings, func() time.Time { return now }
		if labels == nil {
			labels = map[string]string{}
		}
		labels["cutover.policy"] = "minor"
		onVersion(rt, "app", "1.0.0", labels)
		return rt, New(rt, cat, nil, nil, opts), sightings
	}

	t.Run("young version waits unless forced", func(t *testing.T) {
		_, e, _ := newWorld(72*time.Hour, nil)
		r := check(t, e)
		cs := statusOf(t, r, "app")
		// Seen for the first time now, an hour after its build.
		wantUntil := now.Add(72 * time.Hour)
		if cs.Offer == nil || !cs.Offer.CooldownUntil.Equal(wantUntil) || !strings.HasPrefix(cs.Note, "cooling down until "+wantUntil.Format(time.RFC3339)) {
			t.Fatalf("got offer %+v note %q, want 1.1.0 cooling down until %s", cs.Offer, cs.Note, wantUntil)
		}
		for _, opts := range []PlanOptions{{Periodic: true}, {}, {Explicit: true}} {
			if p := e.Plan(r, opts); len(p.Steps) != 0 || len(p.Skipped) != 1 || !strings.HasPrefix(p.Skipped[0].Reason, "cooling down") {
				t.Errorf("plan %+v: got %+v, want app skipped while cooling down", opts, p)
			}
		}
		if p := e.Plan(r, PlanOptions{Explicit: true, Force: true}); len(p.Steps) != 1 {
			t.Errorf("forced plan: got %+v, want app updated", p)
		}
	})
	t.Run("the clock starts at the build when later than the first sighting", func(t *testing.T) {
		_, e, sightings := newWorld(72*time.Hour, nil)
		sightings.m = map[string]time.Time{versionRepo + "@" + tagDigest("1.1.0"): built.Add(-24 * time.Hour)}
		if o := statusOf(t, check(t, e), "app").Offer; o == nil || !o.CooldownUntil.Equal(built.Add(72*time.Hour)) {
			t.Errorf("got %+v, want cooling down until %s", o, built.Add(72*time.Hour))
		}
	})
	t.Run("the clock starts at the first sighting when later than the build", func(t *testing.T) {
		_, e, sightings := newWorld(72*time.Hour, nil)
		seen := now.Add(-30 * time.Minute)
		sightings.m = map[string]time.Time{versionRepo + "@" + tagDigest("1.1.0"): seen}
		if o := statusOf(t, check(t, e), "app").Offer; o == nil || !o.CooldownUntil.Equal(seen.Add(72*time.Hour)) {
			t.Errorf("got %+v, want cooling down until %s", o, seen.Add(72*time.Hour))
		}
	})
	t.Run("an old version is not held back", func(t *testing.T) {
		_, e, sightings := newWorld(30*time.Minute, nil)
		sightings.m = map[string]time.Time{versionRepo + "@" + tagDigest("1.1.0"): built}
		r := check(t, e)
		if cs := statusOf(t, r, "app"); cs.Offer == nil || !cs.Offer.CooldownUntil.IsZero() {
			t.Errorf("got %+v, want no cooldown", cs.Offer)
		}
		if p := e.Plan(r, PlanOptions{}); len(p.Steps) != 1 {
			t.Errorf("plan: got %+v, want app updated", p)
		}
	})
	t.Run("label overrides the flag", func(t *testing.T) {
		_, e, _ := newWorld(72*time.Hour, map[string]string{"cutover.cooldown": "0"})
		if o := statusOf(t, check(t, e), "app").Offer; o == nil || !o.CooldownUntil.IsZero() {
			t.Errorf("cooldown label 0: got %+v, want no cooldown", o)
		}
		_, e, _ = newWorld(0, map[string]string{"com.centurylinklabs.watchtower.cooldown-delay": "1w"})
		if o := statusOf(t, check(t, e), "app").Offer; o == nil || !o.CooldownUntil.Equal(now.Add(7*24*time.Hour)) {
			t.Errorf("Watchtower's cooldown-delay label 1w: got %+v, want a week's cooldown", o)
		}
	})
	t.Run("a bad label is the container's reason", func(t *testing.T) {
		_, e, _ := newWorld(0, map[string]string{"cutover.cooldown": "three days"})
		cs := statusOf(t, check(t, e), "app")
		if cs.Status != StatusUnknown || !strings.Contains(cs.Reason, `label cooldown: cooldown "three days"`) {
			t.Errorf("got %s %q, want unknown with the label's error", cs.Status, cs.Reason)
		}
	})
	t.Run("without sightings nor build time the cooldown starts now", func(t *testing.T) {
		rt, cat, _ := versionWorld(t, fastOptions())
		opts := fastOptions()
		opts.CooldownDelay, opts.Now = time.Hour, func() time.Time { return now }
		onVersion(rt, "app", "1.0.0", map[string]string{"cutover.policy": "minor"})
		e := New(rt, cat, nil, nil, opts)
		if o := statusOf(t, check(t, e), "app").Offer; o == nil || !o.CooldownUntil.Equal(now.Add(time.Hour)) {
			t.Errorf("got %+v, want cooling down until %s", o, now.Add(time.Hour))
		}
	})
}

func TestParseCooldown(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "90s": 90 * time.Second, "30m": 30 * time.Minute, "24h": 24 * time.Hour, "3d": 72 * time.Hour,
		"3d12h": 84 * time.Hour, "1w": 7 * 24 * time.Hour, "1M": 30 * 24 * time.Hour, " 1.5h ": 90 * time.Minute, "0s": 0,
	} {
		if got, err := ParseCooldown(in); err != nil || got != want {
			t.Errorf("ParseCooldown(%q): got %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "3", "d", "-1h", "3 days", "1y", "400d", "1..5h", "h3"} {
		if got, err := ParseCooldown(in); err == nil {
			t.Errorf("ParseCooldown(%q): got %s, want an error", in, got)
		}
	}
}

func TestSkipHoldsTheOfferedVersionUntilUndone(t *testing.T) {
	rt, cat, _ := versionWorld(t, fastOptions())
	holds := &memHolds{}
	opts := fastOptions()
	opts.Holds = holds
	e := New(rt, cat, nil, nil, opts)
	onVersion(rt, "app", "1.0.0", map[string]string{"cutover.policy": "minor"})
	onVersion(rt, "fresh", "1.0.0", nil)
	ctx := context.Background()
	r := check(t, e)
	if _, err := e.Skip(ctx, statusOf(t, r, "fresh"), "admin"); !errors.Is(err, ErrNoOffer) {
		t.Errorf("skip of an up-to-date container: got %v, want ErrNoOffer", err)
	}
	h, err := e.Skip(ctx, statusOf(t, r, "app"), "admin")
	if err != nil || h.Version != "1.1.0" || h.By != "admin" {
		t.Fatalf("skip: got %+v, %v; want 1.1.0 skipped by admin", h, err)
	}
	r = check(t, e)
	cs := statusOf(t, r, "app")
	if cs.Held == nil || cs.Held.By != "admin" || !strings.HasPrefix(cs.Note, "skipped by admin") {
		t.Errorf("check after the skip: got held %+v note %q, want skipped by admin", cs.Held, cs.Note)
	}
	if p := e.Plan(r, PlanOptions{Periodic: true}); len(p.Steps) != 0 {
		t.Errorf("periodic plan after the skip: got %+v, want nothing", p.Steps)
	}
	if p := e.Plan(r, PlanOptions{Explicit: true}); len(p.Steps) != 1 {
		t.Errorf("plan asked for by name: got %+v, want app updated", p.Steps)
	}

	cat.tags[versionRepo] = append(cat.tags[versionRepo], "1.2.0")
	cat.digests[versionRepo+":1.2.0"] = "sha256:" + strings.Repeat("c", 64)
	if cs := statusOf(t, check(t, e), "app"); cs.Held != nil || cs.Offer == nil || cs.Offer.Ref.Tag != "1.2.0" {
		t.Errorf("check once 1.2.0 is out: got held %+v offer %+v, want 1.2.0 offered, not held", cs.Held, cs.Offer)
	}
	cat.tags[versionRepo] = versionTags
	if cs := statusOf(t, check(t, e), "app"); cs.Held == nil {
		t.Errorf("check with 1.1.0 offered again: got no hold, want the skip kept")
	}
	if err := e.Unskip(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if cs := statusOf(t, check(t, e), "app"); cs.Held != nil || cs.Note != "2.0.0 is out, beyond the minor policy" {
		t.Errorf("check after undoing the skip: got held %+v note %q, want nothing held", cs.Held, cs.Note)
	}
}

func TestPinnedContainerIsTrackedAndRepinnedOnlyWhenAsked(t *testing.T) {
	rt, cat, e := versionWorld(t, fastOptions())
	old := tagDigest("1.0.0")
	moved := "sha256:" + strings.Repeat("d", 64)
	cat.digests[versionRepo+":1.0.0"] = moved
	pinned := versionRepo + ":1.0.0@" + old
	repinned := versionRepo + ":1.0.0@" + moved
	rt.serves[repinned] = Image{ID: "sha256:img-moved", RepoDigests: []string{versionRepo + "@" + moved}}
	rt.addContainer(Container{ID: "p000000000000000", Name: "pinned", Image: pinned, ImageID: tagImageID("1.0.0")})
	rt.addContainer(Container{ID: "q000000000000000", Name: "bare", Image: versionRepo + "@" + old, ImageID: tagImageID("1.0.0")})

	r := check(t, e)
	cs := statusOf(t, r, "pinned")
	if cs.Status != StatusOutdated || !cs.Pinned || cs.Offer == nil || cs.Offer.Reference != repinned || cs.LocalDigest != old {
		t.Fatalf("pinned: got %s pinned=%v offer %+v local %s, want outdated, %s offered", cs.Status, cs.Pinned, cs.Offer, cs.LocalDigest, repinned)
	}
	if want := "pinned to " + ShortDigest(old) + "; the tag has moved to " + ShortDigest(moved); !strings.HasPrefix(cs.Note, want) {
		t.Errorf("pinned note: got %q, want it to start with %q", cs.Note, want)
	}
	if bare := statusOf(t, r, "bare"); bare.Status != StatusUnknown || !strings.Contains(bare.Reason, "no tag") {
		t.Errorf("pinned without tag: got %s %q, want unknown: there is no tag to follow", bare.Status, bare.Reason)
	}
	for _, opts := range []PlanOptions{{Periodic: true}, {}} {
		if p := e.Plan(r, opts); len(p.Steps) != 0 {
			t.Errorf("plan %+v: got %+v, want the pinned container left alone", opts, p.Steps)
		}
	}
	p := e.Plan(r, PlanOptions{Explicit: true})
	p.Skipped = nil
	rt.mu.Lock()
	delete(rt.containers, "q000000000000000")
	rt.mu.Unlock()
	if len(p.Steps) != 1 || p.Steps[0].Image != repinned {
		t.Fatalf("plan asked for by name: got %+v, want a re-pin to %s", p.Steps, repinned)
	}
	if sum := e.Apply(context.Background(), p, ApplyOptions{}, nil); sum.Updated != 1 {
		t.Fatalf("apply: got %+v, want the re-pin done", sum.Outcomes)
	}
	if c := only(t, rt, "pinned"); c.Image != repinned || c.ImageID != "sha256:img-moved" {
		t.Errorf("pinned after the re-pin: got %s on %s, want %s", c.Image, c.ImageID, repinned)
	}
	if cs := statusOf(t, check(t, e), "pinned"); cs.Status != StatusUpToDate || cs.Offer != nil {
		t.Errorf("check after the re-pin: got %s offer %+v, want up to date", cs.Status, cs.Offer)
	}
}
