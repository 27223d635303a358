package docker

import (
	"maps"
	"slices"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// replacementConfig returns the Config to create old's replacement on ref
// with. An inspected container shows the user's settings merged with its
// image's defaults and what the engine filled in; what equals the old image's
// default is dropped so the new image's default applies, the rest is kept.
// A setting the user gave with the same value as the old image's default is
// indistinguishable from that default and follows the new image too.
//
// daemonHostname is the engine host's name, which the engine copies into
// containers sharing the host's network or UTS namespace.
func replacementConfig(old container.InspectResponse, img dockerspec.DockerOCIImageConfig, ref, daemonHostname string) *container.Config {
	cfg := *old.Config
	cfg.Image = ref
	cfg.Env = withoutEntries(cfg.Env, img.Env)
	cfg.Labels = withoutPairs(cfg.Labels, img.Labels)
	cfg.Entrypoint, cfg.Cmd = entrypointAndCmd(cfg.Entrypoint, cfg.Cmd, img.Entrypoint, img.Cmd)
	if cfg.Entrypoint == nil && cfg.Cmd == nil {
		cfg.ArgsEscaped = false
	}
	if cfg.WorkingDir == img.WorkingDir {
		cfg.WorkingDir = ""
	}
	if cfg.User == img.User {
		cfg.User = ""
	}
	if cfg.StopSignal == img.StopSignal {
		cfg.StopSignal = ""
	}
	if slices.Equal(cfg.Shell, img.Shell) {
		cfg.Shell = nil
	}
	cfg.ExposedPorts = withoutPorts(cfg.ExposedPorts, img.ExposedPorts)
	cfg.Volumes = withoutKeys(cfg.Volumes, img.Volumes)
	cfg.Healthcheck = userHealthcheck(cfg.Healthcheck, img.Healthcheck)
	cfg.OnBuild = nil
	cfg.Hostname, cfg.Domainname = userHostname(old, daemonHostname)
	return &cfg
}

// entrypointAndCmd returns the Entrypoint and Cmd to create with, nil for
// "the image's". The engine fills a missing Cmd from the image only when the
// Entrypoint is not given, so a user's Entrypoint is kept with its Cmd as is.
func entrypointAndCmd(ep, cmd, imgEp, imgCmd []string) ([]string, []string) {
	switch {
	case len(ep) == 0 && len(imgEp) > 0:
		// --entrypoint "" cleared the image's entrypoint; [""] says so again.
		return []string{""}, cmd
	case !slices.Equal(ep, imgEp):
		return ep, cmd
	case len(cmd) == 0 && len(imgCmd) > 0:
		// The image's Cmd would have been filled in had the user not given
		// the Entrypoint, even if equal to the image's.
		return ep, cmd
	case slices.Equal(cmd, imgCmd):
		return nil, nil
	default:
		return nil, cmd
	}
}

// userHostname returns the Hostname and Domainname the user set, dropping
// what the engine fills in: the container's short id, the host's name, or
// the names of the container whose network it shares.
func userHostname(old container.InspectResponse, daemonHostname string) (string, string) {
	cfg, hc := old.Config, old.HostConfig
	if hc != nil && hc.NetworkMode.IsContainer() {
		// Inherited, and the engine refuses both with this mode.
		return "", ""
	}
	host := cfg.Hostname
	switch {
	case len(old.ID) >= 12 && host == old.ID[:12]:
		host = ""
	case hc != nil && (hc.NetworkMode.IsHost() || hc.UTSMode.IsHost()) && host == daemonHostname:
		host = ""
	}
	return host, cfg.Domainname
}

// userHealthcheck drops the fields of hc equal to the image's: the engine
// fills each unset field from the image, so those come from the new one.
func userHealthcheck(hc, img *container.HealthConfig) *container.HealthConfig {
	if hc == nil || img == nil {
		return hc
	}
	out := *hc
	if slices.Equal(out.Test, img.Test) {
		out.Test = nil
	}
	if out.Interval == img.Interval {
		out.Interval = 0
	}
	if out.Timeout == img.Timeout {
		out.Timeout = 0
	}
	if out.StartPeriod == img.StartPeriod {
		out.StartPeriod = 0
	}
	if out.StartInterval == img.StartInterval {
		out.StartInterval = 0
	}
	if out.Retries == img.Retries {
		out.Retries = 0
	}
	if out.Test == nil && out.Interval == 0 && out.Timeout == 0 && out.StartPeriod == 0 && out.StartInterval == 0 && out.Retries == 0 {
		return nil
	}
	return &out
}

// withoutEntries returns the entries of list not in drop.
func withoutEntries(list, drop []string) []string {
	var out []string
	for _, e := range list {
		if !slices.Contains(drop, e) {
			out = append(out, e)
		}
	}
	return out
}

// withoutPairs returns the entries of m not in drop with the same value.
func withoutPairs(m, drop map[string]string) map[string]string {
	out := maps.Clone(m)
	maps.DeleteFunc(out, func(k, v string) bool {
		dv, ok := drop[k]
		return ok && dv == v
	})
	return out
}

// withoutKeys returns the keys of m not in drop.
func withoutKeys(m, drop map[string]struct{}) map[string]struct{} {
	out := maps.Clone(m)
	maps.DeleteFunc(out, func(k string, _ struct{}) bool {
		_, ok := drop[k]
		return ok
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// withoutPorts returns the ports of set the image does not expose. The
// image spells ports as "80/tcp" and, from old builders, "80".
func withoutPorts(set network.PortSet, image map[string]struct{}) network.PortSet {
	drop := make(map[network.Port]bool, len(image))
	for k := range image {
		if p, err := network.ParsePort(k); err == nil {
			drop[p] = true
		}
	}
	out := maps.Clone(set)
	maps.DeleteFunc(out, func(p network.Port, _ struct{}) bool { return drop[p] })
	if len(out) == 0 {
		return nil
	}
	return out
}
