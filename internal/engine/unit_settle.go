package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// settleUnit settles the unfinished swaps of one atomic unit as one, by one
// rule for the unit's own rollback and for recovery alike: once any
// member's swap was made final (the unit's commit had begun: every member
// had passed its gate), the unit goes forward and every member keeps its
// new container; until then it goes back, and every member its old one,
// rebuilt from its journaled definition if it is gone (see survivor). Each
// member is then settled as a lone swap is. Going back, the members that
// depend on others go first; going forward, the others do.
//
// It returns each record's verdict and error, in the order of recs.
func (e *Engine) settleUnit(ctx context.Context, recs []*SwapRecord) ([]verdict, []error) {
	forward := slices.ContainsFunc(recs, func(r *SwapRecord) bool { return r.Healthy })
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		if forward {
			return recs[order[a]].UnitOrder < recs[order[b]].UnitOrder
		}
		return recs[order[a]].UnitOrder > recs[order[b]].UnitOrder
	})
	if len(recs) > 0 {
		e.log.Warn("settling an atomic unit", "unit", recs[0].Unit, "forward", forward, "members", len(recs))
	}
	verdicts, errs := make([]verdict, len(recs)), make([]error, len(recs))
	for _, i := range order {
		if forward {
			recs[i].Healthy = true
		}
		verdicts[i], errs[i] = e.settle(ctx, recs[i])
	}
	return verdicts, errs
}

// takeUnits moves the swaps that are part of atomic units out of recs, by
// unit id.
func takeUnits(recs map[string]*pendingSwap) map[string][]*pendingSwap {
	units := map[string][]*pendingSwap{}
	for name, p := range recs {
		if p.rec.Unit == "" || p.rec.Settled {
			continue
		}
		units[p.rec.Unit] = append(units[p.rec.Unit], p)
		delete(recs, name)
	}
	return units
}

// recoverUnits settles the atomic units a crash cut short, each as one (see
// settleUnit), unless one of its members may still be swapped elsewhere or
// here.
func (e *Engine) recoverUnits(ctx context.Context, units map[string][]*pendingSwap, rep *Recovery) {
	ids := make([]string, 0, len(units))
	for id := range units {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		ps := units[id]
		if slices.ContainsFunc(ps, func(p *pendingSwap) bool { return p.inFlightElsewhere(e.opts.Now()) }) {
			e.log.Debug("leaving a recent atomic unit alone: another process may be making it", "unit", id)
			continue
		}
		recs := make([]*SwapRecord, len(ps))
		names := make([]string, len(ps))
		for i, p := range ps {
			recs[i], names[i] = p.rec, p.rec.Name
		}
		unlock, ok := e.tryLockAll(names, nil)
		if !ok {
			continue
		}
		for _, rec := range recs {
			e.awaitLateCreate(ctx, rec)
		}
		verdicts, errs := e.settleUnit(ctx, recs)
		unlock()
		for i, rec := range recs {
			switch {
			case errs[i] != nil:
				rep.Errors = append(rep.Errors, fmt.Errorf("%s: %w", rec.Name, errs[i]))
			case verdicts[i] == keptNewCopy:
				rep.Kept = append(rep.Kept, rec.Name)
			default:
				rep.RolledBack = append(rep.RolledBack, rec.Name)
			}
		}
	}
}

// settleUnitOf settles the atomic unit an earlier swap of name was part
// of, before a new swap of name. The caller holds the locks of name and of
// held; the other members' are taken if free, or the unit is left for
// later.
func (e *Engine) settleUnitOf(ctx context.Context, unit, name string, held map[string]bool) error {
	recs, err := e.pending(ctx)
	if err != nil {
		return err
	}
	ps := takeUnits(recs)[unit]
	var members []*SwapRecord
	var others []string
	for _, p := range ps {
		if p.inFlightElsewhere(e.opts.Now()) {
			return fmt.Errorf("another process is swapping %s, of the same atomic unit, right now", p.rec.Name)
		}
		members = append(members, p.rec)
		if p.rec.Name != name {
			others = append(others, p.rec.Name)
		}
	}
	unlock, ok := e.tryLockAll(others, held)
	if !ok {
		return errors.New("another member of its atomic unit is being swapped right now")
	}
	defer unlock()
	_, errs := e.settleUnit(ctx, members)
	return errors.Join(errs...)
}

// tryLockAll takes the locks of names, but those in held, only if every
// one is free; the returned func releases them.
func (e *Engine) tryLockAll(names []string, held map[string]bool) (func(), bool) {
	var unlocks []func()
	release := func() {
		for _, u := range unlocks {
			u()
		}
	}
	for _, n := range names {
		if held[n] {
			continue
		}
		u, ok := e.locks.tryLock(n)
		if !ok {
			release()
			return nil, false
		}
		unlocks = append(unlocks, u)
	}
	return release, true
}

// lockAll waits for the locks of names, in name order so that two units
// never wait for each other; the returned func releases them.
func (e *Engine) lockAll(ctx context.Context, names []string) (func(), error) {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	var unlocks []func()
	release := func() {
		for _, u := range unlocks {
			u()
		}
	}
	for _, n := range slices.Compact(sorted) {
		u, err := e.locks.lock(ctx, n)
		if err != nil {
			release()
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	return release, nil
}
