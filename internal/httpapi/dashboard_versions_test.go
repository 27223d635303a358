package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/policy"
)

// versionsReport is a check under version policies: app moves 1.4.2 to
// 1.9.0, cooling down; db's offered 16.5 was skipped; cache is pinned and
// its tag moved; web runs latest, up to date.
func versionsReport() engine.Report {
	checked := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	built := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	repo := "127.0.0.1:5000/team/app"
	ref := func(s string) engine.Reference {
		r, err := engine.ParseReference(s)
		if err != nil {
			panic(err)
		}
		return r
	}
	offer := func(s, digest, version string) *engine.Offer {
		return &engine.Offer{Reference: s, Ref: ref(s), Digest: digest, Version: version}
	}
	app := offer(repo+":1.9.0", remote2, "1.9.0")
	app.Created, app.ReleaseURL, app.CooldownUntil = built, "https://github.com/team/app/releases/tag/v1.9.0", built.Add(72*time.Hour)
	db := offer("postgres:16.5", remote2, "16.5")
	cache := offer("redis:7.4@"+remote2, remote2, "7.4")
	cs := func(id, name, image string, st engine.Status) engine.ContainerStatus {
		return engine.ContainerStatus{
			Container:   engine.Container{ID: id + strings.Repeat("0", 64-len(id)), Name: name, Image: image, State: engine.StateRunning},
			LocalDigest: local1, Status: st, Policy: policy.Digest,
		}
	}
	a := cs("aaaaaaaaaaaa", "app", repo+":1.4.2", engine.StatusOutdated)
	a.Policy, a.CurrentVersion, a.Offer = policy.Minor, "1.4.2", app
	a.Note = "cooling down until 2026-03-07T01:00:00Z (--force applies it now)"
	d := cs("bbbbbbbbbbbb", "db", "postgres:16.4", engine.StatusOutdated)
	d.Policy, d.CurrentVersion, d.Offer = policy.Patch, "16.4", db
	d.Held = &engine.Hold{Container: "db", Image: db.Reference, Digest: db.Digest, Version: "16.5", Reason: "skipped by admin", By: "admin", Since: checked}
	d.Note = "skipped by admin on 2026-03-04T05:06:07Z; a newer version, undoing the skip, or an update asked for by name releases it"
	c := cs("cccccccccccc", "cache", "redis:7.4@"+local1, engine.StatusOutdated)
	c.CurrentVersion, c.Offer, c.Pinned = "7.4", cache, true
	c.Note = "pinned to sha256:1111111111; the tag has moved to sha256:2222222222: update it by name to re-pin"
	w := cs("dddddddddddd", "web", "nginx", engine.StatusUpToDate)
	w.CurrentVersion, w.LocalDigest = "1.27.3", remote2
	return engine.Report{CheckedAt: checked, Groups: []engine.Group{
		{Image: repo + ":1.4.2", RemoteDigest: local1, Status: engine.StatusOutdated, Containers: []engine.ContainerStatus{a}},
		{Image: "nginx:latest", RemoteDigest: remote2, Status: engine.StatusUpToDate, Containers: []engine.ContainerStatus{w}},
		{Image: "postgres:16.4", RemoteDigest: local1, Status: engine.StatusOutdated, Containers: []engine.ContainerStatus{d}},
		{Image: "redis:7.4@" + local1, RemoteDigest: remote2, Status: engine.StatusOutdated, Containers: []engine.ContainerStatus{c}},
	}}
}

// TestDashboardImagesShowVersions checks every field the version policies
// add to a container item, after all of Image Watch's.
func TestDashboardImagesShowVersions(t *testing.T) {
	e := newEnv(t, envOptions{report: versionsReport()})
	r := e.do(t, "GET", "/api/images", "", bearer)
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/images: got %d %q, want 200", r.status, r.body)
	}
	var groups []struct {
		Containers []map[string]any `json:"containers"`
	}
	if err := json.Unmarshal([]byte(r.body), &groups); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for _, g := range groups {
		for _, c := range g.Containers {
			got[c["container_name"].(string)] = c
		}
	}
	base := func(id, name, status, local string) map[string]any {
		return map[string]any{
			"container_id": id, "container_name": name, "local_digest": local, "status": status, "auto_update": false, "state": "running", "kind": "container",
			"current_version": "", "offered_version": "", "offered_reference": "", "offered_digest": "",
			"skipped": false, "held": false, "held_reason": "", "pinned": false, "release_url": "", "policy": "digest", "reason": "",
		}
	}
	with := func(m map[string]any, kv ...any) map[string]any {
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	want := map[string]map[string]any{
		"app": with(base("aaaaaaaaaaaa", "app", "outdated", "sha256:1111111111"),
			"current_version", "1.4.2", "offered_version", "1.9.0", "offered_reference", "127.0.0.1:5000/team/app:1.9.0", "offered_digest", remote2,
			"offered_created", "2026-03-04T01:00:00Z", "cooldown_until", "2026-03-07T01:00:00Z", "policy", "minor",
			"release_url", "https://github.com/team/app/releases/tag/v1.9.0", "reason", "cooling down until 2026-03-07T01:00:00Z (--force applies it now)"),
		"db": with(base("bbbbbbbbbbbb", "db", "outdated", "sha256:1111111111"),
			"current_version", "16.4", "offered_version", "16.5", "offered_reference", "postgres:16.5", "offered_digest", remote2, "policy", "patch",
			"skipped", true, "held", true, "held_reason", "skipped by admin",
			"reason", "skipped by admin on 2026-03-04T05:06:07Z; a newer version, undoing the skip, or an update asked for by name releases it"),
		"cache": with(base("cccccccccccc", "cache", "outdated", "sha256:1111111111"),
			"current_version", "7.4", "offered_version", "7.4", "offered_reference", "redis:7.4@"+remote2, "offered_digest", remote2, "pinned", true,
			"reason", "pinned to sha256:1111111111; the tag has moved to sha256:2222222222: update it by name to re-pin"),
		"web": with(base("dddddddddddd", "web", "uptodate", "sha256:2222222222"), "current_version", "1.27.3"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("container items (-want +got):\n%s", diff)
	}
	// Image Watch's fields come first, in its order.
	if !strings.Contains(r.body, `{"container_id":"aaaaaaaaaaaa","container_name":"app","local_digest":"sha256:1111111111","status":"outdated","auto_update":false,"state":"running","kind":"container","current_version":"1.4.2",`) {
		t.Errorf("app's item: got %s, want Image Watch's fields first, then state, kind and the versions", r.body)
	}
}

// fakeSkips marks a container held in the statuses, as the snapshot does.
type fakeSkips struct {
	mu       sync.Mutex
	statuses *fakeStatuses
	calls    []string
}

func (f *fakeSkips) Skip(_ context.Context, name, by string) (engine.Hold, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "skip "+name+" by "+by)
	var h engine.Hold
	err := fmt.Errorf("container '%s': %w", name, engine.ErrNoOffer)
	f.edit(name, func(cs *engine.ContainerStatus) {
		if cs.Offer == nil {
			return
		}
		h = engine.Hold{Container: name, Image: cs.Offer.Reference, Digest: cs.Offer.Digest, Version: cs.Offer.Version, Reason: "skipped by " + by, By: by}
		cs.Held, err = &h, nil
	})
	return h, err
}

func (f *fakeSkips) Unskip(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "unskip "+name)
	f.edit(name, func(cs *engine.ContainerStatus) { cs.Held = nil })
	return nil
}

func (f *fakeSkips) edit(name string, change func(*engine.ContainerStatus)) {
	r := f.statuses.Report()
	groups := append([]engine.Group(nil), r.Groups...)
	for i := range groups {
		groups[i].Containers = append([]engine.ContainerStatus(nil), groups[i].Containers...)
		for j := range groups[i].Containers {
			if groups[i].Containers[j].Container.Name == name {
				change(&groups[i].Containers[j])
			}
		}
	}
	r.Groups = groups
	f.statuses.set(r)
}

func (f *fakeSkips) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func TestDashboardSkipAndUndo(t *testing.T) {
	e := newEnv(t, envOptions{report: versionsReport()})
	skips := e.skips
	session := e.login(t)
	item := func() string {
		t.Helper()
		r := e.do(t, "GET", "/api/images", "", bearer)
		_, after, _ := strings.Cut(r.body, `"container_name":"app",`)
		before, _, _ := strings.Cut(after, "}")
		return before
	}

	r := e.do(t, "POST", "/api/images/app/skip", "", session)
	if want := `{"container":"app","skipped":true,"offered_version":"1.9.0","offered_reference":"127.0.0.1:5000/team/app:1.9.0","offered_digest":"` + remote2 + `"}` + "\n"; r.status != http.StatusOK || r.body != want {
		t.Fatalf("POST skip: got %d %q, want 200 %q", r.status, r.body, want)
	}
	if got := item(); !strings.Contains(got, `"skipped":true,"held":true,"held_reason":"skipped by admin"`) {
		t.Errorf("app after the skip: got %s, want it skipped by admin", got)
	}
	r = e.do(t, "DELETE", "/api/images/aaaaaaaaaaaa/skip", "", bearer)
	if want := `{"container":"app","skipped":false}` + "\n"; r.status != http.StatusOK || r.body != want {
		t.Fatalf("DELETE skip: got %d %q, want 200 %q", r.status, r.body, want)
	}
	if got := item(); !strings.Contains(got, `"skipped":false,"held":false`) {
		t.Errorf("app after undoing the skip: got %s, want it neither skipped nor held", got)
	}
	r = e.do(t, "POST", "/api/images/app/skip", "", bearer)
	if r.status != http.StatusOK {
		t.Fatalf("POST skip with the key: got %d %q, want 200", r.status, r.body)
	}
	if diff := cmp.Diff([]string{"skip app by admin", "unskip app", "skip app by the API key"}, skips.got()); diff != "" {
		t.Errorf("skips asked for (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		method, path string
		status       int
		msg          string
	}{
		{"POST", "/api/images/nosuch/skip", 404, "container not found"},
		{"DELETE", "/api/images/nosuch/skip", 404, "container not found"},
		{"POST", "/api/images/web/skip", 409, "container 'web' is offered no newer version: there is nothing to skip"},
		{"GET", "/api/images/app/skip", 405, "method not allowed: POST skips the offered version, DELETE undoes the skip"},
		{"PUT", "/api/images/app/skip", 405, "method not allowed: POST skips the offered version, DELETE undoes the skip"},
	} {
		before := len(skips.got())
		r := e.do(t, tc.method, tc.path, "", bearer)
		want := fmt.Sprintf(`{"error":%q,"message":%q}`, tc.msg, tc.msg) + "\n"
		if r.status != tc.status || r.body != want || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: got %d %q (%s), want %d %q as JSON", tc.method, tc.path, r.status, r.body, r.header.Get("Content-Type"), tc.status, want)
		}
		if tc.status != 409 && len(skips.got()) != before {
			t.Errorf("%s %s: got %v, want nothing asked", tc.method, tc.path, skips.got()[before:])
		}
	}
	if r := e.do(t, "POST", "/api/images/app/skip", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("POST skip without a session: got %d, want 401", r.status)
	}

	e2 := newEnv(t, envOptions{report: versionsReport(), noSkips: true})
	if r := e2.do(t, "POST", "/api/images/app/skip", "", bearer); r.status != http.StatusNotImplemented {
		t.Errorf("POST skip without skips: got %d %q, want 501", r.status, r.body)
	}
}

func TestDashboardUpdateForce(t *testing.T) {
	for _, tc := range []struct {
		name, path, body string
		want             []string
		forced           bool
	}{
		{"no body", "/api/images/app/update", "", []string{"app"}, false},
		{"empty object", "/api/images/app/update", `{}`, []string{"app"}, false},
		{"force in the body", "/api/images/app/update", `{"force":true}`, []string{"app"}, true},
		{"force false", "/api/images/app/update", `{"force":false}`, []string{"app"}, false},
		{"force in the query", "/api/images/app/update?force=true", "", []string{"app"}, true},
		{"group by path", "/api/groups/127.0.0.1:5000%2Fteam%2Fapp:1.4.2/update", `{"force":true}`, []string{"app"}, true},
		{"group by path, no body", "/api/groups/postgres:16.4/update", "", []string{"db"}, false},
		{"group by body", "/api/groups/update", `{"image":"postgres:16.4","force":true}`, []string{"db"}, true},
		{"group by body and query", "/api/groups/update?force=1", `{"image":"postgres:16.4"}`, []string{"db"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{report: versionsReport()})
			if r := e.do(t, "POST", tc.path, tc.body, bearer); r.status != http.StatusOK {
				t.Fatalf("got %d %q, want 200", r.status, r.body)
			}
			if diff := cmp.Diff([][]string{tc.want}, e.updater.got()); diff != "" {
				t.Errorf("updates (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]bool{tc.forced}, e.updater.gotForced()); diff != "" {
				t.Errorf("forced (-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range []struct{ name, path, body, msg string }{
		{"force not a boolean", "/api/images/app/update", `{"force":"yes"}`, `field "force" must be a bool, not string`},
		{"force query not a boolean", "/api/images/app/update?force=maybe", "", `force="maybe": want true or false`},
		{"unknown field", "/api/images/app/update", `{"forced":true}`, `unknown field "forced"`},
		{"group force not a boolean", "/api/groups/update", `{"image":"postgres:16.4","force":1}`, `field "force" must be a bool, not number`},
		{"group query not a boolean", "/api/groups/postgres:16.4/update?force=yes", "", `force="yes": want true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{report: versionsReport()})
			r := e.do(t, "POST", tc.path, tc.body, bearer)
			if r.status != http.StatusBadRequest || strings.TrimSpace(r.body) != tc.msg {
				t.Errorf("got %d %q, want 400 %q", r.status, r.body, tc.msg)
			}
			if got := e.updater.got(); len(got) != 0 {
				t.Errorf("updates: got %v, want none", got)
			}
		})
	}
}
