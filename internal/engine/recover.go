package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Recovery is what Recover did.
type Recovery struct {
	// Kept names containers left on their new image; RolledBack those put
	// back on their old one (restored, or rebuilt from the journal).
	Kept       []string
	RolledBack []string
	Errors     []error
}

// Recover finishes or undoes every swap a crash left behind, from the
// journal and from the engine's own state (temporary names, swap labels),
// by the same rule as an inline rollback (see survivor), so each container
// the user had exists once, under its name, running if it was. Leftovers are
// removed. Running it again changes nothing more.
//
// Swaps this process is running are left alone; so are leftovers the
// journal does not know of whose swap may still be running in another
// process (see SwapLabelUntil). Only "not found" counts as a missing
// container: on any other engine error, the swap is left for the next try.
func (e *Engine) Recover(ctx context.Context) (Recovery, error) {
	var rep Recovery
	end, ok := e.begin()
	if !ok {
		return rep, nil
	}
	defer end()
	recs, err := e.pending(ctx)
	if err != nil {
		return rep, err
	}
	units := takeUnits(recs)
	names := make([]string, 0, len(recs))
	for n := range recs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		p := recs[name]
		if p.rec.Settled {
			continue
		}
		if p.inFlightElsewhere(e.opts.Now()) {
			e.log.Debug("leaving a recent swap alone: another process may be making it", "container", name)
			continue
		}
		unlock, ok := e.locks.tryLock(name)
		if !ok {
			continue
		}
		e.awaitLateCreate(ctx, p.rec)
		v, err := e.settle(ctx, p.rec)
		unlock()
		switch {
		case err != nil:
			rep.Errors = append(rep.Errors, fmt.Errorf("%s: %w", name, err))
		case v == keptNewCopy:
			rep.Kept = append(rep.Kept, name)
		default:
			rep.RolledBack = append(rep.RolledBack, name)
		}
	}
	e.recoverUnits(ctx, units, &rep)
	if len(rep.Kept)+len(rep.RolledBack) > 0 {
		e.log.Warn("recovered unfinished swaps", "kept_new", rep.Kept, "rolled_back", rep.RolledBack)
	}
	return rep, errors.Join(rep.Errors...)
}

// pending gathers the unfinished swaps, by container name, from the
// journal and from the engine's own state (temporary names, swap labels).
func (e *Engine) pending(ctx context.Context) (map[string]*pendingSwap, error) {
	all, err := e.rt.Containers(ctx, true)
	if err != nil {
		return nil, err
	}
	recs, settled, err := e.journaled(ctx)
	if err != nil {
		e.log.Warn("cannot read the swap journal; recovering from the engine's state only", "err", err)
	}
	for _, c := range all {
		e.addLeftover(recs, settled, c)
	}
	for _, c := range all {
		if p := recs[c.Name]; p != nil {
			p.learn(c, e.opts.OrphanAge)
		}
	}
	return recs, nil
}

// Abandoned reports whether the journal holds a swap this process is not
// making: one a crash, or an engine restart, cut short. It is cheap, so it
// can be asked often; Recover then settles it.
func (e *Engine) Abandoned(ctx context.Context) bool {
	if e.opts.Journal == nil {
		return false
	}
	recs, err := e.opts.Journal.Swaps(ctx)
	if err != nil {
		return false
	}
	for _, r := range recs {
		if !e.locks.held(r.Name) {
			return true
		}
	}
	return false
}

// settleLeftovers settles what an earlier swap of the named container left,
// before a new swap of it: the caller holds its lock, and those of held. A
// swap that was part of an atomic unit is settled with its whole unit.
func (e *Engine) settleLeftovers(ctx context.Context, name string, held map[string]bool) error {
	recs, settled, err := e.journaled(ctx)
	if err != nil {
		return fmt.Errorf("read the swap journal: %w", err)
	}
	for k := range recs {
		if k != name {
			delete(recs, k)
		}
	}
	for _, suffix := range []string{NewSuffix, AsideSuffix, RetiredSuffix} {
		c, ok, err := e.find(ctx, name+suffix)
		if err != nil {
			return err
		}
		if ok && c.Name == name+suffix {
			e.addLeftover(recs, settled, c)
		}
	}
	p := recs[name]
	if p == nil || p.rec.Settled {
		return nil
	}
	if c, ok, err := e.find(ctx, name); err != nil {
		return err
	} else if ok {
		p.learn(c, e.opts.OrphanAge)
	}
	if p.inFlightElsewhere(e.opts.Now()) {
		return errors.New("another process is swapping it right now")
	}
	if p.rec.Unit != "" {
		return e.settleUnitOf(ctx, p.rec.Unit, name, held)
	}
	_, err = e.settle(ctx, p.rec)
	return err
}

// awaitLateCreate waits, up to Options.LateCreate, for the new container of a
// journaled swap cut short during its create, so that it is settled with
// the rest rather than found later as a leftover.
func (e *Engine) awaitLateCreate(ctx context.Context, rec *SwapRecord) {
	if rec.NewID != "" || rec.Step != StepCreated || rec.Manager {
		return
	}
	deadline := time.Now().Add(e.opts.LateCreate)
	for time.Now().Before(deadline) {
		c, ok, err := e.find(ctx, rec.Name+NewSuffix)
		if err == nil && ok && c.Labels[SwapLabelID] == rec.ID {
			rec.NewID = c.ID
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pendingSwap is an unfinished swap found in the journal or from leftovers.
type pendingSwap struct {
	rec       *SwapRecord
	journaled bool
	// until is when a swap nobody journaled here is surely over.
	until time.Time
}

// inFlightElsewhere reports whether the swap may be running in another
// process (this process's journal does not know it, and its deadline has
// not passed), or is waiting for a process manager.
func (p *pendingSwap) inFlightElsewhere(now time.Time) bool {
	if p.rec.Manager {
		return now.Before(p.rec.Until)
	}
	return !p.journaled && now.Before(p.until)
}

// journaled returns the journal's unfinished swaps by container name, and
// its settled ones (see SwapRecord.Settled) by swap id. Of several
// unfinished swaps of one name, only the newest is kept: the older ones
// were settled before it began. A settled entry is dropped once its new
// container could no longer appear.
func (e *Engine) journaled(ctx context.Context) (map[string]*pendingSwap, map[string]SwapRecord, error) {
	out, settled := map[string]*pendingSwap{}, map[string]SwapRecord{}
	if e.opts.Journal == nil {
		return out, settled, nil
	}
	recs, err := e.opts.Journal.Swaps(ctx)
	if err != nil {
		return out, settled, err
	}
	sort.Slice(recs, func(a, b int) bool { return recs[a].Started.Before(recs[b].Started) })
	for i := range recs {
		r := &recs[i]
		if r.Settled {
			if e.opts.Now().Sub(r.Started) > e.opts.OrphanAge {
				e.forget(ctx, r)
			} else {
				settled[r.ID] = *r
			}
			continue
		}
		if prev := out[r.Name]; prev != nil {
			e.forget(ctx, prev.rec)
		}
		out[r.Name] = &pendingSwap{rec: r, journaled: true}
	}
	return out, settled, nil
}

// addLeftover adds what container c says of an unfinished swap to recs: a
// container under a temporary name is a leftover; the one under the name a
// leftover belongs to may be either copy.
func (e *Engine) addLeftover(recs map[string]*pendingSwap, settled map[string]SwapRecord, c Container) {
	base, role := swapRole(c)
	if role == "" {
		return
	}
	if e.opts.Claims != nil && !e.opts.Claims(c, base) {
		return
	}
	if s, ok := settled[c.Labels[SwapLabelID]]; ok && role == "new" && c.Labels[SwapLabelRole] == "new" {
		if p := recs[base]; p == nil || !p.journaled {
			// The new container of a swap settled without it: the engine
			// finished creating it after its process was killed.
			s.Settled, s.NewID = false, c.ID
			recs[base] = &pendingSwap{rec: &s, journaled: true}
			return
		}
	}
	p := recs[base]
	if p == nil {
		// Without a journal entry, the swap's labels tell what the journal
		// would have: whether the old container was up, and until when the
		// swap might still be running elsewhere.
		p = &pendingSwap{rec: &SwapRecord{Version: journalVersion, Name: base, WasRunning: true}}
		recs[base] = p
	}
	rec := p.rec
	switch role {
	case "old", "retired":
		if rec.OldID == "" {
			rec.OldID = c.ID
		}
		if role == "retired" && rec.OldID == c.ID {
			// Renamed so only once the new container passed its gate.
			rec.Healthy = true
		}
	case "new":
		if rec.NewID == "" && (!p.journaled || c.Labels[SwapLabelID] == rec.ID) {
			rec.NewID = c.ID
		}
	}
	p.learn(c, e.opts.OrphanAge)
}

// learn takes from c, when it is the swap's new container, what its labels
// say of a swap the journal does not know: whether the old container was
// up, and until when the swap may still be running elsewhere.
func (p *pendingSwap) learn(c Container, orphanAge time.Duration) {
	if p.journaled || !isNewOf(c, p.rec) {
		return
	}
	if u := c.Labels[SwapLabelUnit]; u != "" {
		p.rec.Unit = u
	}
	if v, err := strconv.ParseBool(c.Labels[SwapLabelWasUp]); err == nil {
		p.rec.WasRunning = v
	}
	p.until = c.Created.Add(orphanAge)
	if t, err := time.Parse(time.RFC3339, c.Labels[SwapLabelUntil]); err == nil {
		p.until = t
	}
}

// isNewOf reports whether c is the new container of rec's swap, by the
// marks it was created with.
func isNewOf(c Container, rec *SwapRecord) bool {
	return c.Labels[SwapLabelRole] == "new" && c.Labels[SwapLabelOf] == rec.Name &&
		(rec.ID == "" || c.Labels[SwapLabelID] == rec.ID)
}

// swapRole tells whether c is a leftover of an unfinished swap: the old
// container renamed aside, or retired once the new one passed its gate, or
// the new one under its temporary name.
func swapRole(c Container) (base, role string) {
	switch {
	case strings.HasSuffix(c.Name, AsideSuffix):
		return strings.TrimSuffix(c.Name, AsideSuffix), "old"
	case strings.HasSuffix(c.Name, RetiredSuffix):
		return strings.TrimSuffix(c.Name, RetiredSuffix), "retired"
	case strings.HasSuffix(c.Name, NewSuffix):
		return strings.TrimSuffix(c.Name, NewSuffix), "new"
	}
	return "", ""
}

// IsLeftover reports whether c carries one of a swap's temporary names.
func IsLeftover(c Container) bool {
	_, role := swapRole(c)
	return role != ""
}
