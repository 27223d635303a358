package engine

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// unitMember is a container of an atomic unit as a check saw it.
type unitMember struct {
	g  Group
	cs ContainerStatus
}

// planUnits plans the members of atomic units again, each unit as a whole;
// the plan's loop judged them one by one:
//   - a member goes on its own terms when the plan would update it alone
//     (it was asked for, or a periodic pass auto-updates it), and then takes
//     every outdated member along, whatever their auto-update choice;
//   - a member its labels keep out of updates (enable=false, monitor-only)
//     stays out, and the unit goes without it;
//   - a member that cannot go now (held after a rollback, paused or
//     otherwise unswappable, waiting for a pull with no-pull) holds the
//     whole unit back: a unit never goes forward in part;
//   - a member checked only because another was (Joined) is left out of the
//     plan when its unit does not go.
func planUnits(p Plan, report Report, opts PlanOptions, now time.Time) Plan {
	units := map[string][]unitMember{}
	for _, g := range report.Groups {
		for _, cs := range g.Containers {
			if cs.Unit != "" {
				units[cs.Unit] = append(units[cs.Unit], unitMember{g: g, cs: cs})
			}
		}
	}
	if len(units) == 0 {
		return p
	}
	in := map[string]bool{}
	names := make([]string, 0, len(units))
	for u, ms := range units {
		names = append(names, u)
		for _, m := range ms {
			in[m.cs.Container.ID] = true
		}
	}
	p.Steps = slices.DeleteFunc(p.Steps, func(s Step) bool { return in[s.Container.ID] })
	p.Skipped = slices.DeleteFunc(p.Skipped, func(s Skip) bool { return in[s.Container.ID] })
	p.Fresh = slices.DeleteFunc(p.Fresh, func(c Container) bool { return in[c.ID] })
	sort.Strings(names)
	for _, u := range names {
		p = planUnit(p, u, units[u], opts, now)
	}
	return p
}

// planUnit adds one atomic unit's members to p.
func planUnit(p Plan, unit string, ms []unitMember, opts PlanOptions, now time.Time) Plan {
	type judged struct {
		unitMember
		reason string
	}
	var goes, out, outdated []judged
	var blocker *judged
	trigger := false
	for _, m := range ms {
		cs := m.cs
		switch cs.Status {
		case StatusUpToDate, StatusUnknown:
			switch {
			case cs.Joined:
				p.Scanned--
			case cs.Status == StatusUpToDate:
				p.Fresh = append(p.Fresh, cs.Container)
			default:
				p.Skipped = append(p.Skipped, Skip{Container: cs.Container, Image: m.g.Image, Reason: cs.Reason})
			}
			continue
		}
		o := opts
		if cs.Joined {
			// Not asked for: it goes only along with the others.
			o.Explicit, o.Periodic = false, false
		}
		j := judged{unitMember: m, reason: holdReason(cs, o, now)}
		outdated = append(outdated, j)
		switch {
		case j.reason == "":
			goes = append(goes, j)
			trigger = trigger || !cs.Joined
		case blocksUnit(cs, o, now):
			if blocker == nil {
				blocker = &outdated[len(outdated)-1]
			}
		case keptOutOfUnit(cs, o):
			out = append(out, j)
		default:
			// Not updated by itself this time (its auto-update is off), but
			// it goes along.
			goes = append(goes, j)
		}
	}
	if !trigger {
		for _, j := range outdated {
			if j.cs.Joined {
				p.Scanned--
				continue
			}
			p.Skipped = append(p.Skipped, Skip{Container: j.cs.Container, Image: j.g.Image, Reason: j.reason})
		}
		return p
	}
	if blocker != nil {
		for _, j := range outdated {
			reason := j.reason
			if j.cs.Container.ID != blocker.cs.Container.ID {
				reason = fmt.Sprintf("atomic project %s waits for %s: %s", unit, blocker.cs.Container.Name, blocker.reason)
			}
			p.Skipped = append(p.Skipped, Skip{Container: j.cs.Container, Image: j.g.Image, Reason: reason})
		}
		return p
	}
	for _, j := range goes {
		s := stepFor(j.g, j.cs)
		s.Unit = unit
		p.Steps = append(p.Steps, s)
	}
	for _, j := range out {
		p.Skipped = append(p.Skipped, Skip{Container: j.cs.Container, Image: j.g.Image, Reason: j.reason})
	}
	return p
}

// blocksUnit reports whether an outdated member that holdReason keeps back
// cannot go now, and so holds its whole unit back.
func blocksUnit(cs ContainerStatus, opts PlanOptions, now time.Time) bool {
	noPull, _ := LabelBool(cs.Container, "no-pull")
	return refusal(cs.Container, opts.Force) != "" ||
		offerBlock(cs, opts, now) != "" ||
		((noPull || opts.NoPull) && !cs.Pulled)
}

// keptOutOfUnit reports whether an outdated member is kept out of updates
// by its labels or by monitor-only: its unit goes without it.
func keptOutOfUnit(cs ContainerStatus, opts PlanOptions) bool {
	c := cs.Container
	monitorLabel, monitorSet := LabelBool(c, "monitor-only")
	return (opts.MonitorOnly && !(opts.LabelTakePrecedence && monitorSet && !monitorLabel)) ||
		monitorLabel || (Excluded(c) && !opts.Explicit)
}
