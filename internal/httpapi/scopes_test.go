package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/httpapi"
)

type scopePasses struct {
	mu   sync.Mutex
	reqs []daemon.Request
	err  error
}

func (p *scopePasses) Trigger(_ context.Context, req daemon.Request) (daemon.Report, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, req)
	return daemon.Report{ID: "p1", Trigger: "api"}, p.err
}

func (p *scopePasses) TriggerAsync(req daemon.Request) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, req)
	return "p2", p.err
}

func (p *scopePasses) taken() []daemon.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.reqs
	p.reqs = nil
	return out
}

type scopeDeployer struct {
	mu    sync.Mutex
	calls []engine.DeployRequest
}

func (d *scopeDeployer) Deploy(_ context.Context, req engine.DeployRequest, _ engine.Sink) (engine.Outcome, error) {
	d.mu.Lock()
	d.calls = append(d.calls, req)
	d.mu.Unlock()
	if req.Admit != nil {
		if err := req.Admit(engine.Container{Name: req.Container}, engine.Reference{Normal: req.Image}); err != nil {
			return engine.Outcome{}, err
		}
	}
	return engine.Outcome{Result: engine.ResultUpdated}, nil
}

func (d *scopeDeployer) taken() []engine.DeployRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.calls
	d.calls = nil
	return out
}

const watchtowerToken = "mytoken"

// TestKeyScopes checks that each key unlocks what its tool's key did: the
// Watchtower token /v1/* only, cutover's API key the deploy webhook and the
// dashboard, and no longer /v1/* once a Watchtower token is set. A key sent
// to the wrong surface is refused with a message saying which key it takes,
// and nothing runs.
func TestKeyScopes(t *testing.T) {
	e := newEnv(t, envOptions{})
	passes, deployer := &scopePasses{}, &scopeDeployer{}
	dash := *e.dashboard
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{
		Key: apikey.Given(testKey, "test"), WatchtowerKey: apikey.Given(watchtowerToken, "WATCHTOWER_HTTP_API_TOKEN"),
		Passes: passes, Metrics: okHandler{}, Deployer: deployer, Dashboard: &dash,
	}).Handler())
	defer srv.Close()
	e.srv = srv

	deployBody := `{"container":"web","image":"nginx:1.27"}`
	token := map[string]string{"Authorization": "Bearer " + watchtowerToken, "Content-Type": "application/json"}
	key := map[string]string{"Authorization": "Bearer " + testKey, "Content-Type": "application/json"}
	bare := map[string]string{"Authorization": watchtowerToken, "Content-Type": "application/json"}
	const tokenMsg = "forbidden: the Watchtower API token (--http-api-token) unlocks /v1/* only; this endpoint takes cutover's API key, the data directory's api_key file (cutover api-key prints it)"
	const keyMsg = "forbidden: /v1/* takes the Watchtower API token (--http-api-token, WATCHTOWER_HTTP_API_TOKEN), not cutover's API key"
	for _, tc := range []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		want                     string
	}{
		{"token on /v1/update", "GET", "/v1/update", "", token, 200, `"id":"p1"`},
		{"token on /v1/metrics", "GET", "/v1/metrics", "", token, 200, "metrics"},
		{"key on /v1/update", "POST", "/v1/update", "", key, 403, `"error":"` + keyMsg + `"`},
		{"key on /v1/metrics", "GET", "/v1/metrics", "", key, 403, `"message":"` + keyMsg + `"`},
		{"token on /update", "POST", "/update", deployBody, token, 403, `{"error":"` + tokenMsg + `","message":"` + tokenMsg + `"}`},
		{"bare token on /update", "POST", "/update", deployBody, bare, 403, tokenMsg},
		{"token on a job", "GET", "/update/x", "", token, 403, tokenMsg},
		{"token on the dashboard", "GET", "/api/images", "", token, 403, "forbidden: the Watchtower API token unlocks /v1/* only: log in, or send cutover's API key\n"},
		{"token on a dashboard update", "POST", "/api/images/nginx/update", "", token, 403, "forbidden: the Watchtower API token unlocks /v1/* only"},
		{"token on prune", "POST", "/api/prune", "", token, 403, "forbidden"},
		{"wrong key on /v1/update", "GET", "/v1/update", "", map[string]string{"Authorization": "Bearer nope"}, 401, "unauthorized"},
		{"key on /update", "POST", "/update", deployBody, key, 200, "restarted with new image"},
		{"key on the dashboard", "GET", "/api/images", "", key, 200, `"container_name":"nginx"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.updater.got())
			r := e.do(t, tc.method, tc.path, tc.body, tc.header)
			if r.status != tc.status || !strings.Contains(r.body, tc.want) {
				t.Errorf("%s %s: got %d %q, want %d containing %q", tc.method, tc.path, r.status, r.body, tc.status, tc.want)
			}
			reqs, deploys, updates := passes.taken(), deployer.taken(), e.updater.got()[before:]
			if tc.status >= 400 && (len(reqs) > 0 || len(deploys) > 0 || len(updates) > 0) {
				t.Errorf("%s %s refused with %d, yet passes %v, deploys %v, updates %v ran", tc.method, tc.path, tc.status, reqs, deploys, updates)
			}
		})
	}

	// Without a Watchtower token, cutover's key unlocks /v1/* as before.
	open := httptest.NewServer(httpapi.New(httpapi.Deps{Key: apikey.Given(testKey, "test"), Passes: passes}).Handler())
	defer open.Close()
	e.srv = open
	if r := e.do(t, "GET", "/v1/update", "", key); r.status != 200 {
		t.Errorf("GET /v1/update with the API key and no Watchtower token: got %d %q, want 200", r.status, r.body)
	}
}

type okHandler struct{}

func (okHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("metrics\n")) }
