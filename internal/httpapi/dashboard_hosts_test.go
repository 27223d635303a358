package httpapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/httpapi"
)

// hostsReport is projectReport with its containers on two engines: the
// "shop" project's web on web1, its api on web2, and a container named
// app-c on each.
func hostsReport() engine.Report {
	r := projectReport()
	app := r.Groups[0].Containers
	for i := range app {
		app[i].Container.Host = "web1"
	}
	twin := app[0]
	twin.Container.Host, twin.Container.ID = "web2", "dddddddddddd"+strings.Repeat("0", 52)
	twin.Container.Labels = nil
	r.Groups[0].Containers = append(app, twin)
	api := &r.Groups[len(r.Groups)-1].Containers[0]
	api.Container.Host = "web2"
	return r
}

// Among several engines, /api/images and /api/projects say each
// container's engine, a project of one engine is ENGINE/PROJECT, and an
// update by ENGINE/NAME or ENGINE/PROJECT, escaped in the path, starts
// exactly that engine's containers, named ENGINE/NAME.
func TestDashboardSeveralEngines(t *testing.T) {
	e := newEnv(t, envOptions{report: hostsReport()})
	r := e.do(t, "GET", "/api/images", "", bearer)
	if r.status != http.StatusOK || strings.Count(r.body, `"container_name":"app-c","host":"web1"`) != 1 || strings.Count(r.body, `"container_name":"app-c","host":"web2"`) != 1 {
		t.Errorf("GET /api/images: got %d\n%s\nwant app-c once on web1 and once on web2", r.status, r.body)
	}
	r = e.do(t, "GET", "/api/projects", "", bearer)
	for _, want := range []string{`"project":"web1/shop"`, `"project":"web2/shop"`, `"project":"web1/blog"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("GET /api/projects: want %s in\n%s", want, r.body)
		}
	}

	for _, path := range []string{"/api/images/web2%2Fapp-c/update", "/api/projects/web1%2Fshop/update"} {
		if r := e.do(t, "POST", path, "", bearer); r.status != http.StatusOK {
			t.Fatalf("POST %s: got %d %q, want 200", path, r.status, r.body)
		}
	}
	if diff := cmp.Diff([][]string{{"web2/app-c"}, {"web1/app-c"}}, e.updater.got()); diff != "" {
		t.Errorf("updates started (-want +got):\n%s", diff)
	}
	for _, path := range []string{"/api/images/web3%2Fapp-c/update", "/api/projects/shop/update", "/api/projects/a%2Fb%2Fc/update"} {
		if r := e.do(t, "POST", path, "", bearer); r.status == http.StatusOK {
			t.Errorf("POST %s: got 200, want a refusal", path)
		}
	}
	if len(e.updater.got()) != 2 {
		t.Errorf("updates started by refused requests: %v", e.updater.got()[2:])
	}
}

type fakeEngines []httpapi.EngineAnswer

func (f fakeEngines) EngineStates() []httpapi.EngineAnswer { return f }

// GET /api/hosts says what each engine answered last, without asking.
func TestDashboardHosts(t *testing.T) {
	e := newEnv(t, envOptions{engines: fakeEngines{
		{Host: "web1", At: time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)},
		{Host: "web2", Err: errors.New("connection refused"), At: time.Date(2026, 3, 4, 5, 0, 1, 0, time.UTC)},
		{Host: "web3"},
	}})
	r := e.do(t, "GET", "/api/hosts", "", bearer)
	want := `[{"host":"web1","up":true,"checked_at":"2026-03-04T05:00:00Z"},{"host":"web2","up":false,"error":"connection refused","checked_at":"2026-03-04T05:00:01Z"},{"host":"web3","up":true}]` + "\n"
	if r.status != http.StatusOK || r.body != want {
		t.Errorf("GET /api/hosts: got %d %s, want 200 %s", r.status, r.body, want)
	}
	if r := e.do(t, "GET", "/api/hosts", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("GET /api/hosts without a session: got %d, want 401", r.status)
	}
	if r := e.do(t, "POST", "/api/hosts", "", bearer); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/hosts: got %d, want 405", r.status)
	}
}
