package engine

import (
	"context"
	"fmt"
	"slices"
)

// unitMembers names the other members of c's atomic unit that this engine
// looks after (Options.Claims); none when c is in no unit.
func (e *Engine) unitMembers(ctx context.Context, c Container) []string {
	unit := e.unitOf(c)
	if unit == "" {
		return nil
	}
	listed, err := e.rt.Containers(ctx, false)
	if err != nil {
		return nil
	}
	var out []string
	for _, o := range listed {
		if o.ID != c.ID && o.Name != c.Name && e.unitOf(o) == unit && !IsLeftover(o) && (e.opts.Claims == nil || e.opts.Claims(o, o.Name)) {
			out = append(out, o.Name)
		}
	}
	return out
}

// deployUnit deploys step's container, a member of an atomic unit, with
// the unit's other outdated members (checked against their registries now):
// the deploy touches the unit, so it takes them along, and they go forward
// or back together. locked are the members whose locks the caller holds;
// only those are taken along. It returns the deployed container's outcome,
// with its unit's; the error is set only when nothing was changed: a member
// holds the unit back, or a member's image cannot be pulled.
func (e *Engine) deployUnit(ctx context.Context, step Step, req DeployRequest, locked []string, sink Sink) (Outcome, error) {
	unit := e.unitOf(step.Container)
	listed, err := e.rt.Containers(ctx, false)
	if err != nil {
		return Outcome{}, err
	}
	var others []Container
	for _, o := range listed {
		if o.ID != step.Container.ID && slices.Contains(locked, o.Name) && e.unitOf(o) == unit && !IsLeftover(o) {
			others = append(others, o)
		}
	}
	report, err := e.CheckContainers(ctx, others, Remote{})
	if err != nil {
		return Outcome{}, err
	}
	var ms []unitMember
	for _, g := range report.Groups {
		for _, cs := range g.Containers {
			cs.Joined = true
			ms = append(ms, unitMember{g: g, cs: cs})
		}
	}
	// The deployed container is the member asked for: it goes, and takes
	// the others along.
	self := unitMember{g: Group{Image: step.Image, Ref: step.Ref}, cs: ContainerStatus{Container: step.Container, Status: StatusOutdated, Pulled: true, Unit: unit}}
	p := planUnit(Plan{}, unit, append([]unitMember{self}, ms...), PlanOptions{Explicit: true, Force: req.Force}, e.opts.Now())
	for _, s := range p.Skipped {
		if s.Container.ID == step.Container.ID {
			return Outcome{}, fmt.Errorf("container '%s' is not swapped: %s: %w", step.Container.Name, s.Reason, ErrRefused)
		}
	}
	steps := []Step{}
	for _, s := range p.Steps {
		if s.Container.ID == step.Container.ID {
			s = step
			s.Unit = unit
		} else if s.NeedsPull {
			if err := e.pull(ctx, s.Image, Auth{}, containerSink(sink, s.Container.Name)); err != nil {
				return Outcome{}, fmt.Errorf("%w: atomic project %s: %s: %v", ErrPull, unit, s.Container.Name, err)
			}
		}
		steps = append(steps, s)
	}
	all, err := e.rt.Containers(ctx, true)
	if err != nil {
		all = stepContainers(steps)
	}
	held := map[string]bool{}
	for _, n := range locked {
		held[n] = true
	}
	uo := e.applyUnit(ctx, steps, all, swapOptions{force: req.Force}, sink, held)
	for _, o := range uo.Members {
		if o.Container == step.Container.Name {
			o.Unit = &uo
			return o, nil
		}
	}
	return Outcome{Container: step.Container.Name, Image: step.Image, Result: uo.Result, Err: uo.Err, Unit: &uo}, nil
}
