package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// applyUnit swaps the members of one atomic unit as one: every new
// container is created first, while the old ones still serve; then the
// members are cut over in dependency order, each gated on its health; if
// one fails, every member already cut over goes back to its old container
// (settleUnit), so the unit ends all-old or all-new. Only once every member
// passed are the swaps made final, one after another, and the old
// containers removed. The journal holds every member's swap, marked with
// the unit's id, from its creation on: a crash at any point is recovered
// to all-old or all-new too.
//
// all is the engine's containers, to order the members. held names the
// members whose locks the caller already holds (a deploy's).
func (e *Engine) applyUnit(ctx context.Context, steps []Step, all []Container, so swapOptions, sink Sink, held map[string]bool) UnitOutcome {
	steps = slices.Concat(batches(steps, all)...)
	u := &unitRun{e: e, project: steps[0].Unit, so: so, sink: sink, start: e.opts.Now()}
	for _, s := range steps {
		u.members = append(u.members, &unitSwap{s: s, o: Outcome{Container: s.Container.Name, Image: s.Image, OldDigest: s.FromDigest, NewDigest: s.ToDigest, OldVersion: s.FromVersion, NewVersion: s.ToVersion}})
	}
	var names []string
	for _, s := range steps {
		if !held[s.Container.Name] {
			names = append(names, s.Container.Name)
		}
	}
	unlock, err := e.lockAll(ctx, names)
	if err != nil {
		return u.notBegun(ctx, errNotBegun)
	}
	defer unlock()
	if ctx.Err() != nil {
		return u.notBegun(ctx, errNotBegun)
	}
	end, ok := e.begin()
	if !ok {
		return u.notBegun(ctx, ErrShuttingDown)
	}
	defer end()
	return u.run(ctx)
}

// unitRun is one atomic unit's update in progress.
type unitRun struct {
	e       *Engine
	project string
	so      swapOptions
	sink    Sink
	start   time.Time
	members []*unitSwap
}

// unitSwap is one member of a unit being updated.
type unitSwap struct {
	s   Step
	o   Outcome
	so  swapOptions
	old Container
	sw  *swapping
	// result is set once the member's update has ended.
	result Result
	err    error
}

func (u *unitRun) run(ctx context.Context) UnitOutcome {
	e := u.e
	held := map[string]bool{}
	for _, m := range u.members {
		held[m.s.Container.Name] = true
	}
	// Every member is looked at before any is touched: one that cannot go
	// keeps the whole unit back.
	var live []*unitSwap
	for _, m := range u.members {
		m.so = u.so
		old, r, err := e.examine(ctx, m.s, &m.so, &m.o, held)
		switch {
		case r == ResultFresh:
			m.result = ResultFresh
			continue
		case errors.Is(err, errSelf):
			m.result, m.err = ResultSkipped, errors.New("cutover's own container is updated on its own, not with its atomic project")
			continue
		case r != "":
			m.result, m.err = r, err
			return u.withoutTouching(ctx, m)
		}
		m.old = old
		live = append(live, m)
	}
	if len(live) == 0 {
		return u.outcome(ctx, ResultFresh, nil)
	}

	// All new containers first, while every old one still serves.
	unit := newSwapID()
	for i, m := range live {
		u.sink.Emit(Event{Time: e.opts.Now(), Container: m.o.Container, Image: m.s.Image, Phase: PhaseRecreating, Message: "atomic project " + u.project})
		sw, err := e.prepare(ctx, m.old, m.s.Image, m.so, unitMark{id: unit, order: i})
		if err != nil {
			if errors.Is(err, errNotBegun) {
				return u.back(ctx, live, nil, errNotBegun)
			}
			m.result, m.err = ResultFailed, err
			return u.back(ctx, live, m, err)
		}
		// Its place in Engine.busy is taken again for its cut-over: held
		// from now on, members would wait on each other's places.
		sw.leave()
		m.sw = sw
	}
	if ctx.Err() != nil {
		return u.back(ctx, live, nil, errNotBegun)
	}

	// From here on old containers are touched: the unit ends all-old or
	// all-new whatever happens to the caller.
	ctx = context.WithoutCancel(ctx)
	for _, m := range live {
		if err := e.cutOver(ctx, m.sw, u.sink); err != nil {
			return u.back(ctx, live, m, err)
		}
	}
	// The commit: once the first swap is final, the unit goes forward. Every
	// old container is marked retired before any is removed, so that the
	// engine's own state says so too, to recovery without the journal.
	for _, m := range live {
		e.pass(ctx, m.sw.rec)
		e.markRetired(ctx, m.sw)
	}
	for _, m := range live {
		e.retireOld(ctx, m.sw)
		e.release(ctx, m.o.Container)
		e.moved(ctx, m.old, m.s.Image)
		m.result = ResultUpdated
	}
	return u.outcome(ctx, ResultUpdated, nil)
}

// withoutTouching ends a unit that one member, m, keeps back before any
// container was touched.
func (u *unitRun) withoutTouching(ctx context.Context, m *unitSwap) UnitOutcome {
	cause := fmt.Errorf("%s: %w", m.o.Container, m.err)
	for _, o := range u.members {
		if o.result == "" {
			o.result, o.err = ResultSkipped, fmt.Errorf("%w %s: %s is not updated (%v)", errUnitSkipped, u.project, m.o.Container, m.err)
		}
	}
	r := ResultSkipped
	if m.result == ResultFailed {
		r = ResultFailed
	}
	return u.outcome(ctx, r, cause)
}

// back settles every prepared member of the unit back to its old
// container, after failed failed with cause (nil failed: the caller gave up
// before any old container was touched).
func (u *unitRun) back(ctx context.Context, live []*unitSwap, failed *unitSwap, cause error) UnitOutcome {
	e := u.e
	ctx = context.WithoutCancel(ctx)
	var recs []*SwapRecord
	var settled []*unitSwap
	var cut []bool
	for _, m := range live {
		if m.sw != nil {
			recs = append(recs, m.sw.rec)
			settled = append(settled, m)
			// Its cut-over began: the step its record names comes after
			// the creation.
			cut = append(cut, slices.Index(SwapSteps, m.sw.rec.Step) > slices.Index(SwapSteps, StepCreated))
		}
	}
	verdicts, errs := e.settleUnit(ctx, recs)
	unitCause := cause
	if failed != nil {
		unitCause = fmt.Errorf("%s: %w", failed.o.Container, cause)
		e.log.Warn("atomic project rolled back", "project", u.project, "container", failed.o.Container, "reason", cause)
	}
	allBack := true
	touched := false
	for i, m := range settled {
		cutOver := cut[i]
		touched = touched || cutOver
		switch {
		case errs[i] != nil:
			allBack = false
			m.result, m.err = ResultFailed, errors.Join(cause, fmt.Errorf("rollback: %w", errs[i]))
		case verdicts[i] == keptNewCopy:
			allBack = false
			m.result, m.err = ResultFailed, keptNew{cause: cause, why: "the old container is gone (removed by the engine or by hand, or dead)"}
		case m == failed && len(u.members) > 1:
			m.result, m.err = ResultRolledBack, fmt.Errorf("%w; atomic project %s went back with it", cause, u.project)
		case m == failed:
			m.result, m.err = ResultRolledBack, cause
		case cutOver:
			m.result, m.err = ResultRolledBack, fmt.Errorf("rolled back with atomic project %s: %w", u.project, unitCause)
		default:
			m.result, m.err = ResultSkipped, fmt.Errorf("%w %s: %v", errUnitSkipped, u.project, unitCause)
		}
	}
	for _, m := range u.members {
		if m.result == "" {
			m.result, m.err = ResultSkipped, fmt.Errorf("%w %s: %v", errUnitSkipped, u.project, unitCause)
		}
	}
	if failed != nil && failed.result == ResultRolledBack {
		e.hold(ctx, failed.old, failed.o, cause)
	}
	switch {
	case !allBack:
		return u.outcome(ctx, ResultFailed, unitCause)
	case failed == nil:
		return u.outcome(ctx, ResultSkipped, unitCause)
	case !touched && failed.result == ResultFailed:
		return u.outcome(ctx, ResultFailed, unitCause)
	}
	return u.outcome(ctx, ResultRolledBack, unitCause)
}

// notBegun ends a unit none of whose members was looked at.
func (u *unitRun) notBegun(ctx context.Context, err error) UnitOutcome {
	for _, m := range u.members {
		m.result, m.err = ResultSkipped, err
	}
	return u.outcome(ctx, ResultSkipped, err)
}

// outcome records each member's end (history, events) and the unit's.
func (u *unitRun) outcome(ctx context.Context, r Result, err error) UnitOutcome {
	e := u.e
	uo := &UnitOutcome{Project: u.project, Result: r, Err: err}
	for _, m := range u.members {
		o := m.o
		o.Result, o.Err, o.Duration, o.Unit = m.result, m.err, e.opts.Now().Sub(u.start), uo
		if !errors.Is(m.err, errNotBegun) && !errors.Is(m.err, ErrShuttingDown) {
			e.record(ctx, o)
			u.sink.Emit(Event{Time: e.opts.Now(), Container: o.Container, Image: o.Image, Phase: phaseOf(o.Result), Err: o.Err, Message: string(o.Result)})
		}
		o.Unit = nil
		uo.Members = append(uo.Members, o)
	}
	if r != ResultUpdated || len(uo.Members) > 1 {
		e.log.Info("atomic project update ended", "project", u.project, "result", r, "members", uo.Names(), "err", err)
	}
	return *uo
}

// splitUnits takes the steps of atomic units out of ready, grouped by
// unit. A unit one of whose members could not be pulled (pulled, by image,
// for every planned step) does not go: its other members end skipped, and
// the unit's outcome goes into sum. Under NoRestart, which creates no
// container, there are no units: each container goes to its process
// manager on its own.
func (e *Engine) splitUnits(ctx context.Context, ready, planned []Step, pulled map[string]error, so swapOptions, sum *Summary, sink Sink) ([][]Step, []Step) {
	if so.noRestart {
		return nil, ready
	}
	broken := map[string]Outcome{}
	for _, s := range planned {
		if err := pulled[s.Image]; err != nil && s.Unit != "" {
			if _, ok := broken[s.Unit]; !ok {
				broken[s.Unit] = Outcome{Container: s.Container.Name, Image: s.Image, OldDigest: s.FromDigest, Result: ResultFailed, Err: err}
			}
		}
	}
	var order []string
	byUnit := map[string][]Step{}
	var rest []Step
	for _, s := range ready {
		if s.Unit == "" {
			rest = append(rest, s)
			continue
		}
		if _, ok := byUnit[s.Unit]; !ok {
			order = append(order, s.Unit)
		}
		byUnit[s.Unit] = append(byUnit[s.Unit], s)
	}
	var units [][]Step
	for _, u := range order {
		failed, ok := broken[u]
		if !ok {
			units = append(units, byUnit[u])
			continue
		}
		cause := fmt.Errorf("%s: %w", failed.Container, failed.Err)
		uo := UnitOutcome{Project: u, Result: ResultFailed, Err: cause, Members: []Outcome{failed}}
		for _, s := range byUnit[u] {
			o := Outcome{Container: s.Container.Name, Image: s.Image, OldDigest: s.FromDigest, NewDigest: s.ToDigest, Result: ResultSkipped,
				Err: fmt.Errorf("%w %s: %v", errUnitSkipped, u, cause)}
			o.Unit = &uo
			e.record(ctx, o)
			sink.Emit(Event{Time: e.opts.Now(), Container: o.Container, Image: o.Image, Phase: PhaseSkipped, Err: o.Err})
			o.Unit = nil
			uo.Members = append(uo.Members, o)
		}
		sum.Units = append(sum.Units, uo)
		for _, o := range uo.Members[1:] {
			o.Unit = &sum.Units[len(sum.Units)-1]
			sum.add(o)
		}
	}
	return units, rest
}

// addUnit adds a unit's outcome, and its members', to s.
func (s *Summary) addUnit(uo UnitOutcome) {
	s.Units = append(s.Units, uo)
	for _, o := range uo.Members {
		o.Unit = &uo
		s.add(o)
	}
}
