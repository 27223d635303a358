package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/cutover/cutover/internal/compose"
	"github.com/cutover/cutover/internal/docker"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/fleet"
	"github.com/cutover/cutover/internal/registry"
	"github.com/cutover/cutover/internal/store"
)

// app is the engines wired to their adapters: the one place that knows
// them all.
type app struct {
	log   *slog.Logger
	store *store.Store
	// fleet is every engine cutover watches; a fleet of one is the engine
	// alone, its containers named as they always were.
	fleet *fleet.Fleet
	// rt, reg and engine are the first engine's: the one cutover's own
	// container, its hand-over and the dashboard's image pruning concern.
	rt      *docker.Runtime
	reg     *registry.Client
	engine  *engine.Engine
	members []member
}

// member is one engine's connection and update engine.
type member struct {
	spec   hostSpec
	rt     *docker.Runtime
	engine *engine.Engine
}

// storeWait is how long a read-only command waits for the store another
// process holds before going on without it.
const storeWait = time.Second

// wiring says what a command needs opened.
type wiring struct {
	log *slog.Logger
	// withStore opens the data directory; read-only commands leave it alone.
	withStore bool
	// readStore opens the store when the data directory has one and no
	// other process holds it (a running serve does): held versions and
	// first sightings are read from it, and sightings recorded.
	readStore bool
	// policy sets the version policy and cooldown of containers without
	// labels of their own.
	policy *policyOptions
	// tolerateUnreachable keeps going when the engine does not answer yet.
	tolerateUnreachable bool
	// tune adjusts the engine's options beyond the global flags.
	tune func(*engine.Options, *docker.Runtime)
	// onRegistryRequest, when set, hears of every request sent to a registry.
	onRegistryRequest func()
}

// open connects to the engines and builds an update engine for each.
func (g *globalOptions) open(ctx context.Context, w wiring) (*app, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	specs, err := g.hostSpecs()
	if err != nil {
		return nil, err
	}
	several := len(specs) > 1
	a := &app{log: w.log}
	switch {
	case w.withStore:
		if a.store, err = store.Open(g.dataDir); err != nil {
			return nil, err
		}
	case w.readStore:
		a.store, err = store.OpenExisting(g.dataDir, storeWait)
		if err != nil {
			w.log.Warn("held and skipped versions, and when new versions were first seen, are not known to this command: " + err.Error())
		}
	}
	shared := fleet.NewRegistry()
	var members []fleet.Member
	for _, s := range specs {
		m, reg, err := g.openMember(ctx, w, s, several, a.store, shared)
		if err != nil {
			a.Close()
			return nil, err
		}
		if a.rt == nil {
			a.rt, a.reg, a.engine = m.rt, reg, m.engine
		}
		a.members = append(a.members, m)
		members = append(members, fleet.Member{Name: s.name, Engine: m.engine, Ping: m.rt.Ping})
	}
	if a.fleet, err = fleet.New(members...); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// openMember connects to one engine and builds its update engine. Among
// several, an engine that does not answer is kept, shown as unreachable
// and asked again at every pass: it must not stop cutover watching the
// others.
func (g *globalOptions) openMember(ctx context.Context, w wiring, s hostSpec, several bool, st *store.Store, shared *fleet.Registry) (member, *registry.Client, error) {
	which := "the Docker engine"
	if several {
		which = "engine " + s.name
	}
	rt, err := docker.New(s.addr, g.dockerOptionsFor(s, several)...)
	if err != nil {
		return member{}, nil, &ExitError{Code: ExitUnreachable, Err: fmt.Errorf("%s: address: %w (set --host or DOCKER_HOST)", which, err)}
	}
	if err := rt.Ping(ctx); err != nil {
		unreachable := fmt.Errorf("cannot reach %s at %s: %v (point cutover at another one with --host or DOCKER_HOST)", which, rt.Host(), err)
		if !w.tolerateUnreachable && !several {
			rt.Close()
			return member{}, nil, &ExitError{Code: ExitUnreachable, Err: unreachable}
		}
		w.log.Error(unreachable.Error() + "; retrying at every pass")
	}
	view, err := rt.Registries(ctx)
	if err != nil {
		w.log.Debug("cannot read the engine's insecure registries and platform", "host", s.name, "err", err)
	}
	regOpts := registry.Options{
		Username: envOr("", "REPO_USER"),
		Password: envOr("", "REPO_PASS"),
		Insecure: view.Insecure,
		// An offered image's configuration is read for the platform the
		// engine would pull.
		Platform: view.Platform,
	}
	if w.onRegistryRequest != nil {
		regOpts.Transport = countingTransport(w.onRegistryRequest)
	}
	reg, err := registry.New(regOpts)
	if err != nil {
		rt.Close()
		return member{}, nil, err
	}
	opts := engine.Options{
		StopTimeout:    g.stopTimeout,
		HealthTimeout:  g.healthTimeout,
		HealthGrace:    g.healthGrace,
		Outages:        g.restarts,
		CallTimeout:    g.engineTimeout,
		AtomicProjects: g.atomicProjects,
		AfterStep:      crashAfter(os.Getenv("CUTOVER_CRASH_AFTER")),
	}
	if g.composeWrite {
		opts.Moved = compose.Follow
	}
	var hist engine.History
	var asked engine.Registry = reg
	if several {
		opts.Host = s.name
		// An image several engines run is asked of its registry once.
		asked = shared.For(reg, view.Platform)
	}
	if st != nil {
		var kept interface {
			engine.Journal
			engine.Holds
			engine.Sightings
			engine.History
		} = st
		if several {
			kept = st.View(s.name)
		}
		opts.Journal, opts.Holds, opts.Sightings = kept, kept, kept
		if w.withStore {
			hist = kept
		}
	}
	if w.policy != nil {
		if err := w.policy.apply(&opts); err != nil {
			rt.Close()
			return member{}, nil, err
		}
	}
	// Every command can be run inside cutover's own container (docker exec
	// cutover cutover update): its own update is handed over whichever
	// surface asks for it.
	opts.FindSelf = rt.SelfID
	opts.HandOver = func(ctx context.Context, step engine.Step) error {
		_, err := rt.RunOneShot(ctx, step.Container, step.Image, g.handOverArgs(s, step))
		return err
	}
	if w.tune != nil {
		w.tune(&opts, rt)
	}
	return member{spec: s, rt: rt, engine: engine.New(rt, asked, hist, w.log, opts)}, reg, nil
}

func (a *app) Close() {
	if a.store != nil {
		a.store.Close()
	}
	for _, m := range a.members {
		m.rt.Close()
	}
}

// handOverArgs is the command line of the one-shot container that swaps
// cutover's own container: the settings that shape a swap, and the engine
// it was told to use.
func (g *globalOptions) handOverArgs(h hostSpec, s engine.Step) []string {
	args := []string{"handover", "--data-dir", "/tmp/cutover-handover",
		"--stop-timeout", g.stopTimeout.String(),
		"--health-grace", g.healthGrace.String(), "--health-timeout", g.healthTimeout.String()}
	if h.addr != "" {
		args = append(args, "--host", h.addr)
	}
	if g.logLevel != "" {
		args = append(args, "--log-level", g.logLevel)
	}
	return append(args, s.Container.Name, s.Image)
}

// reapHandOver reports how the last self-update's hand-over container
// ended, and removes it: its logs are the only trace of a failed one. A
// hand-over still running (gating this very instance) is waited for, in
// the background, until ctx ends.
func (a *app) reapHandOver(ctx context.Context) {
	id, err := a.rt.SelfID(ctx)
	if err != nil || id == "" {
		return
	}
	self, err := a.rt.Container(ctx, id)
	if err != nil {
		return
	}
	go func() {
		for {
			got, err := a.rt.ReapOneShot(ctx, self.Name)
			switch {
			case err != nil:
				a.log.Warn("cannot look at the last self-update's hand-over container", "err", err)
				return
			case !got.Found:
				return
			case got.Running:
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
					continue
				}
			case got.ExitCode != 0:
				a.log.Error("the last self-update failed; this instance kept running", "exit_code", got.ExitCode, "output", got.Log)
			default:
				a.log.Info("self-update finished", "container", self.Name)
			}
			return
		}
	}()
}

// recoverSwaps finishes or undoes swaps an earlier run left behind. It runs
// before anything else a command changes.
func (a *app) recoverSwaps(ctx context.Context) error {
	rep, err := a.fleet.Recover(ctx)
	if err != nil {
		return fmt.Errorf("recovering unfinished swaps: %w", err)
	}
	for _, n := range rep.Kept {
		a.log.Warn("finished a swap cut short: kept the new container", "container", n)
	}
	for _, n := range rep.RolledBack {
		a.log.Warn("undid a swap cut short: the old container serves again", "container", n)
	}
	return nil
}

// claimNames limits recovery to the swaps of the named containers, when any
// are named: a command about some containers leaves the others' swaps, maybe
// another instance's, alone.
func claimNames(names []string) func(*engine.Options, *docker.Runtime) {
	return func(o *engine.Options, _ *docker.Runtime) {
		if len(names) == 0 {
			return
		}
		o.Claims = func(_ engine.Container, base string) bool { return slices.Contains(names, base) }
	}
}
