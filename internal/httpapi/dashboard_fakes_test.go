package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/httpapi"
	"github.com/cutover/cutover/internal/ratelimit"
	"github.com/cutover/cutover/internal/session"
)

const testKey = "test-api-key-0123456789"

// Digests of the API's example: 64 hex digits each, shortened to 17
// characters on the wire.
var (
	remote2 = "sha256:" + strings.Repeat("2", 64)
	local1  = "sha256:" + strings.Repeat("1", 64)
	nginxID = "3d4c5b6a7f8e" + strings.Repeat("0", 52)
)

// exampleReport is the situation of the API's example, plus a container
// started from an image id, which the API leaves out.
func exampleReport() engine.Report {
	return engine.Report{
		CheckedAt: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		Groups: []engine.Group{
			{
				Image: "nginx:latest", RemoteDigest: remote2, Status: engine.StatusOutdated,
				Containers: []engine.ContainerStatus{{
					Container:   engine.Container{ID: nginxID, Name: "nginx", Image: "nginx", State: "running"},
					LocalDigest: local1, Status: engine.StatusOutdated,
				}},
			},
			{
				Image: "sha256:" + strings.Repeat("a", 64), Status: engine.StatusUnknown,
				Containers: []engine.ContainerStatus{{
					Container: engine.Container{ID: strings.Repeat("b", 64), Name: "byid", Image: "sha256:" + strings.Repeat("a", 64), State: "running"},
					Status:    engine.StatusUnknown,
				}},
			},
		},
	}
}

// groupReport has a private-registry group of three containers, listed out
// of order, one of them up to date.
func groupReport() engine.Report {
	r := exampleReport()
	mk := func(id, name string, st engine.Status, local string) engine.ContainerStatus {
		return engine.ContainerStatus{
			Container:   engine.Container{ID: id + strings.Repeat("0", 64-len(id)), Name: name, Image: "127.0.0.1:5000/team/app:1.2", State: "running"},
			LocalDigest: local, Status: st,
		}
	}
	r.Groups = append([]engine.Group{{
		Image: "127.0.0.1:5000/team/app:1.2", RemoteDigest: remote2, Status: engine.StatusPartial,
		Containers: []engine.ContainerStatus{
			mk("cccccccccccc", "app-c", engine.StatusOutdated, local1),
			mk("aaaaaaaaaaaa", "app-a", engine.StatusUpToDate, remote2),
			mk("dddddddddddd", "app-b", engine.StatusOutdated, ""),
		},
	}}, r.Groups...)
	return r
}

type fakeStatuses struct {
	mu         sync.Mutex
	report     engine.Report
	refreshErr error
	refreshed  int
}

func (f *fakeStatuses) Report() engine.Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.report
}

func (f *fakeStatuses) Refresh(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshed++
	if f.refreshErr == nil {
		f.report.CheckedAt = time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC)
	}
	return f.refreshErr
}

func (f *fakeStatuses) set(r engine.Report) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.report = r
}

type fakeUpdater struct {
	mu     sync.Mutex
	calls  [][]string
	forced []bool
	err    error
}

func (f *fakeUpdater) UpdateNow(names []string, force bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, slices.Clone(names))
	f.forced = append(f.forced, force)
	return f.err
}

// gotForced says, per update asked for, whether it was forced.
func (f *fakeUpdater) gotForced() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.forced)
}

func (f *fakeUpdater) got() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// fakeToggles keeps toggles as the store does, by name, and answers the
// policy's question from them.
type fakeToggles struct {
	mu      sync.Mutex
	on      map[string]bool
	version uint64
}

func (f *fakeToggles) SetAutoUpdate(name string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.on[name] = on
	f.version++
	return nil
}

func (f *fakeToggles) TogglesVersion() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version
}

func (f *fakeToggles) autoUpdate(c engine.Container) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.on[c.Name]
}

type fakeHistory struct{ attempts []engine.Attempt }

func (f *fakeHistory) Attempts(_ context.Context, host, container string, limit int) ([]engine.Attempt, error) {
	var out []engine.Attempt
	for _, a := range f.attempts {
		if (container == "" || a.Container == container) && (host == "" || a.Host == host) {
			out = append(out, a)
		}
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// fakePruner counts prunes; each takes until release is closed, if set.
type fakePruner struct {
	mu      sync.Mutex
	n       int
	release chan struct{}
}

func (p *fakePruner) PruneDanglingImages(context.Context) ([]string, uint64, error) {
	p.mu.Lock()
	p.n++
	release := p.release
	p.mu.Unlock()
	if release != nil {
		<-release
	}
	return []string{"sha256:" + strings.Repeat("e", 64)}, 1 << 20, nil
}

func (p *fakePruner) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

type fakeBudget struct{ b ratelimit.Budget }

func (f fakeBudget) Budget(context.Context) ratelimit.Budget { return f.b }

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a running server with fakes behind its dashboard.
type env struct {
	srv      *httptest.Server
	statuses *fakeStatuses
	tracker  *daemon.Tracker
	updater  *fakeUpdater
	toggles  *fakeToggles
	pruner   *fakePruner
	skips    *fakeSkips
	clock    *clock
	password string
	// dashboard is what the server was built with.
	dashboard *httpapi.Dashboard
	// shutdown closes the dashboard's Closing channel.
	shutdown func()
}

type envOptions struct {
	authOff bool
	report  engine.Report
	tls     bool
	// deaf makes the tracker drop every event for the event streams, as it
	// does for a stream that falls behind.
	deaf bool
	// pruneRelease, when set, holds every prune until it is closed.
	pruneRelease chan struct{}
	// budget replaces the Docker Hub budget of the example.
	budget *ratelimit.Budget
	// noSkips leaves the dashboard without skips.
	noSkips bool
	// trusted are the reverse proxies whose X-Forwarded-For is believed.
	trusted []netip.Prefix
	// engines answers GET /api/hosts.
	engines httpapi.EngineStates
}

// deafTracker is a tracker whose subscribers never hear anything.
type deafTracker struct{ *daemon.Tracker }

func (deafTracker) Subscribe() (<-chan engine.Event, func()) { return nil, func() {} }

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	if o.report.Groups == nil {
		o.report = exampleReport()
	}
	e := &env{
		statuses: &fakeStatuses{report: o.report},
		tracker:  daemon.NewTracker(),
		updater:  &fakeUpdater{},
		toggles:  &fakeToggles{on: map[string]bool{}},
		pruner:   &fakePruner{release: o.pruneRelease},
		clock:    &clock{t: time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)},
		password: "s3cret pass",
	}
	closing := make(chan struct{})
	e.shutdown = sync.OnceFunc(func() { close(closing) })
	t.Cleanup(e.shutdown)
	var progress httpapi.ProgressSource = e.tracker
	if o.deaf {
		progress = deafTracker{e.tracker}
	}
	dash := &httpapi.Dashboard{
		Statuses: e.statuses, Progress: progress, Updater: e.updater, Toggles: e.toggles,
		AutoUpdate: e.toggles.autoUpdate,
		History: &fakeHistory{attempts: []engine.Attempt{
			{Time: time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC), Container: "nginx", Image: "nginx:latest", OldDigest: local1, NewDigest: remote2, Result: engine.ResultRolledBack, Error: "new container exited with code 1", Duration: 2500 * time.Millisecond},
			{Time: time.Date(2026, 3, 3, 5, 0, 0, 0, time.UTC), Container: "app-a", Image: "127.0.0.1:5000/team/app:1.2", Result: engine.ResultUpdated},
		}},
		Errors:     e.tracker,
		Pruner:     e.pruner,
		PullBudget: fakeBudget{ratelimit.Budget{Known: true, Limit: 100, Remaining: 76, Window: 6 * time.Hour, Source: "203.0.113.7", Checked: time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)}},
		Closing:    closing,
		Engines:    o.engines,
	}
	if o.authOff {
		dash.Auth.Disabled = true
	} else {
		creds, err := session.NewCredentials("admin", e.password, "")
		if err != nil {
			t.Fatal(err)
		}
		mgr, err := session.NewManager([]byte(strings.Repeat("k", 32)), nil)
		if err != nil {
			t.Fatal(err)
		}
		dash.Auth = httpapi.DashboardAuth{Credentials: creds, Sessions: mgr, Limiter: session.NewLimiter(e.clock.now), TrustedProxies: o.trusted}
	}
	if o.budget != nil {
		dash.PullBudget = fakeBudget{*o.budget}
	}
	if !o.noSkips {
		e.skips = &fakeSkips{statuses: e.statuses}
		dash.Skips = e.skips
	}
	e.dashboard = dash
	h := httpapi.New(httpapi.Deps{Key: apikey.Given(testKey, "test"), Dashboard: dash}).Handler()
	if o.tls {
		e.srv = httptest.NewTLSServer(h)
	} else {
		e.srv = httptest.NewServer(h)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// response is what a test looks at in an answer.
type response struct {
	status int
	body   string
	header http.Header
}

// do sends one request; header values of "" are left out.
func (e *env) do(t *testing.T, method, path, body string, header map[string]string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// bearer is the header of a machine client.
var bearer = map[string]string{"Authorization": "Bearer " + testKey}

// login logs in and returns the header carrying the session cookie.
func (e *env) login(t *testing.T) map[string]string {
	t.Helper()
	r := e.do(t, "POST", "/api/login", `{"user":"admin","pass":"`+e.password+`"}`, nil)
	if r.status != http.StatusOK {
		t.Fatalf("login: got %d %q, want 200", r.status, r.body)
	}
	c := sessionCookie(t, r.header)
	return map[string]string{"Cookie": c.Name + "=" + c.Value}
}

func sessionCookie(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == httpapi.SessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %q", httpapi.SessionCookie, h.Values("Set-Cookie"))
	return nil
}
