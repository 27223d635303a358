package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/ratelimit"
	"github.com/cutover/cutover/internal/web"
)

// StatusSource holds the latest statuses in memory, so that reading them
// never waits on a registry.
type StatusSource interface {
	Report() engine.Report
	Refresh(ctx context.Context) error
}

// ProgressSource follows updates while they run.
type ProgressSource interface {
	Get(name string) (daemon.Progress, bool)
	Busy(name string) bool
	Subscribe() (<-chan engine.Event, func())
}

// LastErrors remembers how each container's last update failed.
type LastErrors interface {
	// LastError is the error of name's last update, "" when it succeeded.
	LastError(name string) string
	// ErrorsVersion changes whenever a last error does.
	ErrorsVersion() uint64
}

// Updater starts updates of the named containers in the background. force
// applies versions still in their cooldown, and swaps paused containers.
type Updater interface {
	UpdateNow(names []string, force bool) error
}

// UpdaterFunc adapts a function to Updater.
type UpdaterFunc func(names []string, force bool) error

// UpdateNow implements Updater.
func (f UpdaterFunc) UpdateNow(names []string, force bool) error { return f(names, force) }

// Skipper keeps the versions a person chose to skip, and shows them in the
// statuses at once.
type Skipper interface {
	// Skip skips the version offered to the container named name; its
	// error matches engine.ErrNoOffer when none is.
	Skip(ctx context.Context, name, by string) (engine.Hold, error)
	// Unskip undoes a skip, or releases the hold a rollback put.
	Unskip(ctx context.Context, name string) error
}

// ToggleStore persists auto-update choices, keyed by container name.
type ToggleStore interface {
	SetAutoUpdate(name string, on bool) error
	// TogglesVersion changes whenever a toggle is set, so that an answer
	// rendered from the toggles can tell it is stale.
	TogglesVersion() uint64
}

// HistoryStore lists past update attempts, newest first: of every engine,
// or only of host; of every container, or only of container.
type HistoryStore interface {
	Attempts(ctx context.Context, host, container string, limit int) ([]engine.Attempt, error)
}

// Pruner removes images no tag names and no container uses.
type Pruner interface {
	PruneDanglingImages(ctx context.Context) (removed []string, reclaimed uint64, err error)
}

// PullBudget reads Docker Hub's remaining pulls.
type PullBudget interface {
	Budget(ctx context.Context) ratelimit.Budget
}

// EngineStates tells what each engine cutover watches answered last.
type EngineStates interface {
	EngineStates() []EngineAnswer
}

// Dashboard is what the dashboard API and web UI call. Statuses, Progress,
// Updater, Toggles and AutoUpdate are required; the others turn their
// endpoint off when nil.
type Dashboard struct {
	Statuses StatusSource
	Progress ProgressSource
	Updater  Updater
	Toggles  ToggleStore
	// AutoUpdate says whether a periodic pass would update a container now,
	// so a toggle shows at once rather than at the next check.
	AutoUpdate func(engine.Container) bool
	History    HistoryStore
	// Skips, when set, serves POST and DELETE /api/images/{id}/skip.
	Skips Skipper
	// Errors, when set, fills each container's "error" with its last
	// update's failure.
	Errors     LastErrors
	Pruner     Pruner
	PullBudget PullBudget
	// Engines, when set, serves GET /api/hosts: what each engine answered
	// the last time cutover asked it.
	Engines EngineStates
	Auth    DashboardAuth
	// Closing ends open event streams, so that a shutdown need not wait for
	// browsers to go away.
	Closing <-chan struct{}
}

// dashboard is the dashboard's state inside one server.
type dashboard struct {
	Dashboard
	s       *Server
	cross   *http.CrossOriginProtection
	mu      sync.Mutex
	renamed map[string]recentID // ids of containers recreated by an update
	shown   renderedImages      // the last answer of GET /api/images
	pruneMu sync.Mutex          // one prune at a time
	pruning atomic.Bool         // a background prune runs
}

// recentID remembers which container an id belonged to, so a client that
// asks for the progress of an update by the id it knew still gets it after
// the container was recreated under a new id.
type recentID struct {
	name string
	at   time.Time
}

// recentIDKeep is how long an id of an updated container still resolves.
const recentIDKeep = 10 * time.Minute

// routeDashboard registers the dashboard API and the web UI. Methods are
// checked by the handlers, so that a wrong one gets the dashboard's own
// answer.
func (s *Server) routeDashboard() {
	d := &dashboard{Dashboard: *s.deps.Dashboard, s: s, renamed: map[string]recentID{}}
	if d.AutoUpdate == nil {
		d.AutoUpdate = func(engine.Container) bool { return false }
	}
	d.cross = http.NewCrossOriginProtection()
	d.cross.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		textError(w, http.StatusForbidden, "cross-origin request refused")
	}))

	s.mux.Handle("/api/login", d.public(d.login))
	s.mux.Handle("/api/logout", d.public(d.logout))
	s.mux.Handle("/api/auth/status", d.public(d.authStatus))
	s.mux.Handle("/api/images", d.private(d.images))
	s.mux.Handle("/api/images/", d.private(d.imageAction))
	s.mux.Handle("/api/groups/", d.private(d.groupUpdate))
	s.mux.Handle("/api/projects", d.private(d.projects))
	s.mux.Handle("/api/projects/", d.private(d.projectAction))
	s.mux.Handle("/api/events", d.private(d.events))
	s.mux.Handle("/api/check", d.private(d.check))
	s.mux.Handle("/api/history", d.private(d.history))
	s.mux.Handle("/api/ratelimit", d.private(d.rateLimit))
	s.mux.Handle("/api/prune", d.private(d.prune))
	s.mux.Handle("/api/hosts", d.private(d.hosts))

	ui := web.Handler()
	s.mux.Handle("GET /{$}", ui)
	s.mux.Handle("GET /assets/", ui)
	s.mux.Handle("GET /login.html", d.loginPage(ui))
}

// loginPage is Image Watch's /login.html: the page, which asks for a login
// when there is no session; with the login off, Image Watch sent the
// browser to / instead, and so does cutover.
func (d *dashboard) loginPage(ui http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Auth.Disabled {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		ui.ServeHTTP(w, r)
	})
}

// public guards an endpoint anyone may call: only cross-origin writes are
// refused.
func (d *dashboard) public(h http.HandlerFunc) http.Handler {
	return d.cross.Handler(h)
}

// private guards an endpoint that needs a session or the API key.
func (d *dashboard) private(h http.HandlerFunc) http.Handler {
	return d.cross.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !d.authorized(r) {
			if tok := presentedToken(r); d.s.watchtowerKeySet() && d.s.deps.WatchtowerKey.Matches(tok) {
				textError(w, http.StatusForbidden, "forbidden: the Watchtower API token unlocks /v1/* only: log in, or send cutover's API key")
				return
			}
			textError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		h(w, r)
	}))
}

// textError answers in plain text, as dashboard clients expect.
func textError(w http.ResponseWriter, status int, msg string) {
	http.Error(w, msg, status)
}

// allow answers 405 unless the request uses method.
func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	textError(w, http.StatusMethodNotAllowed, "method not allowed")
	return false
}

// shown reports whether the dashboard lists c: containers started from an
// image id have no image to watch.
func shown(c engine.Container) bool { return !strings.HasPrefix(c.Image, "sha256:") }

// find returns the container that id names: its 12-character id, its full
// id or its name.
func (d *dashboard) find(id string) (engine.ContainerStatus, bool) {
	if id == "" {
		return engine.ContainerStatus{}, false
	}
	for _, g := range d.Statuses.Report().Groups {
		for _, cs := range g.Containers {
			c := cs.Container
			if shown(c) && (engine.ShortID(c.ID) == id || c.ID == id || c.FullName() == id) {
				return cs, true
			}
		}
	}
	return engine.ContainerStatus{}, false
}

// resolve returns the name of the container id names, also when id is the
// id a container had before an update recreated it.
func (d *dashboard) resolve(id string) (string, bool) {
	if cs, ok := d.find(id); ok {
		return cs.Container.FullName(), true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.renamed[id]; ok && time.Since(r.at) < recentIDKeep {
		return r.name, true
	}
	return "", false
}

// remember records the ids of containers about to be recreated.
func (d *dashboard) remember(cs ...engine.Container) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	for id, r := range d.renamed {
		if now.Sub(r.at) >= recentIDKeep {
			delete(d.renamed, id)
		}
	}
	for _, c := range cs {
		d.renamed[c.ID] = recentID{name: c.FullName(), at: now}
		d.renamed[engine.ShortID(c.ID)] = recentID{name: c.FullName(), at: now}
	}
}

// pathSegments splits the request's path after prefix into its segments,
// each unescaped: an escaped slash (%2F) stays inside its segment, as in
// an ENGINE/NAME id.
func pathSegments(r *http.Request, prefix string) ([]string, bool) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), prefix)
	if !ok {
		return nil, false
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}
