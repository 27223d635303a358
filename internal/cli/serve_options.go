package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/cutover/cutover/internal/daemon"
)

// serveOptions are the daemon's flags. Each has a CUTOVER_* variable and,
// where Watchtower has the setting, Watchtower's flag spelling and variable.
type serveOptions struct {
	listen               string
	interval             int
	schedule             string
	checkInterval        time.Duration
	autoUpdateDefault    bool
	cleanup              bool
	removeVolumes        bool
	includeStopped       bool
	includeRestarting    bool
	reviveStopped        bool
	monitorOnly          bool
	noPull               bool
	noRestart            bool
	labelEnable          bool
	labelTakePrecedence  bool
	disableContainers    []string
	scope                string
	rollingRestart       bool
	runOnce              bool
	noStartupMessage     bool
	lifecycleHooks       bool
	httpAPIUpdate        bool
	httpAPIToken         string
	httpAPIPeriodicPolls bool
	httpAPIMetrics       bool
	shutdownTimeout      time.Duration
	porcelain            string
	warnOnHeadFailure    string
	healthCheck          bool
	notify               notifyOptions
	ui                   uiOptions
	deploy               deployOptions
	versions             policyOptions
}

func (o *serveOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.listen, "listen", ":8080", "address of the HTTP server (every API, the dashboard, health)")
	f.IntVarP(&o.interval, "interval", "i", 86400, "seconds between periodic passes")
	f.StringVarP(&o.schedule, "schedule", "s", "", "cron expression with seconds (the day of week may be left out) for periodic passes; conflicts with --interval")
	f.DurationVar(&o.checkInterval, "check-interval", 15*time.Minute, "how often the dashboard's statuses are refreshed")
	f.BoolVar(&o.autoUpdateDefault, "auto-update-default", false, "update watched containers that have no toggle and no enable label (Watchtower's behaviour when true)")
	f.BoolVarP(&o.cleanup, "cleanup", "c", false, "remove old images after updating")
	f.BoolVar(&o.removeVolumes, "remove-volumes", false, "give new containers fresh anonymous volumes, with the new image's content, and remove the old ones (default: the new container keeps the old one's anonymous volumes and their data)")
	f.BoolVarP(&o.includeStopped, "include-stopped", "S", false, "watch created and exited containers too")
	f.BoolVar(&o.includeRestarting, "include-restarting", false, "watch restarting containers too")
	f.BoolVar(&o.reviveStopped, "revive-stopped", false, "start stopped containers after updating them")
	f.BoolVarP(&o.monitorOnly, "monitor-only", "m", false, "check and notify only; never update")
	f.BoolVar(&o.noPull, "no-pull", false, "never pull; recreate only containers whose tag was pulled by someone else")
	f.BoolVar(&o.noRestart, "no-restart", false, "leave starting containers to their process manager, as Watchtower did: the old container is stopped and removed and none is created (the old one is rebuilt if nothing starts the container within the health timeout); containers depending on an updated one are not restarted")
	f.BoolVarP(&o.labelEnable, "label-enable", "e", false, "watch only containers labelled com.centurylinklabs.watchtower.enable=true (or cutover.enable=true)")
	f.BoolVar(&o.labelTakePrecedence, "label-take-precedence", false, "a container's monitor-only=false label wins over --monitor-only")
	f.StringSliceVarP(&o.disableContainers, "disable-containers", "x", nil, "container names never to watch (comma or space separated)")
	f.StringVar(&o.scope, "scope", "", "watch only containers whose scope label has this value (\"none\": only those without)")
	f.BoolVar(&o.rollingRestart, "rolling-restart", false, "swap containers strictly one at a time, each gated on its health before the next begins")
	f.BoolVarP(&o.runOnce, "run-once", "R", false, "run one pass and exit")
	f.BoolVar(&o.noStartupMessage, "no-startup-message", false, "send no notification at startup (the startup summary is still logged)")
	f.BoolVar(&o.lifecycleHooks, "enable-lifecycle-hooks", false, "run the lifecycle hook commands containers name in their labels")
	f.BoolVar(&o.httpAPIUpdate, "http-api-update", false, "serve /v1/update; periodic passes then only check unless --http-api-periodic-polls")
	f.StringVar(&o.httpAPIToken, "http-api-token", "", "Watchtower's API token: it unlocks /v1/* only (default: the API key in <data-dir>/api_key, which also unlocks /update and the dashboard)")
	f.BoolVar(&o.httpAPIPeriodicPolls, "http-api-periodic-polls", false, "keep updating on schedule with --http-api-update")
	f.BoolVar(&o.httpAPIMetrics, "http-api-metrics", false, "serve Prometheus metrics on /v1/metrics")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 100*time.Second, "on SIGTERM, how long swaps in flight get to finish or roll back before cutover exits (give the container a longer stop grace period)")
	f.StringVarP(&o.porcelain, "porcelain", "P", "", "write each pass's result to stdout in a stable format; v1 is the only one")
	f.StringVar(&o.warnOnHeadFailure, "warn-on-head-failure", "auto", "when a failed registry check is a warning: always, never, or auto (Docker Hub and ghcr.io)")
	f.BoolVar(&o.healthCheck, "health-check", false, "exit 0 at once: Watchtower's HEALTHCHECK (cutover healthcheck asks the running daemon)")
	_ = f.MarkHidden("health-check")
	o.notify.addFlags(f)
	o.ui.addFlags(f)
	o.deploy.addFlags(f)
	o.versions.addFlags(f)
}

// periodic is when periodic passes run. As in Watchtower, --interval with
// --schedule is an error when the interval was given on the command line or
// differs from its default.
func (o *serveOptions) periodic(fs *pflag.FlagSet, env envReport) (daemon.Schedule, error) {
	given := (fs.Changed("interval") && !env.fromEnv("interval")) || o.interval != 86400
	return daemon.NewSchedule(time.Duration(o.interval)*time.Second, o.schedule, given)
}
