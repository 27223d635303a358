package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/httpapi"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/session"
)

// Secrets of the hostile-input server: tests look for them where they must
// not be.
const (
	hostileKey      = "hostile-api-key-7f3a9c1e5b"
	hostileUser     = "admin"
	hostilePassword = "hostile-dashboard-pw-4d8e2a"
)

// The containers the fakes know. One has a name that would split a header.
var (
	hostileNginxID = "3d4c5b6a7f8e" + strings.Repeat("0", 52)
	hostileAppID   = "aaaaaaaaaaaa" + strings.Repeat("0", 52)
	hostileEvilID  = "eeeeeeeeeeee" + strings.Repeat("0", 52)
	hostileEvil    = "evil\r\nX-Injected: 1\r\nSet-Cookie: injected=1"
	hostileNames   = []string{"nginx", "app-a", hostileEvil}
)

func hostileReport() engine.Report {
	mk := func(id, name, image string) engine.ContainerStatus {
		return engine.ContainerStatus{
			Container:   engine.Container{ID: id, Name: name, Image: image, State: "running"},
			LocalDigest: "sha256:" + strings.Repeat("1", 64), Status: engine.StatusOutdated,
		}
	}
	return engine.Report{
		CheckedAt: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		Groups: []engine.Group{
			{Image: "nginx:latest", Status: engine.StatusOutdated, Containers: []engine.ContainerStatus{mk(hostileNginxID, "nginx", "nginx")}},
			{Image: "127.0.0.1:5000/team/app:1.2", Status: engine.StatusOutdated, Containers: []engine.ContainerStatus{mk(hostileAppID, "app-a", "127.0.0.1:5000/team/app:1.2")}},
			{Image: "evil:latest", Status: engine.StatusOutdated, Containers: []engine.ContainerStatus{mk(hostileEvilID, hostileEvil, "evil")}},
		},
	}
}

// callRecorder keeps the calls that change something, in order.
type callRecorder struct {
	mu     sync.Mutex
	calls  []string
	images []string
}

func (r *callRecorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
}

// take returns the calls so far and forgets them.
func (r *callRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls, r.images = nil, nil
	return out
}

// addImages records the images a pass was asked to update.
func (r *callRecorder) addImages(images []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.images = append(r.images, images...)
}

// triggered returns the images passes were asked for since the last take.
func (r *callRecorder) triggered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.images)
}

type hostilePasses struct{ rec *callRecorder }

func (p hostilePasses) Trigger(_ context.Context, req daemon.Request) (daemon.Report, error) {
	p.rec.add("trigger %q", req.Images)
	p.rec.addImages(req.Images)
	return daemon.Report{ID: "p1", Trigger: "api"}, nil
}

func (p hostilePasses) TriggerAsync(req daemon.Request) (string, error) {
	p.rec.add("trigger async %q", req.Images)
	p.rec.addImages(req.Images)
	return "p2", nil
}

// hostileDeployer records deploys and answers with err, or updated.
type hostileDeployer struct {
	rec *callRecorder
	mu  sync.Mutex
	req []engine.DeployRequest
	err error
}

func (d *hostileDeployer) Deploy(_ context.Context, req engine.DeployRequest, _ engine.Sink) (engine.Outcome, error) {
	d.rec.add("deploy %q on %q", req.Container, req.Image)
	d.mu.Lock()
	d.req = append(d.req, req)
	err := d.err
	d.mu.Unlock()
	if err != nil {
		return engine.Outcome{}, err
	}
	return engine.Outcome{Result: engine.ResultUpdated, OldDigest: "sha256:a", NewDigest: "sha256:b"}, nil
}

func (d *hostileDeployer) requests() []engine.DeployRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.req)
}

// fail makes every deploy from now on fail with err.
func (d *hostileDeployer) fail(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = err
}

// takeRequests returns the requests so far and forgets them.
func (d *hostileDeployer) takeRequests() []engine.DeployRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.req
	d.req = nil
	return out
}

// hostileJobs keeps job records, so tests can read what was saved.
type hostileJobs struct {
	rec *callRecorder
	mu  sync.Mutex
	m   map[string][]byte
}

func (j *hostileJobs) SaveJob(id string, b []byte) error {
	j.rec.add("save job")
	j.mu.Lock()
	defer j.mu.Unlock()
	j.m[id] = slices.Clone(b)
	return nil
}

func (j *hostileJobs) LoadJob(id string) ([]byte, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if b, ok := j.m[id]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("job %q: %w", id, engine.ErrNotFound)
}

func (j *hostileJobs) all() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var b strings.Builder
	for _, v := range j.m {
		b.Write(v)
	}
	return b.String()
}

type hostilePinger struct{}

func (hostilePinger) Ping(context.Context) error { return nil }

type hostileStatuses struct{ rec *callRecorder }

func (hostileStatuses) Report() engine.Report { return hostileReport() }

func (s hostileStatuses) Refresh(context.Context) error {
	s.rec.add("refresh")
	return nil
}

type hostileToggles struct{ rec *callRecorder }

func (t hostileToggles) SetAutoUpdate(name string, on bool) error {
	t.rec.add("set auto-update of %q to %v", name, on)
	return nil
}

// TogglesVersion is constant: nothing is set.
func (hostileToggles) TogglesVersion() uint64 { return 0 }

type hostileSkips struct{ rec *callRecorder }

func (s hostileSkips) Skip(_ context.Context, name, by string) (engine.Hold, error) {
	s.rec.add("skip %q", name)
	return engine.Hold{Container: name, By: by}, nil
}

func (s hostileSkips) Unskip(_ context.Context, name string) error {
	s.rec.add("unskip %q", name)
	return nil
}

type hostilePruner struct{ rec *callRecorder }

func (p hostilePruner) PruneDanglingImages(context.Context) ([]string, uint64, error) {
	p.rec.add("prune")
	return nil, 0, nil
}

type hostileHistory struct{}

func (hostileHistory) Attempts(context.Context, string, string, int) ([]engine.Attempt, error) {
	return nil, nil
}

// countingSessions records the sessions it opens.
type countingSessions struct {
	httpapi.Sessions
	rec *callRecorder
}

func (c countingSessions) Issue(user string) (string, time.Time, error) {
	c.rec.add("open session for %q", user)
	return c.Sessions.Issue(user)
}

// hostileLog is a log sink safe for concurrent handlers.
type hostileLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *hostileLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *hostileLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hostileServer is every surface of the HTTP server with fakes behind it
// that record each call that would change something.
type hostileServer struct {
	rec      *callRecorder
	deployer *hostileDeployer
	jobs     *hostileJobs
	logs     *hostileLog
	metrics  *metrics.Metrics
	server   *httpapi.Server
	handler  http.Handler
}

type hostileOptions struct {
	// fuzzing leaves login attempts unlimited and drops the logs, which
	// would grow with every input.
	fuzzing bool
}

func newHostileServer(t testing.TB, o hostileOptions) *hostileServer {
	t.Helper()
	rec := &callRecorder{}
	h := &hostileServer{
		rec:      rec,
		deployer: &hostileDeployer{rec: rec},
		jobs:     &hostileJobs{rec: rec, m: map[string][]byte{}},
		logs:     &hostileLog{},
		metrics:  metrics.New(),
	}
	creds, err := session.NewCredentials(hostileUser, hostilePassword, "")
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := session.NewManager([]byte(strings.Repeat("s", 32)), nil)
	if err != nil {
		t.Fatal(err)
	}
	auth := httpapi.DashboardAuth{Credentials: creds, Sessions: countingSessions{Sessions: mgr, rec: rec}}
	if !o.fuzzing {
		auth.Limiter = session.NewLimiter(nil)
	}
	closing := make(chan struct{})
	close(closing) // event streams end at once
	dash := &httpapi.Dashboard{
		Statuses:   hostileStatuses{rec: rec},
		Progress:   daemon.NewTracker(),
		Updater:    httpapi.UpdaterFunc(func(names []string, _ bool) error { rec.add("update %q", names); return nil }),
		Skips:      hostileSkips{rec: rec},
		Toggles:    hostileToggles{rec: rec},
		AutoUpdate: func(engine.Container) bool { return false },
		History:    hostileHistory{},
		Pruner:     hostilePruner{rec: rec},
		Auth:       auth,
		Closing:    closing,
	}
	var sink io.Writer = h.logs
	if o.fuzzing {
		sink = io.Discard
	}
	log := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.server = httpapi.New(httpapi.Deps{
		Key:       apikey.Given(hostileKey, "test"),
		Passes:    hostilePasses{rec: rec},
		Metrics:   h.metrics.Handler(),
		Deployer:  h.deployer,
		Jobs:      h.jobs,
		Engine:    hostilePinger{},
		Log:       log,
		Dashboard: dash,
	})
	h.handler = h.server.Handler()
	return h
}

// serve runs the server as cutover serve does, with its limits and
// timeouts, on a loopback port, and returns its base URL.
func (h *hostileServer) serve(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.server.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + l.Addr().String()
}
