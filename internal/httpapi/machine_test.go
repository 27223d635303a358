package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

const testKey = "s3cret-key"

type fakePasses struct {
	mu   sync.Mutex
	reqs []daemon.Request
}

func (f *fakePasses) Trigger(_ context.Context, req daemon.Request) (daemon.Report, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	return daemon.Report{ID: "p1", Trigger: "api", Summary: engine.Summary{Scanned: 2, Updated: 1, Outcomes: []engine.Outcome{
		{Container: "web", Image: "nginx:latest", OldDigest: "sha256:a", NewDigest: "sha256:b", Result: engine.ResultUpdated},
		{Container: "app", Image: "127.0.0.1:5000/team/app:1.9.0", OldDigest: "sha256:c", NewDigest: "sha256:d", OldVersion: "1.4.2", NewVersion: "1.9.0", Result: engine.ResultUpdated},
	}}}, nil
}

func (f *fakePasses) TriggerAsync(req daemon.Request) (string, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	return "p2", nil
}

type fakeDeployer struct {
	mu    sync.Mutex
	calls []engine.DeployRequest
	out   engine.Outcome
	err   error
}

func (f *fakeDeployer) Deploy(_ context.Context, req engine.DeployRequest, sink engine.Sink) (engine.Outcome, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	f.mu.Unlock()
	if sink != nil {
		sink.Emit(engine.Event{Container: req.Container, Phase: engine.PhasePulling, Progress: &engine.PullProgress{Layer: "abc", Status: "Downloading", Current: 1, Total: 4}})
	}
	return f.out, f.err
}

type memJobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (m *memJobs) SaveJob(id string, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[id] = b
	return nil
}

func (m *memJobs) LoadJob(id string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.m[id]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("job: %w", engine.ErrNotFound)
}

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func newTestServer(t *testing.T, d *fakeDeployer, p *fakePasses) *httptest.Server {
	t.Helper()
	s := New(Deps{Key: apikey.Given(testKey, "test"), Passes: p, Deployer: d, Jobs: &memJobs{m: map[string][]byte{}}, Engine: pinger{}})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var jsonKey = map[string]string{"Authorization": testKey, "Content-Type": "application/json"}

// errJSON is the body of a JSON error whose message is msg, written as it
// would appear inside a JSON string: "error" and autodok's "message".
func errJSON(msg string) string { return `{"error":"` + msg + `","message":"` + msg + `"}` }

func TestDeployErrorsChangeNothing(t *testing.T) {
	d := &fakeDeployer{}
	srv := newTestServer(t, d, &fakePasses{})
	tests := []struct {
		name     string
		headers  map[string]string
		body     string
		want     int
		wantBody string
	}{
		{"no key", map[string]string{"Content-Type": "application/json"}, `{"container":"foo","image":"foo:latest"}`, 401, errJSON(`unauthorized: send the API key in the Authorization header`)},
		{"wrong key", map[string]string{"Authorization": "Bearer nope", "Content-Type": "application/json"}, `{"container":"foo","image":"foo:latest"}`, 401, errJSON(`unauthorized: send the API key in the Authorization header`)},
		{"wrong content type", map[string]string{"Authorization": testKey, "Content-Type": "text/plain"}, `{}`, 400, errJSON(`wrong Content-Type \"text/plain\": send application/json`)},
		{"no content type", map[string]string{"Authorization": testKey}, `{}`, 400, errJSON(`missing Content-Type: send application/json`)},
		{"malformed", jsonKey, `{"container":`, 400, errJSON(`malformed JSON: the body ends too early`)},
		{"syntax", jsonKey, `{"container" "x"}`, 400, errJSON(`malformed JSON at byte 14: invalid character '\"' after object key`)},
		{"unknown field", jsonKey, `{"container":"foo","image":"foo","tag":"1"}`, 400, errJSON(`unknown field \"tag\"`)},
		{"missing fields", jsonKey, `{}`, 400, errJSON(`missing field \"container\" and \"image\"`)},
		{"missing image", jsonKey, `{"container":"foo"}`, 400, errJSON(`missing field \"image\"`)},
		{"wrong type", jsonKey, `{"container":1,"image":"foo"}`, 400, errJSON(`field \"container\" must be a string, not number`)},
		{"not an object", jsonKey, `[1]`, 400, errJSON(`the body must be a JSON object, not array`)},
		{"trailing data", jsonKey, `{"container":"foo","image":"foo"} {}`, 400, errJSON(`malformed JSON: unexpected data after the object`)},
		{"empty", jsonKey, ``, 400, errJSON(`empty body: send a JSON object`)},
		{"bad reference", jsonKey, `{"container":"foo","image":"Foo::bar"}`, 400, errJSON(`invalid image reference \"Foo::bar\": repository can only contain the characters ` + "`abcdefghijklmnopqrstuvwxyz0123456789_-./`" + `: Foo:`)},
		{"oversized", jsonKey, `{"container":"` + strings.Repeat("a", 70<<10) + `","image":"foo"}`, 400, errJSON(`request body too large: the limit is 64 KiB`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, "POST", srv.URL+"/update", tc.headers, tc.body)
			if code != tc.want || strings.TrimSpace(body) != tc.wantBody {
				t.Errorf("POST /update: got %d %s, want %d %s", code, body, tc.want, tc.wantBody)
			}
		})
	}
	if len(d.calls) != 0 {
		t.Errorf("bad requests reached the engine: %+v", d.calls)
	}
}

func TestDeployAnswers(t *testing.T) {
	tests := []struct {
		name     string
		out      engine.Outcome
		err      error
		want     int
		contains string
	}{
		{"updated", engine.Outcome{Result: engine.ResultUpdated, OldDigest: "sha256:a", NewDigest: "sha256:b", Duration: 1500 * time.Millisecond},
			nil, 200, `{"message":"Container 'foo' restarted with new image 'foo:latest'","container":"foo","image":"foo:latest","old_digest":"sha256:a","new_digest":"sha256:b","duration_ms":1500}`},
		{"same image", engine.Outcome{Result: engine.ResultFresh, NewDigest: "sha256:1234567890abcdef"}, nil, 200, `"message":"Container 'foo' already runs 'foo:latest' (sha256:1234567890): not restarted"`},
		{"rolled back", engine.Outcome{Result: engine.ResultRolledBack, Err: errors.New("new container exited with code 1")}, nil, 500,
			`{"error":"new container exited with code 1","message":"new container exited with code 1","rolled_back":true}`},
		{"not running", engine.Outcome{}, fmt.Errorf("container 'foo' is not running: %w", engine.ErrNotRunning), 404, errJSON(`container 'foo' is not running: not running`)},
		{"not found", engine.Outcome{}, fmt.Errorf("container 'foo' not found: %w", engine.ErrNotFound), 404, errJSON(`container 'foo' not found: not found`)},
		{"pull failed", engine.Outcome{}, fmt.Errorf("%w: manifest unknown", engine.ErrPull), 502, errJSON(`pull failed: manifest unknown`)},
		{"refused", engine.Outcome{}, fmt.Errorf("container 'foo' is labelled cutover.enable=false: cutover leaves it alone: %w", engine.ErrRefused), 403,
			errJSON(`container 'foo' is labelled cutover.enable=false: cutover leaves it alone: refused`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, &fakeDeployer{out: tc.out, err: tc.err}, &fakePasses{})
			code, body := do(t, "POST", srv.URL+"/update", map[string]string{"Authorization": "Bearer " + testKey, "Content-Type": "application/json"}, `{"container": "foo", "image": "foo:latest"}`)
			if code != tc.want || !strings.Contains(body, tc.contains) {
				t.Errorf("POST /update: got %d %s, want %d containing %s", code, body, tc.want, tc.contains)
			}
		})
	}
}

func TestDeployAsyncJob(t *testing.T) {
	srv := newTestServer(t, &fakeDeployer{out: engine.Outcome{Result: engine.ResultUpdated}}, &fakePasses{})
	code, body := do(t, "POST", srv.URL+"/update?wait=false", jsonKey, `{"container":"foo","image":"foo:2"}`)
	if code != 202 || !strings.Contains(body, `"status_url":"/update/`) {
		t.Fatalf("async deploy: got %d %s, want 202 with a status_url", code, body)
	}
	id := body[strings.Index(body, `"id":"`)+6:]
	id = id[:strings.Index(id, `"`)]
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body = do(t, "GET", srv.URL+"/update/"+id, map[string]string{"Authorization": testKey}, "")
		if strings.Contains(body, `"state":"done"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code != 200 || !strings.Contains(body, `"state":"done"`) || !strings.Contains(body, `restarted with new image 'foo:2'`) {
		t.Errorf("job state: got %d %s, want done with the result", code, body)
	}
	if code, _ := do(t, "GET", srv.URL+"/update/nope", map[string]string{"Authorization": testKey}, ""); code != 404 {
		t.Errorf("unknown job: got %d, want 404", code)
	}
}

func TestV1Update(t *testing.T) {
	p := &fakePasses{}
	srv := newTestServer(t, &fakeDeployer{}, p)
	code, body := do(t, "GET", srv.URL+"/v1/update?image=foo/bar,127.0.0.1:5000/team/app&image=foo/baz", map[string]string{"Authorization": "Bearer " + testKey}, "")
	if code != 200 || !strings.Contains(body, `"updated":1`) || !strings.Contains(body, `"name":"web"`) {
		t.Fatalf("GET /v1/update: got %d %s", code, body)
	}
	if got := strings.Join(p.reqs[0].Images, " "); got != "foo/bar 127.0.0.1:5000/team/app foo/baz" {
		t.Errorf("images asked for: got %q", got)
	}
	if code, _ := do(t, "POST", srv.URL+"/v1/update", map[string]string{"Authorization": "Bearer wrong"}, ""); code != 401 {
		t.Errorf("wrong token: got %d, want 401", code)
	}
	if len(p.reqs) != 1 {
		t.Errorf("a refused request started a pass: %d passes", len(p.reqs))
	}
	code, body = do(t, "POST", srv.URL+"/v1/update?async=true", map[string]string{"Authorization": "Bearer " + testKey}, "")
	if code != 202 || !strings.Contains(body, `"id":"p2"`) {
		t.Errorf("async: got %d %s, want 202 with the pass id", code, body)
	}
	if code, body := do(t, "GET", srv.URL+"/v1/update?image=Bad::ref", map[string]string{"Authorization": "Bearer " + testKey}, ""); code != 400 {
		t.Errorf("bad image: got %d %s, want 400", code, body)
	}
}

func TestHealth(t *testing.T) {
	s := New(Deps{Engine: pinger{err: errors.New("dial unix /var/run/docker.sock: connect: no such file\nmore")}})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	code, body := do(t, "GET", srv.URL+"/health", nil, "")
	if code != 503 || body != "docker engine unreachable: dial unix /var/run/docker.sock: connect: no such file\n" {
		t.Errorf("health with the engine down: got %d %q", code, body)
	}
	ok := httptest.NewServer(New(Deps{Engine: pinger{}}).Handler())
	defer ok.Close()
	if code, body := do(t, "GET", ok.URL+"/health", nil, ""); code != 200 || body != "" {
		t.Errorf("health: got %d %q, want 200 and an empty body", code, body)
	}
}

// ?image= limits the pass whenever it is present: with no value (a script's
// unset variable) it matches nothing, as Watchtower's did, rather than
// widening to every container.
func TestV1UpdateFilters(t *testing.T) {
	auth := map[string]string{"Authorization": "Bearer " + testKey}
	for _, tc := range []struct {
		query    string
		filtered bool
		images   string
	}{
		{"", false, ""},
		{"?async=false", false, ""},
		{"?image=", true, ""},
		{"?image=,%20,", true, ""},
		{"?image=&image=", true, ""},
		{"?image=foo/bar,", true, "foo/bar"},
	} {
		p := &fakePasses{}
		srv := newTestServer(t, &fakeDeployer{}, p)
		code, body := do(t, "GET", srv.URL+"/v1/update"+tc.query, auth, "")
		if code != 200 || len(p.reqs) != 1 {
			t.Errorf("GET /v1/update%s: got %d %s and %d passes, want 200 and one pass", tc.query, code, body, len(p.reqs))
			continue
		}
		r := p.reqs[0]
		if r.Filtered != tc.filtered || strings.Join(r.Images, " ") != tc.images {
			t.Errorf("GET /v1/update%s: asked for filtered=%v images %q, want filtered=%v images %q", tc.query, r.Filtered, r.Images, tc.filtered, tc.images)
		}
	}
	p := &fakePasses{}
	srv := newTestServer(t, &fakeDeployer{}, p)
	digest := "sha256:" + strings.Repeat("0", 64)
	code, body := do(t, "GET", srv.URL+"/v1/update?image=nginx@"+digest, auth, "")
	if want := errJSON(`image \"nginx@` + digest + `\": ?image= names repositories, and containers are matched without tag or digest: leave out \"@` + digest + `\"`); code != 400 || strings.TrimSpace(body) != want {
		t.Errorf("?image= with a digest: got %d %s, want 400 %s", code, body, want)
	}
	if len(p.reqs) != 0 {
		t.Errorf("a refused request started a pass: %+v", p.reqs)
	}
}

// ?force=true applies versions in their cooldown; a force that is not a
// boolean is refused rather than read as false. The report names versions.
func TestV1UpdateForceAndVersions(t *testing.T) {
	auth := map[string]string{"Authorization": "Bearer " + testKey}
	for _, tc := range []struct {
		query string
		force bool
	}{
		{"", false}, {"?force=true", true}, {"?force=1&image=nginx", true}, {"?force=false", false}, {"?async=true&force=true", true},
	} {
		p := &fakePasses{}
		srv := newTestServer(t, &fakeDeployer{}, p)
		code, body := do(t, "POST", srv.URL+"/v1/update"+tc.query, auth, "")
		if code/100 != 2 || len(p.reqs) != 1 || p.reqs[0].Force != tc.force {
			t.Errorf("POST /v1/update%s: got %d %s and %+v, want one pass with force %v", tc.query, code, body, p.reqs, tc.force)
		}
		if tc.query == "" && !strings.Contains(body, `{"name":"app","image":"127.0.0.1:5000/team/app:1.9.0","old_digest":"sha256:c","new_digest":"sha256:d","result":"updated","old_version":"1.4.2","new_version":"1.9.0"}`) {
			t.Errorf("report: got %s, want app's versions named", body)
		}
		if tc.query == "" && !strings.Contains(body, `{"name":"web","image":"nginx:latest","old_digest":"sha256:a","new_digest":"sha256:b","result":"updated"}`) {
			t.Errorf("report: got %s, want web without versions, as before", body)
		}
	}
	p := &fakePasses{}
	srv := newTestServer(t, &fakeDeployer{}, p)
	code, body := do(t, "POST", srv.URL+"/v1/update?force=yes", auth, "")
	if want := errJSON(`force=\"yes\": want true or false`); code != 400 || strings.TrimSpace(body) != want {
		t.Errorf("?force=yes: got %d %s, want 400 %s", code, body, want)
	}
	if len(p.reqs) != 0 {
		t.Errorf("a refused request started a pass: %+v", p.reqs)
	}
}

type busyPasses struct{ fakePasses }

func (b *busyPasses) Trigger(context.Context, daemon.Request) (daemon.Report, error) {
	return daemon.Report{}, daemon.ErrBusy
}

func (b *busyPasses) TriggerAsync(daemon.Request) (string, error) { return "", daemon.ErrBusy }

func TestV1UpdateBusy(t *testing.T) {
	srv := httptest.NewServer(New(Deps{Key: apikey.Given(testKey, "test"), Passes: &busyPasses{}}).Handler())
	defer srv.Close()
	for _, q := range []string{"", "?async=true"} {
		code, body := do(t, "POST", srv.URL+"/v1/update"+q, map[string]string{"Authorization": "Bearer " + testKey}, "")
		if want := errJSON(daemon.ErrBusy.Error()); code != 503 || strings.TrimSpace(body) != want {
			t.Errorf("POST /v1/update%s with the queue full: got %d %s, want 503 %s", q, code, body, want)
		}
	}
}

// The deploy's admission goes with every deploy, synchronous or not.
func TestDeployCarriesAdmission(t *testing.T) {
	d := &fakeDeployer{out: engine.Outcome{Result: engine.ResultUpdated}}
	asked := make(chan string, 2)
	admit := func(c engine.Container, ref engine.Reference) error { asked <- ref.Normal; return nil }
	srv := httptest.NewServer(New(Deps{Key: apikey.Given(testKey, "test"), Deployer: d, DeployAdmit: admit, Jobs: &memJobs{m: map[string][]byte{}}}).Handler())
	defer srv.Close()
	for _, q := range []string{"", "?wait=false"} {
		if code, body := do(t, "POST", srv.URL+"/update"+q, jsonKey, `{"container":"foo","image":"foo:2"}`); code/100 != 2 {
			t.Fatalf("POST /update%s: got %d %s", q, code, body)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		d.mu.Lock()
		n := len(d.calls)
		d.mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, c := range d.calls {
		if c.Admit == nil {
			t.Errorf("deploy %d reached the engine without its admission", i)
			continue
		}
		_ = c.Admit(engine.Container{}, engine.Reference{Normal: c.Image})
		if got := <-asked; got != "foo:2" {
			t.Errorf("deploy %d: admission asked about %q, want foo:2", i, got)
		}
	}
	if len(d.calls) != 2 {
		t.Errorf("deploys: got %d, want 2", len(d.calls))
	}
}
