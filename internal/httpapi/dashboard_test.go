package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

// TestDashboardExamples checks every example of the API, byte for byte.
func TestDashboardExamples(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhasePulling,
		Progress: &engine.PullProgress{Layer: "a3ed95caeb02", Status: "Downloading", Current: 1048576, Total: 8388608}})

	tests := []struct {
		method, path, body string
		want               string
	}{
		{"GET", "/api/images", "",
			`[{"image":"nginx:latest","remote_digest":"sha256:2222222222","status":"outdated","containers":[{"container_id":"3d4c5b6a7f8e","container_name":"nginx","local_digest":"sha256:1111111111","status":"outdated","auto_update":false,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""}]}]`},
		{"GET", "/api/images/3d4c5b6a7f8e/progress", "",
			`{"layer":"a3ed95caeb02","current":1048576,"total":8388608,"percent":12,"status":"Downloading"}`},
		{"POST", "/api/images/3d4c5b6a7f8e/auto-update", `{"auto_update":true}`, `{"auto_update":true}`},
		{"GET", "/api/auth/status", "", `{"enabled":true}`},
		{"POST", "/api/login", `{"user":"admin","pass":"s3cret pass"}`, `{"status":"ok"}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.body, bearer)
			if r.status != http.StatusOK || r.body != tt.want+"\n" {
				t.Errorf("got %d %q, want 200 %q", r.status, r.body, tt.want+"\n")
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", ct)
			}
		})
	}
}

// TestDashboardUpdateAcceptsEveryID checks that the short id, the full id
// and the name all start the update of the named container.
func TestDashboardUpdateAcceptsEveryID(t *testing.T) {
	for _, id := range []string{"3d4c5b6a7f8e", nginxID, "nginx"} {
		e := newEnv(t, envOptions{})
		r := e.do(t, "POST", "/api/images/"+id+"/update", "", bearer)
		if r.status != http.StatusOK || r.body != `{"status":"updating"}`+"\n" {
			t.Errorf("id %q: got %d %q, want 200 {\"status\":\"updating\"}", id, r.status, r.body)
		}
		if diff := cmp.Diff([][]string{{"nginx"}}, e.updater.got()); diff != "" {
			t.Errorf("id %q: updates started (-want +got):\n%s", id, diff)
		}
	}
}

// TestDashboardUpdateWhileBusy checks that a second click on a running
// update answers "updating" without starting another.
func TestDashboardUpdateWhileBusy(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhaseQueued})
	r := e.do(t, "POST", "/api/images/nginx/update", "", bearer)
	if r.status != http.StatusOK || r.body != `{"status":"updating"}`+"\n" {
		t.Errorf("got %d %q, want 200 updating", r.status, r.body)
	}
	if got := e.updater.got(); len(got) != 0 {
		t.Errorf("updates started: got %v, want none while one runs", got)
	}
}

// TestDashboardErrors checks every error row of the API, byte for byte.
func TestDashboardErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name, method, path string
		header             map[string]string
		status             int
		body               string
	}{
		{"id without action", "GET", "/api/images/3d4c5b6a7f8e", bearer, 400, "bad path: /api/images/{id}/{action}\n"},
		{"empty action", "POST", "/api/images/3d4c5b6a7f8e/", bearer, 400, "bad path: /api/images/{id}/{action}\n"},
		{"three parts", "POST", "/api/images/3d4c5b6a7f8e/update/now", bearer, 400, "bad path: /api/images/{id}/{action}\n"},
		{"nothing", "GET", "/api/images/", bearer, 400, "bad path: /api/images/{id}/{action}\n"},
		{"unknown action", "POST", "/api/images/3d4c5b6a7f8e/restart", bearer, 400, "unknown action\n"},
		{"unknown container", "POST", "/api/images/ffffffffffff/update", bearer, 404, "container not found\n"},
		{"unknown container toggle", "POST", "/api/images/ffffffffffff/auto-update", bearer, 404, "container not found\n"},
		{"unknown container progress", "GET", "/api/images/ffffffffffff/progress", bearer, 404, "container not found\n"},
		{"container run from an image id", "POST", "/api/images/bbbbbbbbbbbb/update", bearer, 404, "container not found\n"},
		{"no progress", "GET", "/api/images/3d4c5b6a7f8e/progress", bearer, 404, "no progress\n"},
		{"update by GET", "GET", "/api/images/3d4c5b6a7f8e/update", bearer, 405, "method not allowed\n"},
		{"toggle by GET", "GET", "/api/images/3d4c5b6a7f8e/auto-update", bearer, 405, "method not allowed\n"},
		{"progress by POST", "POST", "/api/images/3d4c5b6a7f8e/progress", bearer, 405, "method not allowed\n"},
		{"images by POST", "POST", "/api/images", bearer, 405, "method not allowed\n"},
		{"group update by GET", "GET", "/api/groups/nginx/update", bearer, 405, "method not allowed\n"},
		{"login by GET", "GET", "/api/login", nil, 405, "method not allowed\n"},
		{"logout by GET", "GET", "/api/logout", nil, 405, "method not allowed\n"},
		{"auth status by POST", "POST", "/api/auth/status", nil, 405, "method not allowed\n"},
		{"events by POST", "POST", "/api/events", bearer, 405, "method not allowed\n"},
		{"check by GET", "GET", "/api/check", bearer, 405, "method not allowed\n"},
		{"no credentials", "GET", "/api/images", nil, 401, "unauthorized\n"},
		{"wrong key", "GET", "/api/images", map[string]string{"Authorization": "Bearer nope"}, 401, "unauthorized\n"},
		{"forged cookie", "GET", "/api/images", map[string]string{"Cookie": "cutover_session=eyJpZCI6IngifQ.AAAA"}, 401, "unauthorized\n"},
		{"no credentials, action", "POST", "/api/images/3d4c5b6a7f8e/update", nil, 401, "unauthorized\n"},
		{"no credentials, events", "GET", "/api/events", nil, 401, "unauthorized\n"},
		{"no credentials, group", "POST", "/api/groups/update", nil, 401, "unauthorized\n"},
		{"no credentials, history", "GET", "/api/history", nil, 401, "unauthorized\n"},
		{"no credentials, prune", "POST", "/api/prune", nil, 401, "unauthorized\n"},
		{"unknown group", "POST", "/api/groups/redis/update", bearer, 404, "image not found\n"},
		{"group path without image", "POST", "/api/groups/nginx", bearer, 400, "bad path: /api/groups/{image}/update\n"},
		{"bad history limit", "GET", "/api/history?limit=0", bearer, 400, "bad limit: want a number from 1 to 1000\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, "", tt.header)
			if r.status != tt.status || r.body != tt.body {
				t.Errorf("%s %s: got %d %q, want %d %q", tt.method, tt.path, r.status, r.body, tt.status, tt.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type: got %q, want text/plain; charset=utf-8", ct)
			}
		})
	}
	if got := e.updater.got(); len(got) != 0 {
		t.Errorf("updates started by failed requests: %v", got)
	}
}

// TestDashboardBadBodies checks that malformed and oversized bodies get a
// 400 that says what is wrong, never a 500.
func TestDashboardBadBodies(t *testing.T) {
	e := newEnv(t, envOptions{})
	huge := `{"user":"` + strings.Repeat("x", 70<<10) + `"}`
	paths := []string{"/api/login", "/api/images/nginx/auto-update", "/api/groups/update"}
	bodies := []struct {
		name, body, want string
	}{
		{"oversized", huge, "request body too large"},
		{"malformed", `{"user":`, "malformed JSON"},
		{"not JSON", `user=admin`, "malformed JSON"},
		{"array", `[1,2]`, "must be a JSON object"},
		{"unknown field", `{"nope":1}`, "unknown field"},
		{"two objects", `{} {}`, "unexpected data"},
		{"null", `null`, "not null"},
	}
	for _, p := range paths {
		for _, b := range bodies {
			t.Run(p+" "+b.name, func(t *testing.T) {
				r := e.do(t, "POST", p, b.body, bearer)
				if r.status != http.StatusBadRequest || !strings.Contains(r.body, b.want) {
					t.Errorf("got %d %q, want 400 mentioning %q", r.status, r.body, b.want)
				}
			})
		}
	}
	wrongType := map[string]string{
		"/api/login":                    `{"user":true}`,
		"/api/images/nginx/auto-update": `{"auto_update":"yes"}`,
		"/api/groups/update":            `{"image":1}`,
	}
	for p, body := range wrongType {
		r := e.do(t, "POST", p, body, bearer)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "must be a") {
			t.Errorf("%s wrong type: got %d %q, want 400 naming the type", p, r.status, r.body)
		}
	}
	r := e.do(t, "POST", "/api/groups/update", `{"image":"  "}`, bearer)
	if r.status != http.StatusBadRequest || r.body != "missing field \"image\"\n" {
		t.Errorf("blank image: got %d %q, want 400 missing field", r.status, r.body)
	}
	r = e.do(t, "POST", "/api/login", "", nil)
	if r.status != http.StatusBadRequest {
		t.Errorf("empty login body: got %d %q, want 400", r.status, r.body)
	}
}

// TestDashboardToggle checks that a toggle is stored by name, shows at once
// in the list, and that an empty body flips it.
func TestDashboardToggle(t *testing.T) {
	e := newEnv(t, envOptions{})
	steps := []struct {
		body string
		want bool
	}{
		{`{"auto_update":true}`, true},
		{"", false}, // flip
		{"{}", true},
		{`{"auto_update":true}`, true},
	}
	for i, s := range steps {
		r := e.do(t, "POST", "/api/images/3d4c5b6a7f8e/auto-update", s.body, bearer)
		want := `{"auto_update":false}` + "\n"
		if s.want {
			want = `{"auto_update":true}` + "\n"
		}
		if r.status != http.StatusOK || r.body != want {
			t.Fatalf("step %d body %q: got %d %q, want 200 %q", i, s.body, r.status, r.body, want)
		}
	}
	if on, set := e.toggles.on["nginx"]; !set || !on {
		t.Errorf("stored toggle of nginx: got %v (set %v), want true, keyed by name", on, set)
	}
	r := e.do(t, "GET", "/api/images", "", bearer)
	if !strings.Contains(r.body, `"container_name":"nginx","local_digest":"sha256:1111111111","status":"outdated","auto_update":true,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""`) {
		t.Errorf("list after toggle: got %s, want auto_update true for nginx", r.body)
	}
}

// TestDashboardGroupUpdate checks both forms of the group update, with the
// path form escaped and not.
func TestDashboardGroupUpdate(t *testing.T) {
	tests := []struct {
		name, path, body string
		want             []string
	}{
		{"path", "/api/groups/127.0.0.1:5000/team/app:1.2/update", "", []string{"app-a", "app-b", "app-c"}},
		{"escaped path", "/api/groups/127.0.0.1%3A5000%2Fteam%2Fapp%3A1.2/update", "", []string{"app-a", "app-b", "app-c"}},
		{"path without tag", "/api/groups/nginx/update", "", []string{"nginx"}},
		{"path with Docker Hub spelled out", "/api/groups/docker.io/library/nginx:latest/update", "", []string{"nginx"}},
		{"body", "/api/groups/update", `{"image":"127.0.0.1:5000/team/app:1.2"}`, []string{"app-a", "app-b", "app-c"}},
		{"body without tag", "/api/groups/update", `{"image":"nginx"}`, []string{"nginx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{report: groupReport()})
			r := e.do(t, "POST", tt.path, tt.body, bearer)
			if r.status != http.StatusOK || r.body != `{"status":"updating"}`+"\n" {
				t.Fatalf("got %d %q, want 200 updating", r.status, r.body)
			}
			if diff := cmp.Diff([][]string{tt.want}, e.updater.got()); diff != "" {
				t.Errorf("updates started (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDashboardListOrderAndStatuses checks sorting by image then name,
// partial groups and unknown digests.
func TestDashboardListOrderAndStatuses(t *testing.T) {
	e := newEnv(t, envOptions{report: groupReport()})
	r := e.do(t, "GET", "/api/images", "", bearer)
	want := `[{"image":"127.0.0.1:5000/team/app:1.2","remote_digest":"sha256:2222222222","status":"partial","containers":[` +
		`{"container_id":"aaaaaaaaaaaa","container_name":"app-a","local_digest":"sha256:2222222222","status":"uptodate","auto_update":false,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""},` +
		`{"container_id":"dddddddddddd","container_name":"app-b","local_digest":"unknown","status":"outdated","auto_update":false,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""},` +
		`{"container_id":"cccccccccccc","container_name":"app-c","local_digest":"sha256:1111111111","status":"outdated","auto_update":false,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""}]},` +
		`{"image":"nginx:latest","remote_digest":"sha256:2222222222","status":"outdated","containers":[` +
		`{"container_id":"3d4c5b6a7f8e","container_name":"nginx","local_digest":"sha256:1111111111","status":"outdated","auto_update":false,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""}]}]` + "\n"
	if r.status != http.StatusOK || r.body != want {
		t.Errorf("got %d\n%s\nwant\n%s", r.status, r.body, want)
	}
	if lm := r.header.Get("Last-Modified"); lm != "Wed, 04 Mar 2026 05:06:07 GMT" {
		t.Errorf("Last-Modified: got %q, want the check time", lm)
	}
	e.statuses.set(engine.Report{Groups: []engine.Group{}})
	if r := e.do(t, "GET", "/api/images", "", bearer); r.body != "[]\n" {
		t.Errorf("no containers: got %q, want []", r.body)
	}
}

// TestDashboardProgressAfterRecreate checks that the progress of an update
// stays readable by the id the container had before it was recreated.
func TestDashboardProgressAfterRecreate(t *testing.T) {
	e := newEnv(t, envOptions{})
	if r := e.do(t, "POST", "/api/images/3d4c5b6a7f8e/update", "", bearer); r.status != http.StatusOK {
		t.Fatalf("update: got %d %q", r.status, r.body)
	}
	rep := exampleReport()
	rep.Groups[0].Containers[0].Container.ID = "9999999999990000"
	rep.Groups[0].Containers[0].Status = engine.StatusUpToDate
	e.statuses.set(rep)
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhaseDone})
	r := e.do(t, "GET", "/api/images/3d4c5b6a7f8e/progress", "", bearer)
	want := `{"layer":"","current":0,"total":0,"percent":0,"status":"done"}` + "\n"
	if r.status != http.StatusOK || r.body != want {
		t.Errorf("progress by the old id: got %d %q, want 200 %q", r.status, r.body, want)
	}
	if r := e.do(t, "GET", "/api/images/999999999999/progress", "", bearer); r.status != http.StatusOK {
		t.Errorf("progress by the new id: got %d %q, want 200", r.status, r.body)
	}
}

func TestDashboardTools(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		method, path, want string
	}{
		{"POST", "/api/check", `{"checked_at":"2026-03-04T06:00:00Z"}`},
		{"GET", "/api/history?limit=1", `[{"time":"2026-03-04T05:00:00Z","container":"nginx","image":"nginx:latest","old_digest":"` + local1 + `","new_digest":"` + remote2 + `","result":"rolled_back","error":"new container exited with code 1","duration_ms":2500}]`},
		{"GET", "/api/history?container=3d4c5b6a7f8e", `[{"time":"2026-03-04T05:00:00Z","container":"nginx","image":"nginx:latest","old_digest":"` + local1 + `","new_digest":"` + remote2 + `","result":"rolled_back","error":"new container exited with code 1","duration_ms":2500}]`},
		{"GET", "/api/history?container=app-a", `[{"time":"2026-03-03T05:00:00Z","container":"app-a","image":"127.0.0.1:5000/team/app:1.2","old_digest":"","new_digest":"","result":"updated","duration_ms":0}]`},
		{"GET", "/api/ratelimit", `{"rate_limited":false,"known":true,"limit":100,"remaining":76,"window_seconds":21600,"source":"203.0.113.7","checked_at":"2026-03-04T05:00:00Z"}`},
		{"POST", "/api/prune?wait=true", `{"status":"pruned","images_deleted":["sha256:` + strings.Repeat("e", 64) + `"],"space_reclaimed":1048576}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, "", bearer)
			if r.status != http.StatusOK || r.body != tt.want+"\n" {
				t.Errorf("got %d %q, want 200 %q", r.status, r.body, tt.want+"\n")
			}
		})
	}
	e.statuses.refreshErr = errString("Cannot connect to the Docker daemon")
	if r := e.do(t, "POST", "/api/check", "", bearer); r.status != http.StatusServiceUnavailable || r.body != "check failed: Cannot connect to the Docker daemon\n" {
		t.Errorf("failed check: got %d %q, want 503 check failed", r.status, r.body)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestDashboardWebUI(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		path, ctype string
		status      int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/assets/app.js", "text/javascript; charset=utf-8", 200},
		{"/assets/app.css", "text/css; charset=utf-8", 200},
		{"/assets/nope.js", "text/plain; charset=utf-8", 404},
		{"/index.html", "text/plain; charset=utf-8", 404},
	}
	for _, tt := range tests {
		r := e.do(t, "GET", tt.path, "", nil)
		if r.status != tt.status || r.header.Get("Content-Type") != tt.ctype {
			t.Errorf("GET %s: got %d %q, want %d %q", tt.path, r.status, r.header.Get("Content-Type"), tt.status, tt.ctype)
		}
	}
	r := e.do(t, "GET", "/", "", nil)
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy: got %q, want scripts from the page's origin only", csp)
	}
	if !strings.Contains(r.body, `<script type="module" src="/assets/app.js">`) {
		t.Errorf("page does not load its script")
	}
}
