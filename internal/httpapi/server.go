package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// Passes runs update passes.
type Passes interface {
	Trigger(ctx context.Context, req daemon.Request) (daemon.Report, error)
	TriggerAsync(req daemon.Request) (string, error)
}

// Deployer recreates one container on a given image.
type Deployer interface {
	Deploy(ctx context.Context, req engine.DeployRequest, sink engine.Sink) (engine.Outcome, error)
}

// EnginePinger tells, for each of several engines, whether it answers.
type EnginePinger interface {
	PingEach(ctx context.Context) []EngineAnswer
}

// EngineAnswer is whether one engine answered: Err nil when it did; At
// is when it was asked, zero when it never was.
type EngineAnswer struct {
	Host string
	Err  error
	At   time.Time
}

// Pinger tells whether the container engine answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// JobStore keeps deploy jobs across restarts, as opaque records.
type JobStore interface {
	SaveJob(id string, record []byte) error
	LoadJob(id string) ([]byte, error)
}

// Deps are what the server calls. Nil fields turn their surface off.
type Deps struct {
	// Hosts are the names of the engines cutover watches, which /v1/update's
	// ?host= chooses among; empty turns ?host= off.
	Hosts []string
	// Engines, when set, answers /health for every engine; Engine answers
	// it otherwise.
	Engines EnginePinger
	// Key is cutover's API key: it unlocks the deploy webhook and the
	// dashboard, and /v1/* too unless WatchtowerKey is set.
	Key apikey.Key
	// WatchtowerKey, when set, is Watchtower's API token: it unlocks /v1/*
	// and nothing else, and Key no longer unlocks /v1/*.
	WatchtowerKey apikey.Key
	Passes        Passes       // /v1/update; nil unless --http-api-update
	Metrics       http.Handler // /v1/metrics; nil unless --http-api-metrics
	Deployer      Deployer     // /update
	// DeployAdmit, when set, decides whether a deploy may go ahead (see
	// engine.DeployRequest.Admit).
	DeployAdmit func(engine.Container, engine.Reference) error
	// Events, when set, hears every deploy's progress too, so every surface
	// shows it.
	Events engine.Sink
	Jobs   JobStore
	Engine Pinger
	Log    *slog.Logger
	// Dashboard serves /api/* and the web UI at /; nil turns them off.
	Dashboard *Dashboard
}

// Server is the HTTP surface.
type Server struct {
	deps Deps
	mux  *http.ServeMux
	jobs *jobs
}

// New builds the server's routes.
func New(deps Deps) *Server {
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{deps: deps, mux: http.NewServeMux()}
	s.jobs = newJobs(deps.Jobs, deps.Log)
	s.mux.HandleFunc("GET /health", s.health)
	if deps.Passes != nil {
		s.mux.Handle("GET /v1/update", s.watchtower(s.v1Update))
		s.mux.Handle("POST /v1/update", s.watchtower(s.v1Update))
	}
	if deps.Metrics != nil {
		s.mux.Handle("GET /v1/metrics", s.watchtower(deps.Metrics.ServeHTTP))
	}
	if deps.Deployer != nil {
		s.mux.Handle("POST /update", s.machine(s.deploy))
		s.mux.Handle("GET /update/{id}", s.machine(s.deployJob))
	}
	if deps.Dashboard != nil {
		s.routeDashboard()
	}
	return s
}

// Handler is the server's root handler.
func (s *Server) Handler() http.Handler {
	return recoverPanics(canonicalPaths(s.mux), s.deps.Log)
}

// Serve answers on l until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := s.httpServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func recoverPanics(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panicked", "path", r.URL.Path, "panic", v)
				writeJSONError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
