package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/policy"
	"github.com/cutover/cutover/internal/release"
)

// Offer is the newer version a check found for a container: a newer digest
// of the tag it runs, a newer tag under a tag policy, or for a container
// pinned to a digest, the digest its tag has moved to.
type Offer struct {
	// Reference is what the container would run: its own tag
	// ("nginx:1.27"), another tag ("repo:1.9.0"), or re-pinned
	// ("repo:1.27@sha256:..."), written as ParseReference's Normal.
	Reference string
	Ref       Reference
	// Digest is the manifest digest Reference stands for.
	Digest string
	// Version is the offered version as people say it: the tag under a tag
	// policy, else the image's org.opencontainers.image.version label, else
	// the tag.
	Version string
	// Created is the image's build time; zero when unknown.
	Created time.Time
	// ReleaseURL is where to read what changed, "" when the image says
	// nothing of its source.
	ReleaseURL string
	// CooldownUntil, when set, is the end of the cooldown the offer was in
	// at the time of the check: no pass or request applies it before then
	// unless forced.
	CooldownUntil time.Time
}

// Move reports whether the offer changes the tag the container runs.
func (o *Offer) Move(current Reference) bool { return o.Ref.Tag != current.Tag }

// Cooling reports whether the offer's cooldown lasts past t.
func (o *Offer) Cooling(t time.Time) bool { return o != nil && o.CooldownUntil.After(t) }

// rulesOf reads c's version policy (cutover.policy, else def) and its tag
// patterns (cutover.tag.include, cutover.tag.exclude). A label that does
// not parse is an error naming it.
func rulesOf(c Container, def policy.Policy) (policy.Rules, error) {
	p := def
	if p == "" {
		p = policy.Digest
	}
	if v, ok := Label(c, "policy"); ok {
		parsed, err := policy.Parse(v)
		if err != nil {
			return policy.Rules{}, fmt.Errorf("label %spolicy: %w", LabelPrefix, err)
		}
		p = parsed
	}
	include, _ := Label(c, "tag.include")
	exclude, _ := Label(c, "tag.exclude")
	r, err := policy.NewRules(p, include, exclude)
	if err != nil {
		return policy.Rules{}, fmt.Errorf("labels %stag.include/exclude: %w", LabelPrefix, err)
	}
	return r, nil
}

// describe fills in what the offered image says of itself. Under a tag
// policy the tag is the version the user follows; otherwise the image's
// version label says more than a tag such as latest.
func (o *Offer) describe(img release.Image, known bool, byTag bool) {
	o.Version = o.Ref.Tag
	if !known {
		return
	}
	o.Created = img.Created
	label := img.Version()
	if label != "" && !byTag {
		o.Version = label
	}
	notes := label
	if notes == "" {
		notes = o.Ref.Tag
	}
	o.ReleaseURL = release.NotesURL(img.Labels, notes)
}

// currentVersion is the version a container runs, by the same rule as an
// offer's: its tag under a tag policy, else its image's version label,
// else its tag.
func currentVersion(ref Reference, running Image, byTag bool) string {
	if !byTag {
		if v := strings.TrimSpace(running.Labels[release.LabelVersion]); v != "" {
			return v
		}
	}
	return ref.Tag
}

// offerReference writes the reference a container on ref runs to take tag
// at digest: the tag alone, or the tag and digest for a pinned container.
func offerReference(ref Reference, tag, digest string) (Reference, error) {
	base := stripTag(strings.SplitN(ref.Normal, "@", 2)[0])
	s := base + ":" + tag
	if ref.Pinned() {
		s += "@" + digest
	}
	return ParseReference(s)
}

// tagOnly is the tag reference a possibly pinned reference follows:
// "repo:tag" for "repo:tag@sha256:...".
func tagOnly(ref Reference) string {
	s, _, _ := strings.Cut(ref.Normal, "@")
	return s
}
