package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// gate waits for a started container's verdict. With a healthcheck, it runs
// the container's own check right away and then every ProbeInterval, and also
// takes the engine's verdict when it comes, so a 30 s healthcheck interval
// does not cost 30 s. Without one, the container must stay running for
// HealthGrace without restarting.
func (e *Engine) gate(ctx context.Context, id string) error {
	c, err := e.rt.Container(ctx, id)
	if err != nil {
		return fmt.Errorf("inspect new container: %w", err)
	}
	// The container was created for this swap: any restart at all, even one
	// before this first look, means it does not stay up.
	const baseRestarts = 0
	ctx, cancel := context.WithTimeout(ctx, e.opts.HealthTimeout)
	defer cancel()
	started := e.opts.Now()
	probing := c.HasHealthcheck

	tick := time.NewTicker(e.opts.ProbeInterval)
	defer tick.Stop()
	for {
		h, err := e.rt.Health(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return e.timeout(c)
			}
			return fmt.Errorf("inspect new container: %w", err)
		}
		if err := down(h, baseRestarts); err != nil {
			return err
		}
		if c.HasHealthcheck {
			switch h.Health {
			case "healthy":
				return nil
			case "unhealthy":
				return fmt.Errorf("new container is unhealthy")
			}
			if probing {
				res, err := e.rt.Probe(ctx, id)
				switch {
				case errors.Is(err, ErrNoProbe):
					probing = false
				case err == nil && res.Healthy:
					return nil
				}
			}
		} else if e.opts.Now().Sub(started) >= e.opts.HealthGrace {
			return nil
		}
		select {
		case <-ctx.Done():
			return e.timeout(c)
		case <-tick.C:
		}
	}
}

// down reports a new container that stopped or restarted.
func down(h HealthState, baseRestarts int) error {
	switch {
	case h.State == "exited" || h.State == "dead":
		return fmt.Errorf("new container exited with code %d", h.ExitCode)
	case h.State == "restarting" || h.RestartCount > baseRestarts:
		// Once running again after a restart, the engine reports the exit
		// code of the new run, 0: only a code from a failed run says anything.
		if h.ExitCode != 0 {
			return fmt.Errorf("new container keeps restarting (exit code %d)", h.ExitCode)
		}
		return fmt.Errorf("new container keeps restarting (restarted %d times)", h.RestartCount)
	}
	return nil
}

func (e *Engine) timeout(c Container) error {
	if c.HasHealthcheck {
		return fmt.Errorf("new container not healthy within %s", e.opts.HealthTimeout)
	}
	return fmt.Errorf("new container did not stay up within %s", e.opts.HealthTimeout)
}
