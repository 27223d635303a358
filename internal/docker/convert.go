package docker

import (
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/cutover/cutover/internal/engine"
)

// toContainer converts an inspect response to the engine's view of it.
func toContainer(in container.InspectResponse) engine.Container {
	c := engine.Container{
		ID:           in.ID,
		Name:         strings.TrimPrefix(in.Name, "/"),
		ImageID:      in.Image,
		RestartCount: in.RestartCount,
	}
	c.Created, _ = time.Parse(time.RFC3339Nano, in.Created)
	if in.State != nil {
		c.State = engine.State(in.State.Status)
	}
	if cfg := in.Config; cfg != nil {
		// Config.Image is the reference the user asked for; the list's Image
		// turns into an id once the tag moves on.
		c.Image = cfg.Image
		c.Labels = cfg.Labels
		c.HasHealthcheck = hasHealthcheck(cfg.Healthcheck)
		if hc := cfg.Healthcheck; c.HasHealthcheck {
			c.Healthcheck = engine.Healthcheck{Interval: hc.Interval, Timeout: hc.Timeout, StartPeriod: hc.StartPeriod, Retries: hc.Retries}
		}
		c.StopSignal = cfg.StopSignal
		if cfg.StopTimeout != nil {
			d := time.Duration(*cfg.StopTimeout) * time.Second
			c.StopTimeout = &d
		}
	}
	if hc := in.HostConfig; hc != nil {
		c.AutoRemove = hc.AutoRemove
		c.Links = linkTargets(hc.Links)
		if hc.NetworkMode.IsContainer() {
			c.NetworkContainer = hc.NetworkMode.ConnectedContainer()
		}
	}
	return c
}

// hasHealthcheck reports whether hc runs a test; ["NONE"] disables the
// image's healthcheck.
func hasHealthcheck(hc *container.HealthConfig) bool {
	return hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE"
}

// linkTargets returns the names of the linked containers. The engine reports
// links as "/db:/web/db" (target, then the alias under this container).
func linkTargets(links []string) []string {
	var out []string
	for _, l := range links {
		target, _, _ := strings.Cut(l, ":")
		if target = strings.TrimPrefix(target, "/"); target != "" {
			out = append(out, target)
		}
	}
	return out
}

// toHealth converts an inspect response to what the engine gates on.
func toHealth(in container.InspectResponse) engine.HealthState {
	h := engine.HealthState{RestartCount: in.RestartCount}
	if s := in.State; s != nil {
		h.State = engine.State(s.Status)
		h.ExitCode = s.ExitCode
		h.Error = s.Error
		if s.Health != nil && s.Health.Status != container.NoHealthcheck {
			h.Health = string(s.Health.Status)
			if n := len(s.Health.Log); n > 0 && s.Health.Log[n-1] != nil {
				h.LastOutput = s.Health.Log[n-1].Output
			}
		}
	}
	return h
}
