package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/docker"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/httpapi"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/notify"
)

func newServeCmd(g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [NAME...]",
		Short: "Run the daemon: periodic passes, the HTTP APIs and the dashboard",
		RunE: func(cmd *cobra.Command, names []string) error {
			return runServe(cmd, g, o, names)
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// runServe wires every surface to one engine and runs until ctx ends, or
// after one pass with --run-once.
func runServe(cmd *cobra.Command, g *globalOptions, o *serveOptions, names []string) error {
	if o.healthCheck {
		return healthCheck()
	}
	ctx := cmd.Context()
	fs := cmd.Flags()
	log, err := g.logger(cmd.ErrOrStderr(), slog.LevelInfo)
	if err != nil {
		return err
	}
	warnings := append(compatWarnings(fs, g, o), g.env.warnings...)
	sched, err := o.periodic(fs, g.env)
	if err != nil {
		return err
	}
	if o.checkInterval <= 0 {
		return fmt.Errorf("--check-interval must be positive, got %s", o.checkInterval)
	}
	filter := daemon.Filter{
		Names: names, Disabled: o.disableContainers, LabelEnable: o.labelEnable, Scope: o.scope,
		IncludeStopped: o.includeStopped, IncludeRestarting: o.includeRestarting,
	}
	admission, err := o.deploy.admission(o, filter)
	if err != nil {
		return err
	}
	if patterns := admission.Allow.Patterns(); len(patterns) > 0 {
		log.Info("POST /update deploys only images from the repositories --deploy-allow names", "deploy_allow", strings.Join(patterns, ","))
	}
	if err := applyPorcelain(fs, o); err != nil {
		return err
	}
	host, _ := os.Hostname()
	notifyOpts, notes, err := o.notify.settings(host)
	if err != nil {
		return err
	}
	warnings = append(warnings, notes...)
	key, watchtowerKey, err := loadKeys(g.dataDir, o.httpAPIToken, log)
	if err != nil {
		return err
	}

	met := metrics.New()
	// The policy reads the toggles in the store that open opens: it is set
	// right after, and the engines ask it only from their first check on.
	var policy daemon.Policy
	a, err := g.open(ctx, wiring{
		log:                 log,
		withStore:           true,
		policy:              &o.versions,
		tolerateUnreachable: !o.runOnce,
		onRegistryRequest:   met.RegistryRequest,
		tune: func(eo *engine.Options, rt *docker.Runtime) {
			eo.AutoUpdate = func(c engine.Container) bool { on, _ := policy.AutoUpdate(c); return on }
			eo.LifecycleHooks = o.lifecycleHooks
			eo.Claims = filter.Claims
			eo.OneAtATime = o.rollingRestart
			eo.Finished = met.UpdateFinished
		},
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if !a.fleet.Several() {
		met.NameEngine(a.fleet.Names()[0])
	}
	met.WatchEngines(a.engineStates)
	a.reapHandOver(ctx)
	// Before anything else: a swap an earlier run left half done.
	if err := a.recoverSwaps(ctx); err != nil {
		log.Error(err.Error() + "; retrying before every pass")
	}
	autoDefault, policyLine := updatePolicy(fs, g.env, o.autoUpdateDefault)
	policy = daemon.Policy{Default: autoDefault, Toggles: a.store}

	stdout := &lockedWriter{w: cmd.OutOrStdout()}
	observers := []daemon.Observer{met, checkLog{log: log, strategy: o.warnOnHeadFailure}}
	var notifier *notify.Notifier
	if len(notifyOpts.URLs) > 0 {
		notifyOpts.Cleanup, notifyOpts.WarnOnHeadFailure = o.cleanup, o.warnOnHeadFailure
		if o.notify.logStdout {
			notifyOpts.Stdout = stdout
		}
		notifier, err = notify.New(notifyOpts, a.store, log)
		if err != nil {
			return err
		}
		warnings = append(warnings, notifier.Warnings()...)
		// Runs after the daemon's Shutdown below: the last pass's message
		// goes out before cutover exits.
		defer func() {
			closing, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyOpts.Delay+30*time.Second)
			defer cancel()
			notifier.Close(closing)
		}()
		observers = append(observers, notifier)
	}
	tracker := daemon.NewTracker()
	// The dashboard shows containers labelled enable=false; passes leave
	// them out.
	shown := filter
	shown.ShowDisabled = true
	snap := daemon.NewSnapshot(a.fleet, shown, log)
	if !o.runOnce {
		observers = append(observers, snap)
	}
	d := daemon.New(a.fleet, daemon.Options{
		Filter: filter, Policy: policy,
		MonitorOnly: o.monitorOnly, LabelTakePrecedence: o.labelTakePrecedence, NoPull: o.noPull,
		Apply: engine.ApplyOptions{Cleanup: o.cleanup, NoRestart: o.noRestart, ReviveStopped: o.reviveStopped, RemoveVolumes: o.removeVolumes},
		// --run-once updates as it did in Watchtower, API mode or not.
		CheckOnlyWhenScheduled: o.httpAPIUpdate && !o.httpAPIPeriodicPolls && !o.runOnce,
	}, log, tracker, observers...)
	met.CountSkippedScans(func() float64 { return float64(d.Skipped()) })
	defer shutdown(a, d, o.shutdownTimeout, log)

	for _, w := range warnings {
		log.Warn(w)
	}
	startup := startupMessage(ctx, a, filter, policy, policyLine, o, sched, notifier)
	for _, e := range startup {
		log.Info(e.Message, attrs(e.Data)...)
	}
	if notifier != nil && !o.noStartupMessage {
		for _, w := range warnings {
			startup = append(startup, notify.Entry{Time: time.Now(), Level: notify.WarnLevel, Message: w, Data: map[string]any{}})
		}
		notifier.Startup(ctx, startup)
	}
	if o.runOnce {
		rep, err := d.Trigger(ctx, daemon.Request{Scheduled: true})
		if err != nil {
			return err
		}
		// --porcelain owns stdout, as in Watchtower.
		if o.porcelain == "" {
			writeSummary(stdout, rep.Summary)
		}
		if rep.Failed > 0 {
			return &ExitError{Code: ExitFailed, Err: fmt.Errorf("%d updates failed", rep.Failed)}
		}
		return nil
	}

	deps := httpapi.Deps{Key: key, WatchtowerKey: watchtowerKey, Deployer: a.fleet, DeployAdmit: admission.Admit,
		Jobs: a.store, Engine: a.rt, Log: log, Events: tracker, Hosts: a.fleet.Names()}
	if a.fleet.Several() {
		deps.Engines = enginePings{a}
	}
	if o.httpAPIUpdate {
		deps.Passes = d
	}
	if o.httpAPIMetrics {
		deps.Metrics = met.Handler()
	}
	deps.Dashboard, err = o.ui.dashboard(dashboardParts{dataDir: g.dataDir, key: key, app: a, daemon: d,
		snapshot: snap, tracker: tracker, policy: policy, closing: ctx.Done(), log: log})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.listen, err)
	}
	log.Info("HTTP server listening", "addr", l.Addr().String())
	go d.RunSchedule(ctx, sched)
	go snap.Run(ctx, o.checkInterval, a.changes(ctx))
	go d.WatchAbandoned(ctx, abandonedCheck)
	return httpapi.New(deps).Serve(ctx, l)
}

// abandonedCheck is how often the daemon looks for swaps cut short by an
// engine restart between passes.
const abandonedCheck = 15 * time.Second

// shutdown lets the swaps in flight, whoever started them (a pass, the
// dashboard, a deploy), finish or roll back, for up to timeout, and stops
// every new one from beginning. A swap still running after that is
// recovered at the next start.
func shutdown(a *app, d *daemon.Daemon, timeout time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	passes := make(chan struct{})
	go func() {
		d.Shutdown()
		close(passes)
	}()
	if !a.fleet.Drain(ctx) {
		log.Warn("swaps still in flight at the end of --shutdown-timeout; they are settled at the next start", "timeout", timeout)
		return
	}
	select {
	case <-passes:
	case <-ctx.Done():
		log.Warn("the pass in flight did not end within --shutdown-timeout", "timeout", timeout)
	}
}

// loadKeys returns cutover's API key, the one in the data directory
// (created and shown once on first start), and the Watchtower API token
// when one is configured. Each unlocks what its tool's key did: the token
// /v1/* only, the API key the deploy webhook and the dashboard, and /v1/*
// too when there is no token.
func loadKeys(dataDir, token string, log *slog.Logger) (key, watchtower apikey.Key, err error) {
	key, created, err := apikey.Ensure(dataDir)
	if err != nil {
		return apikey.Key{}, apikey.Key{}, err
	}
	if created {
		log.Warn("generated a new API key; it is shown only this once, and kept in "+key.Source(), "api_key", key.Value())
	} else {
		log.Info("API key loaded", "file", key.Source(), "starts_with", key.Prefix())
	}
	if token == "" {
		log.Info("the API key unlocks /v1/*, POST /update and the dashboard")
		return key, apikey.Key{}, nil
	}
	log.Info("the Watchtower API token (--http-api-token) unlocks /v1/* only; POST /update and the dashboard take the API key")
	return key, apikey.Given(token, "configuration"), nil
}
