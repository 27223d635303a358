package httpapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/ratelimit"
)

// POST /api/prune answers as Image Watch's did, at once, and prunes in the
// background, one prune at a time.
func TestDashboardPruneInTheBackground(t *testing.T) {
	release := make(chan struct{})
	e := newEnv(t, envOptions{pruneRelease: release})
	for range 3 {
		if r := e.do(t, "POST", "/api/prune", "", bearer); r.status != http.StatusOK || r.body != `{"status":"pruning"}`+"\n" {
			t.Fatalf("POST /api/prune: got %d %q, want 200 {\"status\":\"pruning\"}", r.status, r.body)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.pruner.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if n := e.pruner.count(); n != 1 {
		t.Errorf("prunes for three clicks while the first ran: got %d, want 1", n)
	}
	// Once it is done, the next click prunes again.
	deadline = time.Now().Add(5 * time.Second)
	for e.pruner.count() < 2 && time.Now().Before(deadline) {
		e.do(t, "POST", "/api/prune", "", bearer)
		time.Sleep(5 * time.Millisecond)
	}
	if n := e.pruner.count(); n < 2 {
		t.Errorf("prunes after the first ended: got %d, want another", n)
	}
	if r := e.do(t, "GET", "/api/prune", "", bearer); r.status != http.StatusMethodNotAllowed || r.body != "method not allowed\n" {
		t.Errorf("GET /api/prune: got %d %q, want 405 method not allowed", r.status, r.body)
	}
}

// rate_limited is true while a registry refuses for too many requests: the
// budget is spent, a check was refused, or a container's last update was.
func TestDashboardRateLimited(t *testing.T) {
	spent := ratelimit.Budget{Known: true, Limit: 100, Remaining: 0, Window: 6 * time.Hour, Source: "203.0.113.7"}
	limitedCheck := exampleReport()
	limitedCheck.Groups[0].Reason = "rate limited by index.docker.io (429): not asking again before 05:10:00"
	for _, tc := range []struct {
		name  string
		o     envOptions
		event *engine.Event
		want  bool
	}{
		{"budget left", envOptions{}, nil, false},
		{"budget spent", envOptions{budget: &spent}, nil, true},
		{"unknown budget", envOptions{budget: &ratelimit.Budget{Reason: "cannot reach Docker Hub"}}, nil, false},
		{"check refused", envOptions{report: limitedCheck}, nil, true},
		{"update refused", envOptions{}, &engine.Event{Container: "nginx", Phase: engine.PhaseFailed,
			Err: errors.New("pull failed: toomanyrequests: You have reached your pull rate limit")}, true},
		{"update failed otherwise", envOptions{}, &engine.Event{Container: "nginx", Phase: engine.PhaseFailed, Err: errors.New("manifest unknown")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.o)
			if tc.event != nil {
				e.tracker.Emit(*tc.event)
			}
			r := e.do(t, "GET", "/api/ratelimit", "", bearer)
			want := map[bool]string{true: `{"rate_limited":true,`, false: `{"rate_limited":false,`}[tc.want]
			if r.status != http.StatusOK || !strings.HasPrefix(r.body, want) {
				t.Errorf("GET /api/ratelimit: got %d %q, want 200 starting %s", r.status, r.body, want)
			}
		})
	}
}

// A container's "error" is its last update's failure, as in Image Watch,
// until an update of it succeeds.
func TestDashboardContainerError(t *testing.T) {
	e := newEnv(t, envOptions{})
	item := func() string {
		t.Helper()
		r := e.do(t, "GET", "/api/images", "", bearer)
		_, after, ok := strings.Cut(r.body, `"container_name":"nginx",`)
		if r.status != http.StatusOK || !ok {
			t.Fatalf("GET /api/images: got %d %q, want nginx listed", r.status, r.body)
		}
		before, _, _ := strings.Cut(after, "}")
		return before
	}
	const (
		plain = `"local_digest":"sha256:1111111111","status":"outdated","auto_update":false`
		state = `,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""`
	)
	if got := item(); got != plain+state {
		t.Errorf("before any update: got %s, want %s", got, plain+state)
	}
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhaseFailed, Err: errors.New(`pull nginx:latest: manifest unknown`)})
	if got, want := item(), plain+`,"error":"pull nginx:latest: manifest unknown"`+state; got != want {
		t.Errorf("after a failed update: got %s, want %s", got, want)
	}
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhaseRolledBack, Err: errors.New("new container exited with code 1")})
	if got, want := item(), plain+`,"error":"new container exited with code 1 (rolled back)"`+state; got != want {
		t.Errorf("after a rolled back update: got %s, want %s", got, want)
	}
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhaseDone})
	if got := item(); got != plain+state {
		t.Errorf("after a successful update: got %s, want %s", got, plain+state)
	}
}

// /login.html is Image Watch's login page: cutover's page, which asks for
// the login; with the login off it sends the browser to /.
func TestDashboardLoginPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(t, "GET", "/login.html", "", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(r.body, `id="login-form"`) {
		t.Errorf("GET /login.html: got %d %q, want 200 and the page with its login form", r.status, r.header.Get("Content-Type"))
	}
	if r := e.do(t, "POST", "/login.html", "", nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /login.html: got %d, want 405", r.status)
	}
	off := newEnv(t, envOptions{authOff: true})
	client := off.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(off.srv.URL + "/login.html")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/" {
		t.Errorf("GET /login.html with the login off: got %d to %q, want 302 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
}
