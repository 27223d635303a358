package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/notify"
)

// watchtowerOnlyFlags are, with legacyFlags, the flags cutover has only
// because Watchtower had them. Giving one, like setting any WATCHTOWER_*
// variable, says the configuration is Watchtower's.
var watchtowerOnlyFlags = map[string]bool{
	"tlsverify": true, "api-version": true, "no-color": true, "trace": true, "porcelain": true,
	"health-check": true, "warn-on-head-failure": true, "notifications-level": true,
	"notifications-delay": true, "notifications-hostname": true, "notification-title-tag": true,
	"notification-skip-title": true, "notification-log-stdout": true,
}

func watchtowerOnly(flag string) bool { return watchtowerOnlyFlags[flag] || legacyFlags[flag] }

// watchtowerSignal says why the configuration is Watchtower's ("WATCHTOWER_
// POLL_INTERVAL is set", "--notifications is given"), or "" when nothing
// says so.
func watchtowerSignal(fs *pflag.FlagSet, env envReport) string {
	var vars []string
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "WATCHTOWER_") && v != "" {
			vars = append(vars, k)
		}
	}
	slices.Sort(vars)
	switch len(vars) {
	case 0:
	case 1:
		return vars[0] + " is set"
	default:
		return fmt.Sprintf("%s and %d more WATCHTOWER_* variables are set", vars[0], len(vars)-1)
	}
	var flag string
	fs.Visit(func(f *pflag.Flag) {
		if flag == "" && watchtowerOnly(f.Name) && !env.fromEnv(f.Name) {
			flag = "--" + f.Name + " is given"
		}
	})
	return flag
}

// updatePolicy decides the auto-update default of periodic passes and
// says which policy that is and why. An --auto-update-default the user gave
// wins; otherwise Watchtower's configuration gets Watchtower's policy.
func updatePolicy(fs *pflag.FlagSet, env envReport, given bool) (bool, string) {
	const every = "periodic passes update every watched container not labelled enable=false"
	if fs.Changed("auto-update-default") {
		if given {
			return true, "update policy: " + every + " (--auto-update-default is true)"
		}
		return false, "update policy: cutover's opt-in: periodic passes update only the containers labelled enable=true or switched on in the dashboard (--auto-update-default is false)"
	}
	if why := watchtowerSignal(fs, env); why != "" {
		return true, "update policy: Watchtower's, because " + why + ": " + every + " (--auto-update-default=false updates only the containers labelled enable=true or switched on in the dashboard)"
	}
	return false, "update policy: cutover's opt-in: periodic passes update only the containers labelled enable=true or switched on in the dashboard (--auto-update-default=true, or any WATCHTOWER_* variable, updates every container not labelled enable=false, as Watchtower did)"
}

// compatWarnings say, once each, where a setting is accepted but cutover
// does something else than Watchtower did.
func compatWarnings(fs *pflag.FlagSet, g *globalOptions, o *serveOptions) []string {
	var w []string
	if g.stopTimeout == 0 {
		w = append(w, "--stop-timeout 0s: a container that sets no stop timeout itself gets 10s to stop (Watchtower killed it at once)")
	}
	if o.labelTakePrecedence && o.noPull {
		w = append(w, "--label-take-precedence: a container's no-pull=false label does not win over --no-pull (it does win over --monitor-only)")
	}
	switch o.warnOnHeadFailure {
	case notify.WarnAuto, notify.WarnAlways, notify.WarnNever:
	default:
		w = append(w, fmt.Sprintf("--warn-on-head-failure %q: read as auto, as Watchtower read it (want always, auto or never)", o.warnOnHeadFailure))
		o.warnOnHeadFailure = notify.WarnAuto
	}
	return w
}

// applyPorcelain makes --porcelain v1 what it was in Watchtower: the
// logger:// service on stdout with the porcelain template over the report,
// for whatever of those the user did not set.
func applyPorcelain(fs *pflag.FlagSet, o *serveOptions) error {
	if o.porcelain == "" {
		return nil
	}
	if o.porcelain != "v1" {
		return fmt.Errorf("--porcelain %q: unknown version (want v1)", o.porcelain)
	}
	o.notify.urls = append(o.notify.urls, "logger://")
	if !fs.Changed("notification-log-stdout") {
		o.notify.logStdout = true
	}
	if !fs.Changed("notification-report") {
		o.notify.report = true
	}
	if !fs.Changed("notification-template") {
		o.notify.template = notify.TemplatePorcelainV1
	}
	return nil
}

// healthCheck is Watchtower's --health-check: success, unless it was made
// the container's main process by mistake.
func healthCheck() error {
	if os.Getpid() == 1 {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("--health-check is for a HEALTHCHECK, never the container's command (cutover healthcheck asks the running daemon)")}
	}
	return nil
}

// filterDescription says which containers are watched, in Watchtower's words.
func filterDescription(f daemon.Filter) string {
	quoted := func(names []string) string { return `"` + strings.Join(names, `" or "`) + `"` }
	var parts []string
	if len(f.Names) > 0 {
		parts = append(parts, "which name matches "+quoted(f.Names))
	}
	if len(f.Disabled) > 0 {
		parts = append(parts, "not named one of "+quoted(f.Disabled))
	}
	if f.LabelEnable {
		parts = append(parts, "using enable label")
	}
	switch f.Scope {
	case "":
	case "none":
		parts = append(parts, "without a scope")
	default:
		parts = append(parts, fmt.Sprintf("in scope %q", f.Scope))
	}
	if len(parts) == 0 {
		return "Checking all containers (except explicitly disabled with label)"
	}
	return "Only checking containers " + strings.Join(parts, ", ")
}

// untilWords says how long until a moment, as Watchtower's startup message
// did: "23 hours, 59 minutes, 59 seconds".
func untilWords(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	h, m, s := int64(d.Hours()), int64(d.Minutes())%60, int64(d.Seconds())%60
	var parts []string
	if h != 0 {
		parts = append(parts, unit(h, "hour"))
	}
	if m != 0 {
		parts = append(parts, unit(m, "minute"))
	}
	if s != 0 || len(parts) == 0 {
		parts = append(parts, unit(s, "second"))
	}
	return strings.Join(parts, ", ")
}

// checkLog logs what a pass learnt of each image at debug level, and the
// images it could not ask the registry about at the level
// --warn-on-head-failure gives them.
type checkLog struct {
	log      *slog.Logger
	strategy string
}

func (h checkLog) PassFinished(ctx context.Context, _ daemon.Report, checked engine.Report) {
	for _, g := range checked.Groups {
		if g.RemoteDigest != "" || g.Reason == "" || g.Ref.Host == "" {
			h.log.Debug("image checked", "image", g.Image, "status", g.Status, "remote", engine.ShortDigest(g.RemoteDigest), "containers", len(g.Containers))
			continue
		}
		level := slog.LevelDebug
		if notify.HeadFailureLevel(h.strategy, g.Ref.Host) == notify.WarnLevel {
			level = slog.LevelWarn
		}
		h.log.Log(ctx, level, "could not ask the registry for the image's digest: its containers are not updated", "image", g.Image, "err", g.Reason)
	}
}

// lockedWriter lets the pass summary and the logger:// service share stdout.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
