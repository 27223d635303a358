package engine

import (
	"sort"
	"time"

	"github.com/cutover/cutover/internal/policy"
)

// Status says whether a container, or a group of them, runs the newest image.
type Status string

// Statuses of containers and image groups. Partial applies to groups only.
const (
	StatusUpToDate Status = "uptodate"
	StatusOutdated Status = "outdated"
	StatusUnknown  Status = "unknown"
	StatusPartial  Status = "partial"
)

// ContainerStatus is one container's standing against its registry.
type ContainerStatus struct {
	Container   Container
	LocalDigest string // full digest, or "" when unknown
	Status      Status
	Reason      string // why the status is unknown, in a few words
	// AutoUpdate says whether a periodic pass would update this container.
	AutoUpdate bool
	// Pulled is true when the local tag already points to the remote digest,
	// so an update needs no pull.
	Pulled bool
	// Held, when set, is why the version offered is not applied: it was
	// rolled back, or skipped.
	Held *Hold
	// Policy is the version policy that applies: the container's label or
	// the default, digest when its tag has no version shape; "" when the
	// container cannot be followed.
	Policy policy.Policy
	// CurrentVersion is the version the container runs: its tag under a tag
	// policy, else its image's version label, else its tag.
	CurrentVersion string
	// Offer is the newer version there is, nil when there is none.
	Offer *Offer
	// Pinned is set for a container started on a digest
	// ("repo:tag@sha256:..."): never updated unless asked for by name.
	Pinned bool
	// Note says, in a few words, why the offered version waits (a hold, a
	// pin, the cooldown) or why no version is offered the way the policy
	// asks (a tag with no version number, a newer version out of range).
	Note string
	// Unit names the atomic unit (Compose project) the container is a
	// member of, "" for none; Joined says it was checked only because
	// another member was.
	Unit   string
	Joined bool
}

// Group is the containers running one image reference.
type Group struct {
	Image        string // normalised reference, or the image id for unparsable ones
	Ref          Reference
	RemoteDigest string // full digest, or "" when unknown
	Status       Status
	Reason       string
	Containers   []ContainerStatus
}

// Report is the outcome of a check.
type Report struct {
	Groups    []Group
	CheckedAt time.Time
	// Remote is what the registries answered, for a resync to reuse.
	Remote Remote
	// Hosts are the engines a check of several went over, by name, with
	// why one could not be checked; empty for one engine's own check,
	// which fails as a whole instead.
	Hosts []HostState
}

// HostState is how one engine, among those a check or a pass went over,
// answered.
type HostState struct {
	Host string
	// Err says why the engine could not be checked (it did not answer, say);
	// nil when it was.
	Err error
}

// Merge folds reports of different engines into one: containers of the
// same image in one group, whichever engine runs them; the registry's
// answers of all; checked when the earliest was.
func Merge(reports ...Report) Report {
	out := Report{Remote: Remote{Digests: map[string]string{}, Tags: map[string][]string{}}}
	groups := map[string]*Group{}
	var order []string
	for _, r := range reports {
		if !r.CheckedAt.IsZero() && (out.CheckedAt.IsZero() || r.CheckedAt.Before(out.CheckedAt)) {
			out.CheckedAt = r.CheckedAt
		}
		for k, v := range r.Remote.Digests {
			out.Remote.Digests[k] = v
		}
		for k, v := range r.Remote.Tags {
			out.Remote.Tags[k] = v
		}
		out.Hosts = append(out.Hosts, r.Hosts...)
		for _, g := range r.Groups {
			m := groups[g.Image]
			if m == nil {
				cp := g
				cp.Containers = nil
				m = &cp
				groups[g.Image] = m
				order = append(order, g.Image)
			}
			if m.RemoteDigest == "" && g.RemoteDigest != "" {
				// One engine asked before the other learned the answer, or
				// after its registry failed it: the answer known wins.
				m.RemoteDigest, m.Ref, m.Reason = g.RemoteDigest, g.Ref, g.Reason
			}
			m.Containers = append(m.Containers, g.Containers...)
		}
	}
	sort.Strings(order)
	for _, k := range order {
		g := groups[k]
		sort.SliceStable(g.Containers, func(a, b int) bool {
			return g.Containers[a].Container.FullName() < g.Containers[b].Container.FullName()
		})
		g.Status = groupStatus(g.Containers)
		out.Groups = append(out.Groups, *g)
	}
	return out
}

// groupStatus folds the containers' statuses into the group's.
func groupStatus(cs []ContainerStatus) Status {
	var up, out int
	for _, c := range cs {
		switch c.Status {
		case StatusUpToDate:
			up++
		case StatusOutdated:
			out++
		}
	}
	switch {
	case len(cs) > 0 && up == len(cs):
		return StatusUpToDate
	case len(cs) > 0 && out == len(cs):
		return StatusOutdated
	case up > 0 && out > 0:
		return StatusPartial
	}
	return StatusUnknown
}

// ShortDigest writes a digest as "sha256:" and its first ten hex digits, or
// "unknown" when there is none.
func ShortDigest(d string) string {
	if d == "" {
		return "unknown"
	}
	if len(d) > 17 {
		return d[:17]
	}
	return d
}

// ShortID writes an id as its first twelve characters.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Why is what a person reads beside a container's status: why it is
// unknown, else why the offered version waits or why none is offered the
// way the policy asks; "" when nothing needs saying.
func (cs ContainerStatus) Why() string {
	if cs.Reason != "" {
		return cs.Reason
	}
	return cs.Note
}

// Skipped reports whether a person skipped the offered version (a hold
// cutover made after a rollback is not a skip).
func (cs ContainerStatus) Skipped() bool { return cs.Held != nil && cs.Held.By != "" }

// Versions is what a container runs and is offered, by version, as every
// surface shows it.
type Versions struct {
	Policy           policy.Policy
	CurrentVersion   string
	OfferedVersion   string
	OfferedReference string
	OfferedDigest    string
	// OfferedCreated is when the offered image was built; zero when unknown.
	OfferedCreated time.Time
	// CooldownUntil is when the offered version's cooldown ends; zero when
	// it is not cooling down.
	CooldownUntil time.Time
	ReleaseURL    string
	Pinned        bool
	Held          bool
	Skipped       bool
	HeldReason    string
}

// Versions describes cs as of the check at checkedAt: a cooldown shows when
// it lasted past the check.
func (cs ContainerStatus) Versions(checkedAt time.Time) Versions {
	v := Versions{Policy: cs.Policy, CurrentVersion: cs.CurrentVersion, Pinned: cs.Pinned, Held: cs.Held != nil, Skipped: cs.Skipped()}
	if cs.Held != nil {
		v.HeldReason = cs.Held.Reason
	}
	if o := cs.Offer; o != nil {
		v.OfferedVersion, v.OfferedReference, v.OfferedDigest, v.ReleaseURL, v.OfferedCreated = o.Version, o.Reference, o.Digest, o.ReleaseURL, o.Created
		if o.Cooling(checkedAt) {
			v.CooldownUntil = o.CooldownUntil
		}
	}
	return v
}
