package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/docker"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	hosts         []string
	tlsVerify     bool
	certPath      string
	apiVersion    string
	dataDir       string
	logLevel      string
	logFormat     string
	debug         bool
	trace         bool
	noColor       bool
	stopTimeout   time.Duration
	healthTimeout time.Duration
	healthGrace   time.Duration
	engineTimeout time.Duration
	// restarts bounds how many containers are down at once, each between its
	// old container's stop and its new one's start.
	restarts int
	// env says which flags the environment set; applyEnv fills it.
	env envReport
	// atomicProjects updates every Compose project as one unit;
	// composeWrite rewrites a service's image line when a swap moves its
	// container to another reference.
	atomicProjects bool
	composeWrite   bool
}

func (g *globalOptions) addFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringArrayVarP(&g.hosts, "host", "H", nil, "Docker engine address, or NAME=ADDRESS; repeat it to watch several engines, each named (default: CUTOVER_HOSTS, else DOCKER_HOST, else the local socket)")
	f.BoolVarP(&g.tlsVerify, "tlsverify", "v", false, "verify the engine's TLS certificate (with the certificates in DOCKER_CERT_PATH)")
	f.StringVar(&g.certPath, "cert-path", "", "directory of each named engine's TLS certificates, one directory per name holding ca.pem, cert.pem and key.pem (default DOCKER_CERT_PATH)")
	f.StringVarP(&g.apiVersion, "api-version", "a", "", "engine API version to use (default: negotiated)")
	f.StringVar(&g.dataDir, "data-dir", "./data", "directory for cutover's state")
	f.StringVar(&g.logLevel, "log-level", "", "log level: trace, debug, info, warn, error, fatal or panic (default warn for commands, info for serve)")
	f.StringVarP(&g.logFormat, "log-format", "l", "text", "log format: text or json (Watchtower's auto, logfmt and pretty mean text)")
	f.BoolVarP(&g.debug, "debug", "d", false, "shorthand for --log-level debug")
	f.BoolVar(&g.trace, "trace", false, "shorthand for --log-level trace, which is debug")
	f.BoolVar(&g.noColor, "no-color", false, "no colours in tables, even on a terminal")
	f.DurationVarP(&g.stopTimeout, "stop-timeout", "t", 10*time.Second, "how long a container gets to stop when it sets no timeout itself")
	f.DurationVar(&g.healthTimeout, "health-timeout", 60*time.Second, "how long a new container gets to become healthy")
	f.DurationVar(&g.healthGrace, "health-grace", 5*time.Second, "how long a new container without healthcheck must stay up")
	f.DurationVar(&g.engineTimeout, "engine-timeout", 2*time.Minute, "how long one engine call of a swap may take before it counts as failed (a stop gets the container's stop timeout on top)")
	f.IntVar(&g.restarts, "concurrent-restarts", 1, "how many containers may be down at once, each between its old container's stop and its new one's start")
	f.BoolVar(&g.atomicProjects, "atomic-projects", false, "update the containers of each Compose project as one atomic unit, as the label cutover.atomic=true does for one project: all go forward, or all go back")
	f.BoolVar(&g.composeWrite, "compose-write", false, "when a swap moves a Compose container to another image reference, rewrite its service's image line in the project's compose file (mounted at the path its com.docker.compose.project.config_files label names)")
}

// validate rejects option values no command can work with.
func (g *globalOptions) validate() error {
	if g.restarts < 1 {
		return fmt.Errorf("--concurrent-restarts %d: want 1 or more", g.restarts)
	}
	if g.stopTimeout < 0 {
		return fmt.Errorf("--stop-timeout %s: want 0 or more", g.stopTimeout)
	}
	return nil
}

// dockerOptions are the connection settings of the flags.
func (g *globalOptions) dockerOptions() []docker.Option {
	opts := []docker.Option{docker.WithAPIVersion(g.apiVersion)}
	if g.tlsVerify {
		opts = append(opts, docker.WithTLSVerify())
	}
	return opts
}

// color reports whether output to w may be coloured.
func (g *globalOptions) color(w io.Writer) bool { return !g.noColor && isTerminal(w) }

// slogLevels maps Watchtower's (logrus's) level names to slog's: slog has
// nothing below debug or above error, so trace is debug, and fatal and
// panic, which only ever logged a crash, are error.
var slogLevels = map[string]slog.Level{
	"trace": slog.LevelDebug, "debug": slog.LevelDebug, "info": slog.LevelInfo,
	"warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError,
	"fatal": slog.LevelError, "panic": slog.LevelError,
}

// logger builds the process logger; def is the level when none is asked for.
func (g *globalOptions) logger(w io.Writer, def slog.Level) (*slog.Logger, error) {
	level := def
	switch {
	case g.debug || g.trace:
		level = slog.LevelDebug
	case g.logLevel != "":
		l, ok := slogLevels[strings.ToLower(strings.TrimSpace(g.logLevel))]
		if !ok {
			return nil, fmt.Errorf("--log-level %q: want trace, debug, info, warn, error, fatal or panic", g.logLevel)
		}
		level = l
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(g.logFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "auto", "logfmt", "pretty", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", g.logFormat)
}

// envOr returns the first non-empty environment variable among keys, else def.
func envOr(def string, keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return def
}
