package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// HEAD-failure warning strategies, Watchtower's --warn-on-head-failure.
const (
	WarnAuto   = "auto"
	WarnAlways = "always"
	WarnNever  = "never"
)

// HeadFailureLevel is the level at which a failed registry check of an
// image on host is told: warning for "always", debug for "never", and for
// "auto" warning only on the registries that expect digest requests and
// rate-limit pulls (Docker Hub, GitHub's), as Watchtower decided.
func HeadFailureLevel(strategy, host string) Level {
	switch strategy {
	case WarnAlways:
		return WarnLevel
	case WarnNever:
		return DebugLevel
	}
	switch host {
	case "index.docker.io", "docker.io", "registry-1.docker.io", "ghcr.io", "":
		return WarnLevel
	}
	return DebugLevel
}

// passData turns a pass into Watchtower's report and the entries its log
// would have held. announce names the outdated containers left alone whose
// finding is to be told; updated and failed ones always are.
func passData(r daemon.Report, checked engine.Report, announce map[string]bool, o Options) (*Report, []Entry) {
	outcomes := map[string]engine.Outcome{}
	for _, oc := range r.Outcomes {
		if oc.Container != "" {
			outcomes[oc.FullName()] = oc
		}
	}
	var (
		rep     = &Report{}
		entries []Entry
		byName  = map[string]engine.ContainerStatus{}
	)
	started, finished := r.Started, r.Finished
	for _, g := range checked.Groups {
		for _, cs := range g.Containers {
			c := cs.Container
			byName[c.FullName()] = cs
			cr := ContainerReport{ID: ContainerID(c.ID), Name: "/" + c.FullName(), ImageName: imageName(c.Image),
				CurrentImageID: ImageID(cs.LocalDigest), LatestImageID: ImageID(g.RemoteDigest), Versions: statusVersions(cs)}
			if cs.Offer != nil {
				// Under a tag policy the newest is the offered tag's image.
				cr.LatestImageID = ImageID(cs.Offer.Digest)
			}
			switch cs.Status {
			case engine.StatusUnknown:
				cr.State, cr.Error, cr.LatestImageID = "Skipped", cs.Reason, cr.CurrentImageID
				rep.Skipped = append(rep.Skipped, cr)
				if g.RemoteDigest == "" && g.Ref.Host != "" && g.Reason != "" {
					entries = append(entries, entry(started, HeadFailureLevel(o.WarnOnHeadFailure, g.Ref.Host),
						fmt.Sprintf("Could not do a head request for %q: %s", cr.ImageName, g.Reason)))
				}
				entries = append(entries, entry(started, InfoLevel,
					fmt.Sprintf("Unable to update container %q: %s. Proceeding to next.", cr.Name, cs.Reason)))
				continue
			case engine.StatusUpToDate:
				cr.State = "Fresh"
				rep.Fresh = append(rep.Fresh, cr)
			default:
				oc, touched := outcomes[c.FullName()]
				switch {
				case touched && oc.Result == engine.ResultUpdated:
					cr.State, cr.Versions = "Updated", outcomeVersions(cr.Versions, oc)
					rep.Updated = append(rep.Updated, cr)
				case touched && (oc.Result == engine.ResultFailed || oc.Result == engine.ResultRolledBack):
					cr.State = "Failed"
					if oc.Err != nil {
						cr.Error = oc.Err.Error()
					}
					rep.Failed = append(rep.Failed, cr)
				default:
					cr.State, touched = "Stale", false
					rep.Stale = append(rep.Stale, cr)
				}
				if touched || announce[c.FullName()] {
					found := fmt.Sprintf("Found new %s image (%s)", cr.ImageName, cr.LatestImageID.ShortID())
					if cr.Moved() {
						found += fmt.Sprintf(": %s -> %s (%s)", cr.CurrentVersion, cr.LatestVersion, cr.LatestReference)
					}
					entries = append(entries, entry(started, InfoLevel, found))
				}
			}
			rep.Scanned = append(rep.Scanned, cr)
		}
	}
	for _, list := range [][]ContainerReport{rep.Scanned, rep.Updated, rep.Failed, rep.Skipped, rep.Stale, rep.Fresh} {
		sortByID(list)
	}

	removed := map[string]bool{}
	for _, oc := range r.Outcomes {
		if oc.Container == "" {
			if oc.Err != nil {
				entries = append(entries, entry(finished, ErrorLevel, oc.Err.Error()))
			}
			continue
		}
		cs, ok := byName[oc.FullName()]
		if !ok || (oc.Result != engine.ResultUpdated && oc.Result != engine.ResultFailed && oc.Result != engine.ResultRolledBack) {
			continue
		}
		c := cs.Container
		entries = append(entries, entry(finished, InfoLevel, fmt.Sprintf("Stopping /%s (%s) with %s", c.FullName(), shortID(c.ID), stopSignal(c))))
		if oc.Result != engine.ResultUpdated {
			msg := "update failed"
			if oc.Err != nil {
				msg = oc.Err.Error()
			}
			entries = append(entries, entry(finished, ErrorLevel, fmt.Sprintf("Update of /%s failed: %s", c.FullName(), msg)))
			continue
		}
		entries = append(entries, entry(finished, InfoLevel, "Creating /"+c.FullName()))
		if o.Cleanup && c.ImageID != "" && !removed[c.ImageID] {
			removed[c.ImageID] = true
			entries = append(entries, entry(finished, InfoLevel, "Removing image "+shortID(c.ImageID)))
		}
	}
	return rep, entries
}

func entry(at time.Time, l Level, msg string) Entry {
	return Entry{Time: at, Level: l, Message: msg, Data: map[string]any{}}
}

// imageName is the image as the container was created from it, with
// ":latest" when there is no colon at all, as Watchtower wrote it.
func imageName(image string) string {
	if !strings.Contains(image, ":") {
		return image + ":latest"
	}
	return image
}

// stopSignal is the signal the swap stops the container with: its own, else
// its stop-signal label, else SIGTERM.
func stopSignal(c engine.Container) string {
	if c.StopSignal != "" {
		return c.StopSignal
	}
	if v, ok := engine.Label(c, "stop-signal"); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return "SIGTERM"
}
