package engine

import "time"

// Step is one planned container update.
type Step struct {
	Container Container
	// Image is the normalised reference the new container runs: the tag
	// the container runs, another tag under a tag policy, or a new pin.
	Image      string
	Ref        Reference
	FromDigest string
	ToDigest   string
	// FromVersion and ToVersion are the versions as people say them (see
	// ContainerStatus.CurrentVersion and Offer.Version); "" when unknown.
	FromVersion string
	ToVersion   string
	// NeedsPull is false when the local tag already holds ToDigest.
	NeedsPull bool
	// Unit names the atomic unit the step is swapped with, "" for none.
	Unit string
}

// Skip is a stale or unknown container the plan leaves alone, and why.
type Skip struct {
	Container Container
	Image     string
	Reason    string
	// FromVersion and ToVersion name the version it runs and the one it
	// was offered, when known.
	FromVersion string
	ToVersion   string
}

// Plan is what an update would do. Building it changes nothing, so a dry run,
// monitor-only mode and a real update share it.
type Plan struct {
	Steps   []Step
	Skipped []Skip
	Fresh   []Container
	Scanned int
}

// PlanOptions decide which stale containers a plan updates.
type PlanOptions struct {
	// Periodic applies the auto-update policy, as a scheduled pass does;
	// otherwise only containers opted out by label are left alone.
	Periodic bool
	// Explicit is set when the user named the containers: their enable label
	// no longer keeps them out.
	Explicit bool
	// MonitorOnly plans nothing: stale containers are reported only.
	MonitorOnly bool
	// LabelTakePrecedence lets a container's monitor-only=false label win
	// over MonitorOnly.
	LabelTakePrecedence bool
	// NoPull never pulls: only containers whose tag was already pulled past
	// them are recreated. The no-pull label does the same per container.
	NoPull bool
	// Force plans paused containers too, and versions still in their
	// cooldown.
	Force bool
	// Repin re-pins containers pinned to a digest whose tag has moved: set
	// for updates a person asked for by name or image. Explicit implies it.
	Repin bool
}

// Plan turns a report into the steps an update takes.
func (e *Engine) Plan(report Report, opts PlanOptions) Plan {
	now := e.opts.Now()
	var p Plan
	for _, g := range report.Groups {
		for _, cs := range g.Containers {
			p.Scanned++
			c := cs.Container
			switch cs.Status {
			case StatusUpToDate:
				p.Fresh = append(p.Fresh, c)
				continue
			case StatusUnknown:
				p.Skipped = append(p.Skipped, Skip{Container: c, Image: g.Image, Reason: cs.Reason})
				continue
			}
			if reason := holdReason(cs, opts, now); reason != "" {
				skip := Skip{Container: c, Image: g.Image, Reason: reason, FromVersion: cs.CurrentVersion}
				if cs.Offer != nil {
					skip.ToVersion = cs.Offer.Version
				}
				p.Skipped = append(p.Skipped, skip)
				continue
			}
			p.Steps = append(p.Steps, stepFor(g, cs))
		}
	}
	return planUnits(p, report, opts, now)
}

// stepFor is the step that updates an outdated container of group g.
func stepFor(g Group, cs ContainerStatus) Step {
	c := cs.Container
	step := Step{
		Container:   c,
		Image:       g.Ref.Normal,
		Ref:         g.Ref,
		FromDigest:  cs.LocalDigest,
		ToDigest:    g.RemoteDigest,
		FromVersion: cs.CurrentVersion,
		// Swarm's nodes pull a service's image themselves.
		NeedsPull: !cs.Pulled && !c.IsService(),
	}
	if o := cs.Offer; o != nil {
		step.Image, step.Ref, step.ToDigest, step.ToVersion = o.Reference, o.Ref, o.Digest, o.Version
	}
	return step
}

// holdReason says why a stale container must not be updated, or "".
func holdReason(cs ContainerStatus, opts PlanOptions, now time.Time) string {
	c := cs.Container
	if r := refusal(c, opts.Force); r != "" {
		return r
	}
	if r := offerBlock(cs, opts, now); r != "" {
		return r
	}
	monitorLabel, monitorSet := LabelBool(c, "monitor-only")
	switch {
	case opts.MonitorOnly && !(opts.LabelTakePrecedence && monitorSet && !monitorLabel):
		return "monitor-only"
	case monitorLabel:
		return "monitor-only label"
	}
	if noPull, _ := LabelBool(c, "no-pull"); noPull || opts.NoPull {
		switch {
		case c.IsService():
			return "no-pull: a service update has Swarm's nodes pull the image"
		case !cs.Pulled:
			return "no-pull: waiting for the new image to be pulled"
		}
	}
	switch {
	case opts.Explicit:
		return ""
	case opts.Periodic:
		// The auto-update policy already weighs the enable label.
		if !cs.AutoUpdate {
			return "auto-update is off"
		}
	case Excluded(c):
		return "disabled by its enable label"
	}
	return ""
}

// waiting says why the version offered to a container waits, whatever a
// pass would decide besides: a hold, a pin or the cooldown; "" when none
// holds it back.
func waiting(cs ContainerStatus, now time.Time) string {
	return offerBlock(cs, PlanOptions{}, now)
}

// offerBlock says why the offered version must not be applied under opts:
// a hold unless asked for by name, a pin unless re-pinning, the cooldown
// unless forced.
func offerBlock(cs ContainerStatus, opts PlanOptions, now time.Time) string {
	o := cs.Offer
	switch {
	case cs.Held != nil && !opts.Explicit:
		h := cs.Held
		if h.By != "" {
			return "skipped by " + h.By + " on " + h.Since.UTC().Format(time.RFC3339) + "; a newer version, undoing the skip, or an update asked for by name releases it"
		}
		return "held since " + h.Since.UTC().Format(time.RFC3339) + " (" + h.Reason + "); a newer version, or an update asked for by name, releases it"
	case cs.Pinned && o != nil && !opts.Explicit && !opts.Repin:
		if cur, err := ParseReference(cs.Container.Image); err == nil && o.Move(cur) {
			return "pinned to " + ShortDigest(cs.LocalDigest) + "; " + o.Version + " is out: update it by name to move and re-pin"
		}
		return "pinned to " + ShortDigest(cs.LocalDigest) + "; the tag has moved to " + ShortDigest(o.Digest) + ": update it by name to re-pin"
	case o.Cooling(now) && !opts.Force:
		return "cooling down until " + o.CooldownUntil.UTC().Format(time.RFC3339) + " (--force applies it now)"
	}
	return ""
}
