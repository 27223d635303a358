package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// versionTags are the tags of the repository the version policies are
// tried on.
var versionTags = []string{"1.0.0", "1.0.1", "1.1.0", "2.0.0", "2.1.0-rc1", "1.1.0-alpine", "v3"}

// pushTags pushes one image per tag to a fresh repository of the plain
// registry and returns the repository and each tag's digest.
func pushTags(t *testing.T, prefix string, specs map[string]testenv.ImageSpec, tags ...string) (string, map[string]string) {
	t.Helper()
	repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, prefix)
	digests := map[string]string{}
	for _, tag := range tags {
		spec := specs[tag]
		spec.Repo, spec.Tag = repo, tag
		_, digests[tag] = testenv.BuildAndPush(t, spec)
	}
	return repo, digests
}

// runOn starts a container on ref with the given labels and returns its
// name.
func runOn(t *testing.T, prefix, ref string, labels ...string) string {
	t.Helper()
	name := testenv.Name(t, prefix)
	var args []string
	for _, l := range labels {
		args = append(args, "--label", l)
	}
	testenv.RunContainer(t, name, append(args, ref)...)
	return name
}

func configImage(t *testing.T, name string) string {
	t.Helper()
	return testenv.Docker(t, "inspect", "--format", "{{.Config.Image}}", name)
}

// TestIntegrationVersionPolicies checks, against the real registry, the
// version each policy offers a container among the tags 1.0.0 1.0.1 1.1.0
// 2.0.0 2.1.0-rc1 1.1.0-alpine v3, as cutover check shows it.
func TestIntegrationVersionPolicies(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	t.Parallel()
	repo, digests := pushTags(t, "versions", nil, versionTags...)
	at := func(tag string) string { return repo + ":" + tag }
	type want struct {
		status, policy, current, offered, reason string
	}
	cases := []struct {
		prefix, tag string
		labels      []string
		want        want
	}{
		{"digest", "1.0.0", nil, want{"uptodate", "digest", "1.0.0", "", ""}},
		{"patch", "1.0.0", []string{"cutover.policy=patch"}, want{"outdated", "patch", "1.0.0", "1.0.1", "2.0.0 is out, beyond the patch policy"}},
		{"minor", "1.0.0", []string{"cutover.policy=minor"}, want{"outdated", "minor", "1.0.0", "1.1.0", "2.0.0 is out, beyond the minor policy"}},
		{"major", "1.0.0", []string{"cutover.policy=major"}, want{"outdated", "major", "1.0.0", "2.0.0", ""}},
		{"include", "1.0.0", []string{"cutover.policy=major", `cutover.tag.include=^1\.`}, want{"outdated", "major", "1.0.0", "1.1.0", ""}},
		{"exclude", "1.0.0", []string{"cutover.policy=major", `cutover.tag.exclude=^2\.`}, want{"outdated", "major", "1.0.0", "1.1.0", ""}},
		{"alpine", "1.1.0-alpine", []string{"cutover.policy=major"}, want{"uptodate", "major", "1.1.0-alpine", "", ""}},
		{"rc", "2.1.0-rc1", []string{"cutover.policy=major"}, want{"uptodate", "major", "2.1.0-rc1", "", ""}},
		{"prefixed", "v3", []string{"cutover.policy=major"}, want{"uptodate", "major", "v3", "", ""}},
		{"bad", "1.0.0", []string{"cutover.policy=newest"}, want{"unknown", "", "", "", `label cutover.policy: policy "newest" is not one of digest, patch, minor, major`}},
	}
	names := make([]string, len(cases))
	for i, tc := range cases {
		names[i] = runOn(t, tc.prefix, at(tc.tag), tc.labels...)
	}

	groups := checkJSON(t, names...)
	for i, tc := range cases {
		_, c := findContainer(t, groups, names[i])
		got := want{c.Status, c.Policy, c.CurrentVersion, c.OfferedVersion, c.Reason}
		if got != tc.want {
			t.Errorf("%s on %s with %v: got %+v, want %+v", tc.prefix, tc.tag, tc.labels, got, tc.want)
		}
		if tc.want.offered == "" {
			if c.OfferedReference != "" || c.OfferedDigest != "" {
				t.Errorf("%s: got %s (%s) offered, want nothing", tc.prefix, c.OfferedReference, c.OfferedDigest)
			}
			continue
		}
		if c.OfferedReference != at(tc.want.offered) || c.OfferedDigest != digests[tc.want.offered] || c.OfferedCreated == "" {
			t.Errorf("%s: got %s at %s built %q, want %s at %s with its build time", tc.prefix, c.OfferedReference, c.OfferedDigest, c.OfferedCreated, at(tc.want.offered), digests[tc.want.offered])
		}
	}

	// --policy is the default of containers without a label.
	r := cutover(t, "check", "--policy", "minor", names[0])
	if r.code != 0 || !strings.Contains(r.stdout, "1.0.0 -> 1.1.0") || !strings.Contains(r.stdout, "(2.0.0 is out, beyond the minor policy)") {
		t.Errorf("check --policy minor %s: exit %d %q, want 1.0.0 -> 1.1.0 and the note", names[0], r.code, r.stdout)
	}
	if r := cutover(t, "check", "--policy", "newest", names[0]); r.code != 1 || !strings.Contains(r.stderr, `--policy: policy "newest" is not one of digest, patch, minor, major`) {
		t.Errorf("check --policy newest: exit %d %q, want 1 and the reason", r.code, r.stderr)
	}
}

// TestIntegrationUpdateMovesTagKeepingEverySetting moves a container with a
// rich configuration from 1.0.0 to 1.1.0 under the minor policy: the new
// container runs repo:1.1.0 with every other setting kept.
func TestIntegrationUpdateMovesTagKeepingEverySetting(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	t.Parallel()
	specs := map[string]testenv.ImageSpec{"1.0.0": richImage("one", "v1"), "1.1.0": richImage("two", "v2"), "2.0.0": richImage("three", "v3")}
	repo, digests := pushTags(t, "move", specs, "1.0.0", "1.1.0", "2.0.0")
	r := runRich(t, repo+":1.0.0", "1.0.0", "--label", "cutover.policy=minor")

	res := cutover(t, "update", "--dry-run", r.name)
	if want := fmt.Sprintf("would update %s (%s:1.1.0): %s -> %s, version 1.0.0 -> 1.1.0", r.name, repo, short(digests["1.0.0"]), short(digests["1.1.0"])); res.code != 0 || !strings.Contains(res.stdout, want) {
		t.Errorf("dry run: exit %d %q, want %q", res.code, res.stdout, want)
	}
	events := followEvents(t, r.oldID)
	res = cutover(t, "update", r.name)
	if res.code != 0 || !strings.Contains(res.stdout, "version 1.0.0 -> 1.1.0") || !strings.Contains(res.stdout, "1 scanned, 1 updated, 0 failed, 0 skipped") {
		t.Fatalf("update: exit %d %q, want the move to 1.1.0", res.code, res.stdout)
	}
	r.requireKept(t, events, "1.0.0", "1.1.0", "two", "v2")
	if got := configImage(t, r.name); got != repo+":1.1.0" {
		t.Errorf("Config.Image of %s: got %s, want %s:1.1.0", r.name, got, repo)
	}
	if got := config(testenv.Inspect(t, r.name))["Labels"].(map[string]any)["cutover.policy"]; got != "minor" {
		t.Errorf("policy label after the move: got %v, want minor", got)
	}
	_, c := findContainer(t, checkJSON(t, r.name), r.name)
	if c.Status != "uptodate" || c.CurrentVersion != "1.1.0" || c.Reason != "2.0.0 is out, beyond the minor policy" {
		t.Errorf("check after the move: got %+v, want up to date on 1.1.0", c)
	}
}

// TestIntegrationCooldown offers a version built just now: with a cooldown
// it waits, shown as cooling down, unless forced.
func TestIntegrationCooldown(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	t.Parallel()
	repo, _ := pushTags(t, "cool", nil, "1.0.0", "1.1.0")
	name := runOn(t, "cool", repo+":1.0.0", "cutover.policy=minor")
	off := runOn(t, "nocool", repo+":1.0.0", "cutover.policy=minor", "cutover.cooldown=0")
	id := containerID(t, name)
	data := t.TempDir()

	// The first update sees 1.1.0 for the first time: an hour from now.
	before := time.Now()
	r := cutoverIn(t, data, "update", "--cooldown-delay", "1h", name)
	const skipped = ": cooling down until "
	_, after, found := strings.Cut(r.stdout, "skipped "+name+skipped)
	stamp, _, _ := strings.Cut(after, " ")
	until, err := time.Parse(time.RFC3339, stamp)
	if r.code != 0 || !found || err != nil || until.Before(before.Add(59*time.Minute)) || until.After(time.Now().Add(61*time.Minute)) || containerID(t, name) != id {
		t.Fatalf("update during the cooldown: exit %d %q, want %s skipped for an hour and unchanged", r.code, r.stdout, name)
	}

	// A check counts from that first sighting, kept in the data directory.
	groups := checkJSONIn(t, data, "--cooldown-delay", "1h", name, off)
	_, c := findContainer(t, groups, name)
	if c.OfferedVersion != "1.1.0" || c.CooldownUntil != stamp || c.Reason != "cooling down until "+stamp+" (--force applies it now)" {
		t.Fatalf("check with a 1h cooldown: got %+v, want 1.1.0 cooling down until %s", c, stamp)
	}
	if _, c := findContainer(t, groups, off); c.CooldownUntil != "" || c.OfferedVersion != "1.1.0" {
		t.Errorf("container labelled cutover.cooldown=0: got %+v, want 1.1.0 offered without cooldown", c)
	}
	// Without the data directory, a check counts from the build time.
	if _, c := findContainer(t, checkJSON(t, "--cooldown-delay", "1h", name), name); c.CooldownUntil == "" || c.CooldownUntil > stamp {
		t.Errorf("check without the data directory: cooling down until %q, want a time no later than %s", c.CooldownUntil, stamp)
	}

	r = cutoverIn(t, data, "update", "--cooldown-delay", "1h", "--force", name)
	if r.code != 0 || !strings.Contains(r.stdout, "1 updated") {
		t.Fatalf("forced update: exit %d %q, want it updated", r.code, r.stdout)
	}
	if got := configImage(t, name); got != repo+":1.1.0" {
		t.Errorf("after the forced update: %s runs %s, want %s:1.1.0", name, got, repo)
	}
	if r := cutover(t, "check", "--cooldown-delay", "3 days", name); r.code != 1 || !strings.Contains(r.stderr, `invalid argument "3 days" for "--cooldown-delay" flag`) {
		t.Errorf("check --cooldown-delay '3 days': exit %d %q, want 1 and the reason", r.code, r.stderr)
	}
}

// apiItem is a container of /api/images with the fields versions add.
type apiItem struct {
	Name             string `json:"container_name"`
	Status           string `json:"status"`
	State            string `json:"state"`
	CurrentVersion   string `json:"current_version"`
	OfferedVersion   string `json:"offered_version"`
	OfferedReference string `json:"offered_reference"`
	OfferedDigest    string `json:"offered_digest"`
	Skipped          bool   `json:"skipped"`
	Held             bool   `json:"held"`
	HeldReason       string `json:"held_reason"`
	Pinned           bool   `json:"pinned"`
	Reason           string `json:"reason"`
}

// item returns name's item of /api/images, or false when it is not listed.
func item(t *testing.T, base, key, name string) (apiItem, bool) {
	t.Helper()
	code, body := call(t, "GET", base+"/api/images", "Bearer "+key, "", "")
	var groups []struct {
		Containers []apiItem `json:"containers"`
	}
	if err := json.Unmarshal([]byte(body), &groups); code != 200 || err != nil {
		t.Fatalf("GET /api/images: got %d %s", code, body)
	}
	for _, g := range groups {
		for _, c := range g.Containers {
			if c.Name == name {
				return c, true
			}
		}
	}
	return apiItem{}, false
}

// serveScoped runs cutover serve with /v1/update over the containers of
// scope, and returns its address and API key.
func serveScoped(t *testing.T, scope string, args ...string) (base, key string) {
	t.Helper()
	dir := t.TempDir()
	d := startServe(t, dir, append([]string{"--http-api-update", "--scope", scope}, args...)...)
	raw, err := os.ReadFile(filepath.Join(dir, "api_key"))
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + d.addr, strings.TrimSpace(string(raw))
}

type passResult struct {
	Updated, Skipped int
	Containers       []struct {
		Name, Result, Error string
		NewVersion          string `json:"new_version"`
	}
}

func v1Update(t *testing.T, base, key, query string) passResult {
	t.Helper()
	code, body := call(t, "POST", base+"/v1/update"+query, "Bearer "+key, "", "")
	var p passResult
	if err := json.Unmarshal([]byte(body), &p); code != 200 || err != nil {
		t.Fatalf("POST /v1/update%s: got %d %s", query, code, body)
	}
	return p
}

// TestIntegrationSkipAndUndo skips the offered version through the
// dashboard API: no pass applies it until the skip is undone.
func TestIntegrationSkipAndUndo(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	t.Parallel()
	scope := testenv.Name(t, "scope")
	repo, digests := pushTags(t, "skip", nil, "1.0.0", "1.1.0")
	inScope := "com.centurylinklabs.watchtower.scope=" + scope
	name := runOn(t, "skip", repo+":1.0.0", inScope, "cutover.policy=minor")
	fresh := runOn(t, "fresh", repo+":1.1.0", inScope)
	base, key := serveScoped(t, scope)

	var it apiItem
	waitFor(t, name+" offered 1.1.0 on the dashboard", 60*time.Second, func() bool {
		it, _ = item(t, base, key, name)
		return it.OfferedVersion == "1.1.0"
	})
	if it.State != "running" || it.CurrentVersion != "1.0.0" || it.OfferedReference != repo+":1.1.0" || it.OfferedDigest != digests["1.1.0"] || it.Skipped {
		t.Errorf("%s before the skip: got %+v", name, it)
	}

	code, body := call(t, "POST", base+"/api/images/"+name+"/skip", "Bearer "+key, "", "")
	if want := fmt.Sprintf(`{"container":%q,"skipped":true,"offered_version":"1.1.0","offered_reference":%q,"offered_digest":%q}`, name, repo+":1.1.0", digests["1.1.0"]); code != 200 || strings.TrimSpace(body) != want {
		t.Fatalf("POST skip: got %d %s, want 200 %s", code, body, want)
	}
	if it, _ = item(t, base, key, name); !it.Skipped || !it.Held || it.HeldReason != "skipped by the API key" || !strings.HasPrefix(it.Reason, "skipped by the API key on ") {
		t.Errorf("%s after the skip: got %+v, want it skipped by the API key", name, it)
	}
	p := v1Update(t, base, key, "")
	if p.Updated != 0 || configImage(t, name) != repo+":1.0.0" {
		t.Errorf("pass after the skip: got %+v, want %s left on 1.0.0", p, name)
	}

	for _, tc := range []struct {
		method, id string
		code       int
		msg        string
	}{
		{"POST", fresh, 409, "container '" + fresh + "' is offered no newer version: there is nothing to skip"},
		{"POST", "no-such-container", 404, "container not found"},
		{"DELETE", "no-such-container", 404, "container not found"},
	} {
		code, body := call(t, tc.method, base+"/api/images/"+tc.id+"/skip", "Bearer "+key, "", "")
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(body), &e); code != tc.code || err != nil || e.Error != tc.msg {
			t.Errorf("%s skip of %s: got %d %s, want %d with the error %q", tc.method, tc.id, code, body, tc.code, tc.msg)
		}
	}

	if code, body := call(t, "DELETE", base+"/api/images/"+name+"/skip", "Bearer "+key, "", ""); code != 200 || strings.TrimSpace(body) != fmt.Sprintf(`{"container":%q,"skipped":false}`, name) {
		t.Fatalf("DELETE skip: got %d %s", code, body)
	}
	if it, _ = item(t, base, key, name); it.Skipped || it.Held || it.OfferedVersion != "1.1.0" {
		t.Errorf("%s after undoing the skip: got %+v, want 1.1.0 offered, not skipped", name, it)
	}
	p = v1Update(t, base, key, "")
	if p.Updated != 1 || configImage(t, name) != repo+":1.1.0" {
		t.Fatalf("pass after undoing the skip: got %+v, want %s moved to 1.1.0", p, name)
	}
	for _, c := range p.Containers {
		if c.Name == name && c.NewVersion != "1.1.0" {
			t.Errorf("report of %s: new_version %q, want 1.1.0", name, c.NewVersion)
		}
	}
}

// TestIntegrationPinnedDigest follows a container pinned to repo:tag@digest
// through its tag: a check says the tag moved, no pass re-pins it, an
// update asked for (by name, or by ?image=) does.
func TestIntegrationPinnedDigest(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	t.Parallel()
	pin := func(t *testing.T, labels ...string) (name, repo, d1, d2 string) {
		t.Helper()
		repo, ds := pushTags(t, "pinned", nil, "1.0.0")
		d1 = ds["1.0.0"]
		name = runOn(t, "pinned", repo+":1.0.0@"+d1, labels...)
		_, d2 = testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "1.0.0", Version: "1.0.0-rebuilt"})
		return name, repo, d1, d2
	}

	t.Run("cli", func(t *testing.T) {
		t.Parallel()
		name, repo, d1, d2 := pin(t)
		_, c := findContainer(t, checkJSON(t, name), name)
		want := "pinned to " + short(d1) + "; the tag has moved to " + short(d2) + ": update it by name to re-pin"
		if c.Status != "outdated" || !c.Pinned || c.OfferedReference != repo+":1.0.0@"+d2 || c.Reason != want {
			t.Fatalf("check: got %+v, want outdated, pinned, %s offered: %q", c, repo+":1.0.0@"+d2, want)
		}
		r := cutover(t, "update", name)
		if r.code != 0 || !strings.Contains(r.stdout, "1 updated") {
			t.Fatalf("update by name: exit %d %q, want the re-pin", r.code, r.stdout)
		}
		if got := configImage(t, name); got != repo+":1.0.0@"+d2 {
			t.Errorf("after the re-pin: %s runs %s, want %s", name, got, repo+":1.0.0@"+d2)
		}
		if got, want := imageOf(t, name), testenv.Docker(t, "image", "inspect", "--format", "{{.Id}}", repo+":1.0.0"); got != want {
			t.Errorf("after the re-pin: %s runs image %s, want %s, the rebuilt 1.0.0", name, short(got), short(want))
		}
	})

	t.Run("api", func(t *testing.T) {
		t.Parallel()
		scope := testenv.Name(t, "scope")
		name, repo, d1, d2 := pin(t, "com.centurylinklabs.watchtower.scope="+scope)
		base, key := serveScoped(t, scope)
		waitFor(t, name+" pinned on the dashboard", 60*time.Second, func() bool {
			it, _ := item(t, base, key, name)
			return it.Pinned && it.OfferedDigest == d2
		})
		p := v1Update(t, base, key, "")
		if p.Updated != 0 || configImage(t, name) != repo+":1.0.0@"+d1 || len(p.Containers) != 1 || !strings.HasPrefix(p.Containers[0].Error, "pinned to ") {
			t.Fatalf("pass over every container: got %+v, want %s left pinned to %s, skipped as pinned", p, name, d1)
		}
		p = v1Update(t, base, key, "?image="+repo)
		if p.Updated != 1 || configImage(t, name) != repo+":1.0.0@"+d2 {
			t.Fatalf("pass of ?image=%s: got %+v, want %s re-pinned to %s", repo, p, name, d2)
		}
	})
}

// TestIntegrationRolledBackMoveIsHeld moves a container to a version that
// crashes: it is rolled back to 1.0.0, and 1.1.0 is held after that.
func TestIntegrationRolledBackMoveIsHeld(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	t.Parallel()
	repo, _ := pushTags(t, "held", map[string]testenv.ImageSpec{"1.1.0": {Mode: "crash"}}, "1.0.0", "1.1.0")
	name := runOn(t, "held", repo+":1.0.0", "cutover.policy=minor")
	data := t.TempDir()
	r := cutoverIn(t, data, "update", name)
	if r.code != 1 || !strings.Contains(r.stdout, "rolled back") {
		t.Fatalf("update to a crashing 1.1.0: exit %d %q, want it rolled back", r.code, r.stdout)
	}
	running := testenv.Docker(t, "inspect", "--format", "{{.State.Status}}", name)
	if got := configImage(t, name); got != repo+":1.0.0" || running != "running" {
		t.Errorf("after the rollback: %s runs %s (%s), want %s:1.0.0 running", name, got, running, repo)
	}
	_, c := findContainer(t, checkJSONIn(t, data, name), name)
	if !c.Held || c.Skipped || c.OfferedVersion != "1.1.0" || !strings.HasPrefix(c.HeldReason, "rolled back: ") || !strings.HasPrefix(c.Reason, "held since ") {
		t.Errorf("check after the rollback: got %+v, want 1.1.0 held after the rollback", c)
	}
}

// TestIntegrationDashboardForce asks the dashboard to update a container
// whose new version cools down: without force it stays, and the progress
// says why; with {"force": true} it moves.
func TestIntegrationDashboardForce(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	t.Parallel()
	scope := testenv.Name(t, "scope")
	repo, _ := pushTags(t, "force", nil, "1.0.0", "1.1.0")
	name := runOn(t, "force", repo+":1.0.0", "com.centurylinklabs.watchtower.scope="+scope, "cutover.policy=minor")
	base, key := serveScoped(t, scope, "--cooldown-delay", "1h")
	waitFor(t, name+" cooling down on the dashboard", 60*time.Second, func() bool {
		it, _ := item(t, base, key, name)
		return it.OfferedVersion == "1.1.0" && strings.HasPrefix(it.Reason, "cooling down until ")
	})
	progress := func() string {
		code, body := call(t, "GET", base+"/api/images/"+name+"/progress", "Bearer "+key, "", "")
		if code != 200 {
			return ""
		}
		var p struct{ Status string }
		_ = json.Unmarshal([]byte(body), &p)
		return p.Status
	}

	if code, body := call(t, "POST", base+"/api/images/"+name+"/update", "Bearer "+key, "", ""); code != 200 {
		t.Fatalf("POST update: got %d %s", code, body)
	}
	waitFor(t, "the update without force to end", 60*time.Second, func() bool {
		return strings.HasPrefix(progress(), "skipped: not updated: cooling down until ")
	})
	if got := configImage(t, name); got != repo+":1.0.0" {
		t.Fatalf("after an update without force: %s runs %s, want %s:1.0.0", name, got, repo)
	}

	if code, body := call(t, "POST", base+"/api/images/"+name+"/update", "Bearer "+key, "application/json", `{"force":true}`); code != 200 {
		t.Fatalf("POST update with force: got %d %s", code, body)
	}
	waitFor(t, "the forced update to end", 90*time.Second, func() bool { return progress() == "done" })
	if got := configImage(t, name); got != repo+":1.1.0" {
		t.Errorf("after the forced update: %s runs %s, want %s:1.1.0", name, got, repo)
	}
}
