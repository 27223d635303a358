package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	host          string
	dataDir       string
	logLevel      string
	logFormat     string
	debug         bool
	trace         bool
	stopTimeout   time.Duration
	healthTimeout time.Duration
	healthGrace   time.Duration
	// restarts bounds how many containers are down at once, each between its
	// old container's stop and its new one's start.
	restarts int
}

func (g *globalOptions) addFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVarP(&g.host, "host", "H", "", "Docker engine address (default from DOCKER_HOST, else the local socket)")
	f.StringVar(&g.dataDir, "data-dir", "./data", "directory for cutover's state")
	f.StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn, error (default warn for commands, info for serve)")
	f.StringVar(&g.logFormat, "log-format", "text", "log format: text or json (Watchtower's auto, logfmt and pretty mean text)")
	f.BoolVarP(&g.debug, "debug", "d", false, "shorthand for --log-level debug")
	f.BoolVar(&g.trace, "trace", false, "accepted for Watchtower compatibility: the same as --debug")
	f.DurationVar(&g.stopTimeout, "stop-timeout", 10*time.Second, "how long a container gets to stop when it sets no timeout itself")
	f.DurationVar(&g.healthTimeout, "health-timeout", 60*time.Second, "how long a new container gets to become healthy")
	f.DurationVar(&g.healthGrace, "health-grace", 5*time.Second, "how long a new container without healthcheck must stay up")
	f.IntVar(&g.restarts, "concurrent-restarts", 1, "how many containers may be down at once, each between its old container's stop and its new one's start")
}

// validate rejects option values no command can work with.
func (g *globalOptions) validate() error {
	if g.restarts < 1 {
		return fmt.Errorf("--concurrent-restarts %d: want 1 or more", g.restarts)
	}
	return nil
}

// logger builds the process logger; def is the level when none is asked for.
func (g *globalOptions) logger(w io.Writer, def slog.Level) (*slog.Logger, error) {
	level := def
	switch {
	case g.debug || g.trace:
		level = slog.LevelDebug
	case g.logLevel != "":
		if err := level.UnmarshalText([]byte(strings.ToUpper(g.logLevel))); err != nil {
			return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
		}
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
