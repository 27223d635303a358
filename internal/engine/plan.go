package engine

import "time"

// Step is one planned container update.
type Step struct {
	Container  Container
	Image      string // the normalised reference the new container runs
	Ref        Reference
	FromDigest string
	ToDigest   string
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
	// Force plans paused containers too.
	Force bool
}

// Plan turns a report into the steps an update takes.
func (e *Engine) Plan(report Report, opts PlanOptions) Plan {
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
			if reason := holdReason(cs, opts); reason != "" {
				p.Skipped = append(p.Skipped, Skip{Container: c, Image: g.Image, Reason: reason})
				continue
			}
			p.Steps = append(p.Steps, stepFor(g, cs))
		}
	}
	return planUnits(p, report, opts)
}

// stepFor is the step that updates an outdated container of group g.
func stepFor(g Group, cs ContainerStatus) Step {
	return Step{
		Container:  cs.Container,
		Image:      g.Ref.Normal,
		Ref:        g.Ref,
		FromDigest: cs.LocalDigest,
		ToDigest:   g.RemoteDigest,
		NeedsPull:  !cs.Pulled,
	}
}

// holdReason says why a stale container must not be updated, or "".
func holdReason(cs ContainerStatus, opts PlanOptions) string {
	c := cs.Container
	if r := refusal(c, opts.Force); r != "" {
		return r
	}
	if cs.Held != nil && !opts.Explicit {
		return "held since " + cs.Held.Since.UTC().Format(time.RFC3339) + " (" + cs.Held.Reason + "); a newer version, or an update asked for by name, releases it"
	}
	monitorLabel, monitorSet := LabelBool(c, "monitor-only")
	switch {
	case opts.MonitorOnly && !(opts.LabelTakePrecedence && monitorSet && !monitorLabel):
		return "monitor-only"
	case monitorLabel:
		return "monitor-only label"
	}
	if noPull, _ := LabelBool(c, "no-pull"); (noPull || opts.NoPull) && !cs.Pulled {
		return "no-pull: waiting for the new image to be pulled"
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
