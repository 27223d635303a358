package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// aMove is a pass under version policies: web moved from 1.2 to 1.3, db's
// 16.5 cools down until until, and cache (latest) got a new digest.
func aMove(until time.Time) func() (daemon.Report, engine.Report) {
	return func() (daemon.Report, engine.Report) {
		ref := func(s string) engine.Reference {
			r, err := engine.ParseReference(s)
			if err != nil {
				panic(err)
			}
			return r
		}
		web := engine.Container{ID: hexOf('b'), Name: "web", Image: "example.com/shop/web:1.2", ImageID: digest("0b")}
		db := engine.Container{ID: hexOf('d'), Name: "db", Image: "postgres:16.4", ImageID: digest("0d")}
		cache := engine.Container{ID: hexOf('c'), Name: "cache", Image: "redis", ImageID: digest("0c")}
		webStatus := engine.ContainerStatus{Container: web, LocalDigest: digest("b1"), Status: engine.StatusOutdated, CurrentVersion: "1.2",
			Offer: &engine.Offer{Reference: "example.com/shop/web:1.3", Ref: ref("example.com/shop/web:1.3"), Digest: digest("b3"), Version: "1.3"}}
		dbStatus := engine.ContainerStatus{Container: db, LocalDigest: digest("d1"), Status: engine.StatusOutdated, CurrentVersion: "16.4",
			Note:  "cooling down until " + until.Format(time.RFC3339) + " (--force applies it now)",
			Offer: &engine.Offer{Reference: "postgres:16.5", Ref: ref("postgres:16.5"), Digest: digest("d5"), Version: "16.5", CooldownUntil: until}}
		cacheStatus := engine.ContainerStatus{Container: cache, LocalDigest: digest("c1"), Status: engine.StatusOutdated, CurrentVersion: "7.4.1",
			Offer: &engine.Offer{Reference: "redis:latest", Ref: ref("redis:latest"), Digest: digest("c2"), Version: "7.4.2"}}
		checked := engine.Report{CheckedAt: t0, Groups: []engine.Group{
			{Image: "example.com/shop/web:1.2", RemoteDigest: digest("b1"), Status: engine.StatusOutdated, Containers: []engine.ContainerStatus{webStatus}},
			{Image: "postgres:16.4", RemoteDigest: digest("d1"), Status: engine.StatusOutdated, Containers: []engine.ContainerStatus{dbStatus}},
			{Image: "redis:latest", RemoteDigest: digest("c2"), Status: engine.StatusOutdated, Containers: []engine.ContainerStatus{cacheStatus}},
		}}
		r := daemon.Report{ID: "p2", Started: t0, Finished: t0.Add(time.Minute), Trigger: "schedule"}
		r.Scanned, r.Updated, r.Skipped = 3, 2, 1
		r.Outcomes = []engine.Outcome{
			{Container: "web", Image: "example.com/shop/web:1.3", OldDigest: digest("b1"), NewDigest: digest("b3"), OldVersion: "1.2", NewVersion: "1.3", Result: engine.ResultUpdated},
			{Container: "cache", Image: "redis:latest", OldDigest: digest("c1"), NewDigest: digest("c2"), OldVersion: "7.4.1", NewVersion: "7.4.2", Result: engine.ResultUpdated},
			{Container: "db", Image: "postgres:16.4", OldVersion: "16.4", NewVersion: "16.5", Result: engine.ResultSkipped, Err: errString(dbStatus.Note)},
		}
		r.Stale = []engine.ContainerStatus{webStatus, dbStatus, cacheStatus}
		return r, checked
	}
}

// The default report names the versions of a move to another tag; a new
// digest of the same tag reads as it did in Watchtower. The data carries
// every version, and the offered version's cooldown as EligibleAt.
func TestNotificationsNameVersions(t *testing.T) {
	until := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	got := rendered(t, Options{Report: true, Host: "box"}, aMove(until))
	for _, want := range []string{
		"- /web (example.com/shop/web:1.2): b1b1b1b1b1b1 updated to b3b3b3b3b3b3 (1.2 -> 1.3, example.com/shop/web:1.3)\n",
		"- /cache (redis:latest): c1c1c1c1c1c1 updated to c2c2c2c2c2c2\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report:\n%s\nwant a line %q", got, want)
		}
	}

	r, checked := aMove(until)()
	rep, entries := passData(r, checked, map[string]bool{"db": true}, Options{})
	var db ContainerReport
	for _, c := range rep.Stale {
		if c.Name == "/db" {
			db = c
		}
	}
	if db.CurrentVersion != "16.4" || db.LatestVersion != "16.5" || !db.EligibleAt.Equal(until) || !db.Moved() || db.LatestImageID != ImageID(digest("d5")) {
		t.Errorf("db in the report: got %+v, want 16.4 -> 16.5 eligible at %s, its offered digest as the latest", db, until)
	}
	found := false
	for _, e := range entries {
		found = found || e.Message == "Found new postgres:16.4 image (d5d5d5d5d5d5): 16.4 -> 16.5 (postgres:16.5)"
	}
	if !found {
		t.Errorf("entries: got %+v, want db's finding with its versions", entries)
	}
}

// A finding is notified again when a newer version is offered, even if the
// tag the container runs never moved.
func TestFindingsAreNewPerOfferedVersion(t *testing.T) {
	n := &Notifier{memory: &memory{}}
	offer := func(d string) *engine.Offer { return &engine.Offer{Reference: "app:1.1.0", Digest: d} }
	cs := engine.ContainerStatus{Container: engine.Container{ID: "a", Name: "app", Image: "app:1.0.0"}, Status: engine.StatusOutdated, Offer: offer("sha256:1")}
	checked := engine.Report{Groups: []engine.Group{{Image: "app:1.0.0", RemoteDigest: "sha256:0", Containers: []engine.ContainerStatus{cs}}}}
	r := daemon.Report{Stale: []engine.ContainerStatus{cs}}
	if got := n.newFindings(r, checked); len(got) != 1 {
		t.Fatalf("first finding: got %d, want 1", len(got))
	}
	_ = n.memory.MarkNotified("app", remoteOf(checked, cs))
	if got := n.newFindings(r, checked); len(got) != 0 {
		t.Errorf("same offer again: got %d findings, want none", len(got))
	}
	cs.Offer = offer("sha256:2")
	checked.Groups[0].Containers[0] = cs
	r.Stale[0] = cs
	if got := n.newFindings(r, checked); len(got) != 1 {
		t.Errorf("a newer offer, the tag's own digest unchanged: got %d findings, want 1", len(got))
	}
}
