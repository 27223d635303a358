package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

// projectReport is groupReport with two Compose projects: "shop", atomic,
// whose web and api run different images, and "blog", of one container;
// nginx belongs to none.
func projectReport() engine.Report {
	r := groupReport()
	label := func(cs *engine.ContainerStatus, project, service string, atomic bool) {
		cs.Container.Labels = map[string]string{engine.ComposeProjectLabel: project, engine.ComposeServiceLabel: service}
		if atomic {
			cs.Unit = project
		}
	}
	app := r.Groups[0].Containers
	label(&app[0], "shop", "web", true)   // app-c, outdated
	label(&app[1], "blog", "site", false) // app-a, up to date
	r.Groups = append(r.Groups, engine.Group{
		Image: "127.0.0.1:5000/team/api:1.0", RemoteDigest: remote2, Status: engine.StatusUpToDate,
		Containers: []engine.ContainerStatus{{
			Container:   engine.Container{ID: "eeeeeeeeeeee" + strings.Repeat("0", 52), Name: "shop-api-1", Image: "127.0.0.1:5000/team/api:1.0", State: "running"},
			LocalDigest: remote2, Status: engine.StatusUpToDate,
		}},
	})
	label(&r.Groups[len(r.Groups)-1].Containers[0], "shop", "api", true)
	return r
}

func TestDashboardProjects(t *testing.T) {
	e := newEnv(t, envOptions{report: projectReport()})
	r := e.do(t, "GET", "/api/projects", "", bearer)
	want := `[{"project":"blog","status":"uptodate","atomic":false,"containers":[` +
		`{"container_id":"aaaaaaaaaaaa","container_name":"app-a","service":"site","image":"127.0.0.1:5000/team/app:1.2","local_digest":"sha256:2222222222","remote_digest":"sha256:2222222222","status":"uptodate","auto_update":false}]},` +
		`{"project":"shop","status":"partial","atomic":true,"containers":[` +
		`{"container_id":"eeeeeeeeeeee","container_name":"shop-api-1","service":"api","image":"127.0.0.1:5000/team/api:1.0","local_digest":"sha256:2222222222","remote_digest":"sha256:2222222222","status":"uptodate","auto_update":false},` +
		`{"container_id":"cccccccccccc","container_name":"app-c","service":"web","image":"127.0.0.1:5000/team/app:1.2","local_digest":"sha256:1111111111","remote_digest":"sha256:2222222222","status":"outdated","auto_update":false}]}]` + "\n"
	if r.status != http.StatusOK || r.body != want {
		t.Errorf("GET /api/projects: got %d\n%s\nwant\n%s", r.status, r.body, want)
	}

	r = e.do(t, "POST", "/api/projects/shop/update", "", bearer)
	if r.status != http.StatusOK || r.body != `{"status":"updating"}`+"\n" {
		t.Fatalf("POST /api/projects/shop/update: got %d %q, want 200 updating", r.status, r.body)
	}
	if diff := cmp.Diff([][]string{{"app-c", "shop-api-1"}}, e.updater.got()); diff != "" {
		t.Errorf("updates started (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/api/projects/nope/update", http.StatusNotFound},
		{"GET", "/api/projects/shop/update", http.StatusMethodNotAllowed},
		{"POST", "/api/projects/shop", http.StatusBadRequest},
		{"POST", "/api/projects//update", http.StatusBadRequest},
		{"POST", "/api/projects", http.StatusMethodNotAllowed},
	} {
		if r := e.do(t, tc.method, tc.path, "", bearer); r.status != tc.status {
			t.Errorf("%s %s: got %d %q, want %d", tc.method, tc.path, r.status, r.body, tc.status)
		}
	}
	if r := e.do(t, "GET", "/api/projects", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("GET /api/projects without a session: got %d, want 401", r.status)
	}
	if len(e.updater.got()) != 1 {
		t.Errorf("updates started by refused requests: %v", e.updater.got()[1:])
	}
}
