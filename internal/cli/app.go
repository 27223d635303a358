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
	"github.com/cutover/cutover/internal/registry"
	"github.com/cutover/cutover/internal/store"
)

// app is the engine wired to its adapters: the one place that knows them all.
type app struct {
	log    *slog.Logger
	rt     *docker.Runtime
	reg    *registry.Client
	store  *store.Store
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

// open connects to the engine and builds the update engine.
func (g *globalOptions) open(ctx context.Context, w wiring) (*app, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	rt, err := docker.New(g.host, g.dockerOptions()...)
	if err != nil {
		return nil, &ExitError{Code: ExitUnreachable, Err: fmt.Errorf("docker engine address: %w (set --host or DOCKER_HOST)", err)}
	}
	if err := rt.Ping(ctx); err != nil {
		unreachable := fmt.Errorf("cannot reach the Docker engine at %s: %v (point cutover at another one with --host or DOCKER_HOST)", rt.Host(), err)
		if !w.tolerateUnreachable {
			rt.Close()
			return nil, &ExitError{Code: ExitUnreachable, Err: unreachable}
		}
		w.log.Error(unreachable.Error() + "; retrying at every pass")
	}
	view, err := rt.Registries(ctx)
	if err != nil {
		w.log.Debug("cannot read the engine's insecure registries and platform", "err", err)
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
		return nil, err
	}
	a := &app{log: w.log, rt: rt, reg: reg}
	var hist engine.History
	switch {
	case w.withStore:
		a.store, err = store.Open(g.dataDir)
		if err != nil {
			rt.Close()
			return nil, err
		}
		hist = a.store
	case w.readStore:
		a.store, err = store.OpenExisting(g.dataDir, storeWait)
		if err != nil {
			w.log.Warn("held and skipped versions, and when new versions were first seen, are not known to this command: " + err.Error())
		}
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
	if a.store != nil {
		opts.Journal = a.store
		opts.Holds = a.store
		opts.Sightings = a.store
	}
	if w.policy != nil {
		if err := w.policy.apply(&opts); err != nil {
			a.Close()
			return nil, err
		}
	}
	// Every command can be run inside cutover's own container (docker exec
	// cutover cutover update): its own update is handed over whichever
	// surface asks for it.
	opts.FindSelf = rt.SelfID
	opts.HandOver = func(ctx context.Context, s engine.Step) error {
		_, err := rt.RunOneShot(ctx, s.Container, s.Image, g.handOverArgs(s))
		return err
	}
	if w.tune != nil {
		w.tune(&opts, rt)
	}
	a.engine = engine.New(rt, reg, hist, w.log, opts)
	return a, nil
}

func (a *app) Close() {
	if a.store != nil {
		a.store.Close()
	}
	a.rt.Close()
}

// handOverArgs is the command line of the one-shot container that swaps
// cutover's own container: the settings that shape a swap, and the engine
// it was told to use.
func (g *globalOptions) handOverArgs(s engine.Step) []string {
	args := []string{"handover", "--data-dir", "/tmp/cutover-handover",
		"--stop-timeout", g.stopTimeout.String(),
		"--health-grace", g.healthGrace.String(), "--health-timeout", g.healthTimeout.String()}
	if g.host != "" {
		args = append(args, "--host", g.host)
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
	rep, err := a.engine.Recover(ctx)
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
