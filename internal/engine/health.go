package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The engine's healthcheck defaults, for the fields an image leaves unset.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 30 * time.Second
	defaultHealthRetries  = 3
)

// inspectRetries is how many inspects in a row may fail during a gate
// before it gives up: one failure is more often the engine being busy than
// the container being in trouble.
const inspectRetries = 3

// gate waits for a started container's verdict, until healthDeadline.
//
// With a healthcheck, it runs the container's own check right away and then
// every ProbeInterval, and also takes the engine's verdict when it comes, so
// a 30 s healthcheck interval does not cost 30 s. After the first good
// verdict the container must stay up and healthy for its grace period
// (healthGrace) and pass its check once more at the end: an app whose
// endpoint answers before a worker crashes a second later does not pass.
// Without a healthcheck, the container must stay running for the grace
// period without restarting.
//
// exits, when not nil, reports the container's exit: it comes even when the
// engine deletes the container at once (AutoRemove).
//
// autoRemove says the engine deletes the container once it stops.
func (e *Engine) gate(ctx context.Context, id string, autoRemove bool, exits <-chan int) error {
	c, err := e.rt.Container(ctx, id)
	if IsNotFound(err) {
		g := gating{c: Container{AutoRemove: autoRemove}, exits: exits}
		return g.gone()
	}
	if err != nil {
		return fmt.Errorf("inspect new container: %w", err)
	}
	deadline, grace := e.healthDeadline(c), e.healthGrace(c)
	ctx, cancel := context.WithTimeout(ctx, deadline+grace)
	defer cancel()
	g := gating{e: e, id: id, c: c, exits: exits, probing: c.HasHealthcheck}
	tick := time.NewTicker(e.opts.ProbeInterval)
	defer tick.Stop()
	var passedAt time.Time
	started := e.opts.Now()
	for {
		// Until the first good verdict the container is probed; after it,
		// only watched for an exit, a restart or an unhealthy verdict.
		ok, err := g.look(ctx, passedAt.IsZero())
		if err != nil {
			return err
		}
		now := e.opts.Now()
		if ok && passedAt.IsZero() {
			passedAt = now
		}
		if !passedAt.IsZero() && now.Sub(passedAt) >= grace {
			if !c.HasHealthcheck || g.confirm(ctx) {
				return nil
			}
			passedAt = time.Time{}
		}
		if passedAt.IsZero() && now.Sub(started) >= deadline {
			return g.timeout(deadline)
		}
		select {
		case <-ctx.Done():
			return g.timeout(deadline)
		case code, open := <-exits:
			if open {
				return g.exited(code)
			}
			exits, g.exits = nil, nil
		case <-tick.C:
		}
	}
}

// gating is the state of one health gate.
type gating struct {
	e        *Engine
	id       string
	c        Container
	exits    <-chan int
	probing  bool
	failures int
	// lastOutput is the output of the last failed check, for the reason.
	lastOutput string
}

// look takes one look at the container: an error means it failed; ok means
// it is healthy (or, without a healthcheck, running) right now. Without
// probe, a container with a healthcheck is only checked for a failure.
func (g *gating) look(ctx context.Context, probe bool) (bool, error) {
	h, err := g.e.rt.Health(ctx, g.id)
	switch {
	case IsNotFound(err):
		return false, g.gone()
	case err != nil && ctx.Err() == nil:
		g.failures++
		if g.failures >= inspectRetries {
			return false, fmt.Errorf("inspect new container: %w", err)
		}
		return false, nil
	case err != nil:
		return false, nil
	}
	g.failures = 0
	if h.LastOutput != "" {
		g.lastOutput = h.LastOutput
	}
	if err := down(h); err != nil {
		return false, err
	}
	if !g.c.HasHealthcheck {
		return h.State == StateRunning, nil
	}
	switch h.Health {
	case "healthy":
		return true, nil
	case "unhealthy":
		return false, fmt.Errorf("new container is unhealthy%s", g.said())
	}
	if !probe {
		return true, nil
	}
	if !g.probing {
		return false, nil
	}
	res, err := g.e.rt.Probe(ctx, g.id)
	switch {
	case errors.Is(err, ErrNoProbe):
		g.probing = false
	case err == nil && res.Healthy:
		return true, nil
	case err == nil:
		g.lastOutput = res.Output
	}
	return false, nil
}

// confirm runs the container's check once more at the end of the grace
// period, or takes the engine's verdict when the check cannot be run.
func (g *gating) confirm(ctx context.Context) bool {
	if g.probing {
		res, err := g.e.rt.Probe(ctx, g.id)
		if err == nil {
			if !res.Healthy {
				g.lastOutput = res.Output
			}
			return res.Healthy
		}
	}
	h, err := g.e.rt.Health(ctx, g.id)
	return err == nil && h.Health == "healthy"
}

// gone explains a new container the engine no longer knows.
func (g *gating) gone() error {
	code := ""
	if g.exits != nil {
		select {
		case c, open := <-g.exits:
			if open {
				code = fmt.Sprintf(" with code %d", c)
			}
		case <-time.After(time.Second):
		}
	}
	if g.c.AutoRemove {
		return fmt.Errorf("new container exited%s and the engine removed it (it runs with --rm)", code)
	}
	return fmt.Errorf("new container exited%s and was removed", code)
}

func (g *gating) exited(code int) error {
	if g.c.AutoRemove {
		return fmt.Errorf("new container exited with code %d and the engine removed it (it runs with --rm)", code)
	}
	return fmt.Errorf("new container exited with code %d", code)
}

func (g *gating) timeout(deadline time.Duration) error {
	if g.c.HasHealthcheck {
		return fmt.Errorf("new container not healthy within %s%s", deadline, g.said())
	}
	return fmt.Errorf("new container did not stay up within %s", deadline)
}

// said quotes the last output of the container's check, if any.
func (g *gating) said() string {
	out := strings.TrimSpace(g.lastOutput)
	if out == "" {
		return ""
	}
	if len(out) > 200 {
		out = out[:200] + "..."
	}
	return fmt.Sprintf(" (its check said: %q)", out)
}

// down reports a new container that stopped or restarted. The container was
// created for this swap: any restart at all means it does not stay up.
func down(h HealthState) error {
	switch {
	case h.State == StateExited || h.State == StateDead:
		return fmt.Errorf("new container exited with code %d", h.ExitCode)
	case h.State == StateRestarting || h.RestartCount > 0:
		// Once running again after a restart, the engine reports the exit
		// code of the new run, 0: only a code from a failed run says anything.
		if h.ExitCode != 0 {
			return fmt.Errorf("new container keeps restarting (exit code %d)", h.ExitCode)
		}
		return fmt.Errorf("new container keeps restarting (restarted %d times)", h.RestartCount)
	}
	return nil
}

// healthDeadline is how long a new container has to be found healthy: the
// cutover.health-timeout label when set; otherwise HealthTimeout, or what
// the container's own healthcheck allows (its start period, its retries of
// the interval and one timeout) when that is longer.
func (e *Engine) healthDeadline(c Container) time.Duration {
	if d, ok := labelDuration(c, "health-timeout"); ok {
		return d
	}
	d := e.opts.HealthTimeout
	if c.HasHealthcheck {
		hc := c.Healthcheck
		interval := orDefault(hc.Interval, defaultHealthInterval)
		timeout := orDefault(hc.Timeout, defaultHealthTimeout)
		retries := hc.Retries
		if retries <= 0 {
			retries = defaultHealthRetries
		}
		d = max(d, hc.StartPeriod+time.Duration(retries)*interval+timeout)
	}
	return d
}

// healthGrace is how long a new container must stay up after its first good
// verdict: the cutover.health-grace label, or HealthGrace.
func (e *Engine) healthGrace(c Container) time.Duration {
	if d, ok := labelDuration(c, "health-grace"); ok {
		return d
	}
	return e.opts.HealthGrace
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// labelDuration reads a duration label ("90s", "5m"); a value that does not
// parse, or is negative, counts as unset.
func labelDuration(c Container, key string) (time.Duration, bool) {
	v, ok := Label(c, key)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}
