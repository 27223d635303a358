package cli

import (
	"time"

	"github.com/spf13/pflag"
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
	notificationURLs     []string
	notificationTemplate string
	notificationReport   bool
	ui                   uiOptions
	deploy               deployOptions
}

func (o *serveOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.listen, "listen", ":8080", "address of the HTTP server (every API, the dashboard, health)")
	f.IntVarP(&o.interval, "interval", "i", 86400, "seconds between periodic passes")
	f.StringVarP(&o.schedule, "schedule", "s", "", "six-field cron expression (with seconds) for periodic passes; conflicts with --interval")
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
	f.BoolVar(&o.labelEnable, "label-enable", false, "watch only containers labelled com.centurylinklabs.watchtower.enable=true (or cutover.enable=true)")
	f.BoolVar(&o.labelTakePrecedence, "label-take-precedence", false, "a container's monitor-only=false label wins over --monitor-only")
	f.StringSliceVarP(&o.disableContainers, "disable-containers", "x", nil, "container names never to watch (comma or space separated)")
	f.StringVar(&o.scope, "scope", "", "watch only containers whose scope label has this value (\"none\": only those without)")
	f.BoolVar(&o.rollingRestart, "rolling-restart", false, "swap containers strictly one at a time, each gated on its health before the next begins")
	f.BoolVarP(&o.runOnce, "run-once", "R", false, "run one pass and exit")
	f.BoolVar(&o.noStartupMessage, "no-startup-message", false, "do not log the startup summary")
	f.BoolVar(&o.lifecycleHooks, "enable-lifecycle-hooks", false, "run the lifecycle hook commands containers name in their labels")
	f.BoolVar(&o.httpAPIUpdate, "http-api-update", false, "serve /v1/update; periodic passes then only check unless --http-api-periodic-polls")
	f.StringVar(&o.httpAPIToken, "http-api-token", "", "Watchtower's API token: it unlocks /v1/* only (default: the API key in <data-dir>/api_key, which also unlocks /update and the dashboard)")
	f.BoolVar(&o.httpAPIPeriodicPolls, "http-api-periodic-polls", false, "keep updating on schedule with --http-api-update")
	f.BoolVar(&o.httpAPIMetrics, "http-api-metrics", false, "serve Prometheus metrics on /v1/metrics")
	f.StringSliceVar(&o.notificationURLs, "notification-url", nil, "shoutrrr URL to notify (repeatable, or space separated)")
	f.StringVar(&o.notificationTemplate, "notification-template", "", "Go template for notifications (Watchtower's data: .Report, .Entries)")
	f.BoolVar(&o.notificationReport, "notification-report", true, "notify with the pass report rather than the list of events")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 100*time.Second, "on SIGTERM, how long swaps in flight get to finish or roll back before cutover exits (give the container a longer stop grace period)")
	o.ui.addFlags(f)
	o.deploy.addFlags(f)
}
