package docker

import (
	"regexp"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// anonymousName matches the names the engine gives anonymous volumes.
var anonymousName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// keepAnonymousVolumes makes hc attach the anonymous volumes old uses, data
// and all, instead of letting the engine create empty ones for the
// replacement. A --mount without a source gets its volume's name; a VOLUME
// of the image or a -v without a source gets a "name:destination" bind.
// Destinations in skip (those --volumes-from provides) are left alone.
func keepAnonymousVolumes(hc *container.HostConfig, mounts []container.MountPoint, skip map[string]bool) {
	taken := make(map[string]bool)
	for _, b := range hc.Binds {
		taken[bindDestination(b)] = true
	}
	hc.Mounts = slices.Clone(hc.Mounts)
	for i, m := range hc.Mounts {
		taken[m.Target] = true
		if m.Type == mount.TypeVolume && m.Source == "" {
			if name := anonymousAt(mounts, m.Target); name != "" {
				hc.Mounts[i].Source = name
			}
		}
	}
	for dst := range hc.Tmpfs {
		taken[dst] = true
	}
	hc.Binds = slices.Clone(hc.Binds)
	for _, m := range mounts {
		if m.Type != mount.TypeVolume || !anonymousName.MatchString(m.Name) || taken[m.Destination] || skip[m.Destination] {
			continue
		}
		bind := m.Name + ":" + m.Destination
		if !m.RW {
			bind += ":ro"
		}
		hc.Binds = append(hc.Binds, bind)
		taken[m.Destination] = true
	}
}

// anonymousAt returns the name of the anonymous volume mounted at dst.
func anonymousAt(mounts []container.MountPoint, dst string) string {
	for _, m := range mounts {
		if m.Type == mount.TypeVolume && m.Destination == dst && anonymousName.MatchString(m.Name) {
			return m.Name
		}
	}
	return ""
}

// bindDestination returns the container path of a "source:destination[:mode]"
// bind.
func bindDestination(bind string) string {
	parts := strings.Split(bind, ":")
	if len(parts) == 1 {
		return parts[0]
	}
	return parts[1]
}
