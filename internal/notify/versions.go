package notify

import (
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// Versions name what a container runs and what it is offered, beyond
// Watchtower's data: {{.CurrentVersion}} -> {{.LatestVersion}}.
type Versions struct {
	// CurrentVersion is the version the container ran: its tag under a tag
	// policy, else its image's version label, else its tag.
	CurrentVersion string
	// LatestVersion is the version offered, or updated to.
	LatestVersion string
	// LatestReference is the reference the container runs once updated
	// ("repo:1.9.0"); "" when the container keeps its own.
	LatestReference string
	// ReleaseURL is where to read what changed, "" when unknown.
	ReleaseURL string
	// EligibleAt is when the offered version's cooldown ends; zero when it
	// is not cooling down (the active Watchtower fork's eligible_at).
	EligibleAt time.Time
	// Note says why the offered version waits (cooling down, skipped,
	// held, pinned) or what the policy keeps out (a newer major version).
	Note string
}

// Moved reports whether the update changes the container's tag or pin,
// not only its digest: then the versions say more than the digests.
func (v Versions) Moved() bool { return v.LatestReference != "" }

// statusVersions describes a checked container's versions.
func statusVersions(c engine.ContainerStatus) Versions {
	v := Versions{CurrentVersion: c.CurrentVersion, Note: c.Note}
	if o := c.Offer; o != nil {
		v.LatestVersion, v.ReleaseURL, v.EligibleAt = o.Version, o.ReleaseURL, o.CooldownUntil
		if !sameRef(c.Container.Image, o.Reference) {
			v.LatestReference = o.Reference
		}
	}
	return v
}

// outcomeVersions describes an update's versions, over what the check
// said of the container.
func outcomeVersions(v Versions, o engine.Outcome) Versions {
	if o.OldVersion != "" {
		v.CurrentVersion = o.OldVersion
	}
	if o.NewVersion != "" {
		v.LatestVersion = o.NewVersion
	}
	return v
}

func sameRef(a, b string) bool {
	ra, errA := engine.ParseReference(a)
	rb, errB := engine.ParseReference(b)
	return errA == nil && errB == nil && ra.Normal == rb.Normal
}
