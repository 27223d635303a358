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
	ctx := cmd.Context()
	log, err := g.logger(cmd.ErrOrStderr(), slog.LevelInfo)
	if err != nil {
		return err
	}
	sched, err := daemon.NewSchedule(time.Duration(o.interval)*time.Second, o.schedule, cmd.Flags().Changed("interval") || os.Getenv("WATCHTOWER_POLL_INTERVAL") != "" || os.Getenv("CUTOVER_INTERVAL") != "")
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
	key, watchtowerKey, err := loadKeys(g.dataDir, o.httpAPIToken, log)
	if err != nil {
		return err
	}

	var met *metrics.Metrics
	var d *daemon.Daemon
	met = metrics.New(func() float64 {
		if d == nil {
			return 0
		}
		return float64(d.Skipped())
	})
	var policy daemon.Policy
	a, err := g.open(ctx, wiring{
		log:                 log,
		withStore:           true,
		tolerateUnreachable: !o.runOnce,
		onRegistryRequest:   met.RegistryRequest,
		tune: func(eo *engine.Options, rt *docker.Runtime) {
			eo.AutoUpdate = func(c engine.Container) bool { on, _ := policy.AutoUpdate(c); return on }
			eo.LifecycleHooks = o.lifecycleHooks
			eo.Claims = filter.Claims
			eo.OneAtATime = o.rollingRestart
		},
	})
	if err != nil {
		return err
	}
	defer a.Close()
	a.reapHandOver(ctx)
	// Before anything else: a swap an earlier run left half done.
	if err := a.recoverSwaps(ctx); err != nil {
		log.Error(err.Error() + "; retrying before every pass")
	}
	policy = daemon.Policy{Default: o.autoUpdateDefault, Toggles: a.store}

	observers := []daemon.Observer{met}
	if len(o.notificationURLs) > 0 {
		host, _ := os.Hostname()
		n, err := notify.New(notify.Options{URLs: o.notificationURLs, Template: o.notificationTemplate, Report: o.notificationReport, Host: host}, a.store, log)
		if err != nil {
			return err
		}
		observers = append(observers, n)
	}
	tracker := daemon.NewTracker()
	snap := daemon.NewSnapshot(a.engine, filter, log)
	if !o.runOnce {
		observers = append(observers, snap)
	}
	d = daemon.New(a.engine, daemon.Options{
		Filter: filter, Policy: policy,
		MonitorOnly: o.monitorOnly, LabelTakePrecedence: o.labelTakePrecedence, NoPull: o.noPull,
		Apply:                  engine.ApplyOptions{Cleanup: o.cleanup, NoRestart: o.noRestart, ReviveStopped: o.reviveStopped, RemoveVolumes: o.removeVolumes},
		CheckOnlyWhenScheduled: o.httpAPIUpdate && !o.httpAPIPeriodicPolls,
	}, log, tracker, observers...)
	defer shutdown(a, d, o.shutdownTimeout, log)

	if !o.noStartupMessage {
		startupMessage(ctx, log, a, filter, policy, o, sched)
	}
	if o.runOnce {
		rep, err := d.Trigger(ctx, daemon.Request{Scheduled: true})
		if err != nil {
			return err
		}
		writeSummary(cmd.OutOrStdout(), rep.Summary)
		if rep.Failed > 0 {
			return &ExitError{Code: ExitFailed, Err: fmt.Errorf("%d updates failed", rep.Failed)}
		}
		return nil
	}

	deps := httpapi.Deps{Key: key, WatchtowerKey: watchtowerKey, Deployer: a.engine, DeployAdmit: admission.Admit,
		Jobs: a.store, Engine: a.rt, Log: log, Events: tracker}
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
	go snap.Run(ctx, o.checkInterval, a.rt.Changes(ctx))
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
	if !a.engine.Drain(ctx) {
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

// startupMessage says what is watched, what will be auto-updated and why.
func startupMessage(ctx context.Context, log *slog.Logger, a *app, f daemon.Filter, p daemon.Policy, o *serveOptions, s daemon.Schedule) {
	cs, err := a.rt.Containers(ctx, f.IncludeStopped || f.IncludeRestarting)
	if err != nil {
		log.Warn("cannot list containers for the startup summary", "err", err)
		return
	}
	watched, auto := 0, 0
	why := map[string]int{}
	for _, c := range cs {
		if !f.Admits(c) {
			continue
		}
		watched++
		if on, reason := p.AutoUpdate(c); on {
			auto++
			why[reason]++
		}
	}
	var reasons []string
	for _, r := range []string{"toggle", "label", "default"} {
		if why[r] > 0 {
			reasons = append(reasons, fmt.Sprintf("%d by %s", why[r], r))
		}
	}
	msg := fmt.Sprintf("watching %d containers, auto-updating %d", watched, auto)
	if len(reasons) > 0 {
		msg += " (" + strings.Join(reasons, ", ") + ")"
	}
	switch {
	case o.monitorOnly:
		msg += "; --monitor-only: no container will be updated"
	case !p.Default && auto < watched:
		msg += fmt.Sprintf("; the other %d are only monitored because --auto-update-default is false: set it to true (or label containers com.centurylinklabs.watchtower.enable=true) to update them as Watchtower did", watched-auto)
	}
	when := "periodic passes " + s.String()
	if o.httpAPIUpdate && !o.httpAPIPeriodicPolls {
		when += " check only (updates come through /v1/update; --http-api-periodic-polls to update on schedule)"
	}
	log.Info(msg)
	log.Info(when, "next", s.Next(time.Now()).Format(time.RFC3339))
}
