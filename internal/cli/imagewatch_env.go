package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// applyImageWatchEnv reads Image Watch's variables, PORT, CHECK_INTERVAL and
// DOCKER_SOCK, for the settings a flag or cutover's own (or Watchtower's)
// variables left unset, so an Image Watch compose file keeps its port, its
// check and auto-update period, and its socket. It runs after applyEnv,
// which marks what it set.
func applyImageWatchEnv(fs *pflag.FlagSet) error {
	var errs []string
	unset := func(name string) bool {
		f := fs.Lookup(name)
		return f != nil && !f.Changed
	}
	if v := os.Getenv("PORT"); v != "" && unset("listen") {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Sprintf("PORT=%q: want a port number from 1 to 65535", v))
		} else {
			_ = fs.Set("listen", ":"+strconv.Itoa(n))
		}
	}
	// Image Watch checked, and auto-updated the containers switched on, every
	// CHECK_INTERVAL: it stands for both the status refresh and the period
	// of the passes, each unless set otherwise.
	if v := os.Getenv("CHECK_INTERVAL"); v != "" && (unset("check-interval") || unset("interval") && unset("schedule")) {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil || d < time.Second:
			errs = append(errs, fmt.Sprintf("CHECK_INTERVAL=%q: want a duration of a second or more, such as 10m", v))
		default:
			if unset("check-interval") {
				_ = fs.Set("check-interval", d.String())
			}
			if unset("interval") && unset("schedule") {
				_ = fs.Set("interval", strconv.Itoa(int(d.Round(time.Second)/time.Second)))
			}
		}
	}
	if v := os.Getenv("DOCKER_SOCK"); v != "" && unset("host") && os.Getenv("DOCKER_HOST") == "" {
		path := strings.TrimPrefix(v, "unix://")
		if !filepath.IsAbs(path) {
			errs = append(errs, fmt.Sprintf("DOCKER_SOCK=%q: want the absolute path of the engine's socket, such as /var/run/docker.sock", v))
		} else {
			_ = fs.Set("host", "unix://"+path)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid environment: %s", strings.Join(errs, "; "))
	}
	return nil
}
