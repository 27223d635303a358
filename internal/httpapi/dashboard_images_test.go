package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/httpapi"
	"github.com/cutover/cutover/internal/store"
)

// TestDashboardImagesFollowChanges checks that the list, answered from what
// it rendered last, shows a toggle or a new snapshot in the very next
// answer.
func TestDashboardImagesFollowChanges(t *testing.T) {
	e := newEnv(t, envOptions{})
	nginx := func() string {
		t.Helper()
		r := e.do(t, "GET", "/api/images", "", bearer)
		if r.status != http.StatusOK {
			t.Fatalf("GET /api/images: got %d %q, want 200", r.status, r.body)
		}
		_, after, ok := strings.Cut(r.body, `"container_name":"nginx",`)
		if !ok {
			t.Fatalf("GET /api/images: got %s, want nginx listed", r.body)
		}
		before, _, _ := strings.Cut(after, "}")
		return before
	}

	want := `"local_digest":"sha256:1111111111","status":"outdated","auto_update":false,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""`
	if got := nginx(); got != want {
		t.Errorf("nginx at first: got %s, want %s", got, want)
	}
	if got := nginx(); got != want {
		t.Errorf("nginx asked again: got %s, want %s", got, want)
	}

	if r := e.do(t, "POST", "/api/images/3d4c5b6a7f8e/auto-update", `{"auto_update":true}`, bearer); r.status != http.StatusOK {
		t.Fatalf("toggle: got %d %q, want 200", r.status, r.body)
	}
	want = `"local_digest":"sha256:1111111111","status":"outdated","auto_update":true,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""`
	if got := nginx(); got != want {
		t.Errorf("nginx after the toggle: got %s, want %s", got, want)
	}

	rep := exampleReport()
	rep.Groups[0].Status = engine.StatusUpToDate
	rep.Groups[0].Containers[0].Status = engine.StatusUpToDate
	rep.Groups[0].Containers[0].LocalDigest = remote2
	e.statuses.set(rep)
	want = `"local_digest":"sha256:2222222222","status":"uptodate","auto_update":true,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""`
	if got := nginx(); got != want {
		t.Errorf("nginx after a new snapshot: got %s, want %s", got, want)
	}
}

// TestDashboardImagesFollowTheStore checks that a toggle written to the
// store by another part of the process shows in the next answer too.
func TestDashboardImagesFollowTheStore(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	policy := daemon.Policy{Toggles: st}
	dash := &httpapi.Dashboard{
		Statuses: &fakeStatuses{report: exampleReport()}, Progress: daemon.NewTracker(), Updater: &fakeUpdater{}, Toggles: st,
		AutoUpdate: func(c engine.Container) bool { on, _ := policy.AutoUpdate(c); return on },
	}
	dash.Auth.Disabled = true
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Key: apikey.Given(testKey, "test"), Dashboard: dash}).Handler())
	defer srv.Close()
	get := func() string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/images", nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const on = `"container_name":"nginx","local_digest":"sha256:1111111111","status":"outdated","auto_update":true,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""`
	if body := get(); strings.Contains(body, on) {
		t.Fatalf("before any toggle: got %s, want auto_update false for nginx", body)
	}
	if err := st.SetAutoUpdate("nginx", true); err != nil {
		t.Fatal(err)
	}
	if body := get(); !strings.Contains(body, on) {
		t.Errorf("after the store's toggle: got %s, want %s", body, on)
	}
}

// A Swarm service is listed like a container, with kind "service".
func TestDashboardImagesListServices(t *testing.T) {
	rep := exampleReport()
	rep.Groups[0].Containers = append(rep.Groups[0].Containers, engine.ContainerStatus{
		Container: engine.Container{Kind: engine.KindService, ID: "kd9swslxk9rm4sms64f9okyyz", Name: "web", Image: "nginx", Digest: local1, State: "running",
			Service: &engine.ServiceInfo{Mode: "replicated", Running: 2, Desired: 2}},
		LocalDigest: local1, Status: engine.StatusOutdated,
	})
	e := newEnv(t, envOptions{report: rep})
	r := e.do(t, "GET", "/api/images", "", bearer)
	want := `{"container_id":"kd9swslxk9rm","container_name":"web","local_digest":"sha256:1111111111","status":"outdated","auto_update":false,"state":"running","kind":"service",`
	if r.status != http.StatusOK || !strings.Contains(r.body, want) {
		t.Errorf("GET /api/images: got %d %s, want the service listed as %s", r.status, r.body, want)
	}
	if r := e.do(t, "POST", "/api/images/web/update", "", bearer); r.status != http.StatusOK {
		t.Errorf("POST /api/images/web/update: got %d %q, want 200", r.status, r.body)
	}
	if got := e.updater.got(); len(got) != 1 || len(got[0]) != 1 || got[0][0] != "web" {
		t.Errorf("updates started: got %v, want [[web]]", got)
	}
}
