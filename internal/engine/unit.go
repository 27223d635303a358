package engine

import (
	"errors"
	"slices"
	"strings"
)

// Labels Compose puts on the containers of a project.
const (
	ComposeProjectLabel   = "com.docker.compose.project"
	ComposeServiceLabel   = "com.docker.compose.service"
	composeOneoffLabel    = "com.docker.compose.oneoff"
	composeDependsOnLabel = "com.docker.compose.depends_on"
)

// Project names the Compose project c is a service container of, "" for
// none. The one-off containers of "compose run" belong to no service.
func Project(c Container) string {
	if strings.EqualFold(c.Labels[composeOneoffLabel], "true") {
		return ""
	}
	return c.Labels[ComposeProjectLabel]
}

// unitOf names the atomic unit c belongs to: its Compose project, when the
// container is labelled atomic=true, or when every project is atomic
// (Options.AtomicProjects) and its label does not say false. "" for none.
func (e *Engine) unitOf(c Container) string {
	p := Project(c)
	if p == "" {
		return ""
	}
	on, set := LabelBool(c, "atomic")
	if on || (e.opts.AtomicProjects && !set) {
		return p
	}
	return ""
}

// Atomic reports whether c is a member of its Compose project's atomic
// unit, so that its updates take the project's other outdated members
// along.
func (e *Engine) Atomic(c Container) bool { return e.unitOf(c) != "" }

// StatusOf folds containers' statuses as an image group's are, for views
// that group them otherwise, by Compose project.
func StatusOf(cs []ContainerStatus) Status { return groupStatus(cs) }

// UnitOutcome is how the update of an atomic unit ended, as one.
type UnitOutcome struct {
	// Project is the Compose project.
	Project string
	// Result is updated when every member runs its new version, rolled_back
	// when every member swapped went back to its old one, skipped when none
	// was touched, failed when the unit could be settled neither way.
	Result Result
	// Err says why the unit did not go forward, naming the member.
	Err error
	// Members are the outcomes of the unit's containers, in swap order.
	Members []Outcome
}

// Names lists the unit's containers in swap order.
func (u UnitOutcome) Names() []string {
	out := make([]string, len(u.Members))
	for i, o := range u.Members {
		out[i] = o.Container
	}
	return out
}

// errUnitSkipped marks the members of a unit that did not go because
// another member could not.
var errUnitSkipped = errors.New("left with its atomic project")

// joinUnits adds to selected the containers of listed that are members of
// the atomic unit of a selected container, and are watched: an update that
// touches any member takes the others along. It returns the widened
// selection and the ids of the containers it added.
func (e *Engine) joinUnits(listed, selected []Container, watched func(Container) bool) ([]Container, map[string]bool) {
	units := map[string]bool{}
	ids := map[string]bool{}
	for _, c := range selected {
		ids[c.ID] = true
		if u := e.unitOf(c); u != "" {
			units[u] = true
		}
	}
	joined := map[string]bool{}
	if len(units) == 0 {
		return selected, joined
	}
	out := slices.Clone(selected)
	for _, c := range listed {
		if ids[c.ID] || IsLeftover(c) || !units[e.unitOf(c)] || (watched != nil && !watched(c)) {
			continue
		}
		out = append(out, c)
		joined[c.ID] = true
	}
	return out, joined
}

// markJoined flags the statuses of the containers a check took along for
// their atomic unit.
func markJoined(r *Report, joined map[string]bool) {
	if len(joined) == 0 {
		return
	}
	for gi := range r.Groups {
		for ci := range r.Groups[gi].Containers {
			cs := &r.Groups[gi].Containers[ci]
			cs.Joined = joined[cs.Container.ID]
		}
	}
}
