package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ExitSkip is the exit code with which a pre-update hook asks for the
// container to be left alone this time, as in Watchtower.
const ExitSkip = 75

// maxHookTimeout bounds every hook, whatever its label says.
const maxHookTimeout = time.Hour

// maxHookCommand bounds a hook command taken from a label, which anyone able
// to start a container can set.
const maxHookCommand = 4096

// errHookSkip marks a pre-update hook that asked to skip.
var errHookSkip = errors.New("pre-update hook asked to skip this update (exit code 75)")

// hook runs one lifecycle hook a container's labels name, when hooks are
// enabled. It returns nil when there is none.
func (e *Engine) hook(ctx context.Context, c Container, which string) (ran bool, code int, err error) {
	// A service has no one container to run a hook in.
	if !e.opts.LifecycleHooks || !c.Running() || c.IsService() {
		return false, 0, nil
	}
	cmd, ok := Label(c, "lifecycle."+which)
	cmd = strings.TrimSpace(cmd)
	if !ok || cmd == "" {
		return false, 0, nil
	}
	if len(cmd) > maxHookCommand {
		return true, 0, fmt.Errorf("%s hook command is longer than %d bytes", which, maxHookCommand)
	}
	timeout := time.Minute
	if v, ok := Label(c, "lifecycle."+which+"-timeout"); ok {
		// Minutes beyond what a Duration holds would wrap to any value.
		if mins, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && mins >= 0 && int64(mins) <= math.MaxInt64/int64(time.Minute) {
			timeout = time.Duration(mins) * time.Minute
		}
	}
	// Watchtower's 0, no limit, still ends: a hook that hangs must not hold
	// the container's lock for ever.
	if timeout == 0 || timeout > maxHookTimeout {
		timeout = maxHookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := e.rt.Exec(ctx, c.ID, []string{"sh", "-c", cmd})
	if err != nil {
		return true, 0, fmt.Errorf("%s hook: %w", which, err)
	}
	e.log.Debug("lifecycle hook ran", "container", c.Name, "hook", which, "exit", res.ExitCode, "output", res.Output)
	return true, res.ExitCode, nil
}

// preUpdate runs the pre-update hook: exit 75 skips the update, another
// non-zero exit fails it; the container is untouched either way.
func (e *Engine) preUpdate(ctx context.Context, c Container) error {
	ran, code, err := e.hook(ctx, c, "pre-update")
	switch {
	case err != nil:
		return err
	case !ran || code == 0:
		return nil
	case code == ExitSkip:
		return errHookSkip
	}
	return fmt.Errorf("pre-update hook failed with exit code %d", code)
}

// bestEffortHook runs a hook whose failure is reported but changes nothing.
func (e *Engine) bestEffortHook(ctx context.Context, c Container, which string) {
	if ran, code, err := e.hook(ctx, c, which); ran && (err != nil || code != 0) {
		e.log.Warn("lifecycle hook failed", "container", c.Name, "hook", which, "exit", code, "err", err)
	}
}
