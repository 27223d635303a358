package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Recovery is what Recover did.
type Recovery struct {
	// Kept names containers left on their new image; RolledBack those put
	// back on their old one.
	Kept       []string
	RolledBack []string
	Errors     []error
}

// Recover finishes or undoes every swap a crash left behind, from the
// journal and from the engine's own state (temporary names, swap labels),
// so each container the user had exists once, under its name, running if it
// was: on the new image when that had passed its health gate, else on the
// old one. Leftovers are removed. Running it again changes nothing more.
// Swaps this process is running are left alone; so are leftovers the
// journal does not know whose new container is younger than OrphanAge: they
// may be a swap another cutover process is making right now.
func (e *Engine) Recover(ctx context.Context) (Recovery, error) {
	var rep Recovery
	all, err := e.rt.Containers(ctx, true)
	if err != nil {
		return rep, err
	}
	pending := map[string]*SwapRecord{}
	if e.opts.Journal != nil {
		recs, err := e.opts.Journal.Swaps(ctx)
		if err != nil {
			e.log.Warn("cannot read the swap journal; recovering from the engine's state only", "err", err)
		}
		for i := range recs {
			pending[recs[i].Name] = &recs[i]
		}
	}
	journaled := map[string]bool{}
	for n := range pending {
		journaled[n] = true
	}
	young := map[string]bool{}
	for _, c := range all {
		base, role := swapRole(c)
		if role == "" && c.Labels[SwapLabelRole] == "new" {
			base = c.Labels[SwapLabelOf]
		}
		if base == "" || journaled[base] {
			if role == "" {
				continue
			}
		} else if c.Labels[SwapLabelRole] == "new" && e.opts.Now().Sub(c.Created) < e.opts.OrphanAge {
			young[base] = true
		}
		if role == "" {
			continue
		}
		if e.opts.Claims != nil && !e.opts.Claims(c, base) {
			continue
		}
		rec := pending[base]
		if rec == nil {
			// Without a journal entry nothing says the new one was healthy,
			// nor whether the old one ran: assume it did, and keep it.
			rec = &SwapRecord{Name: base, WasRunning: true}
			pending[base] = rec
		}
		switch {
		case role == "old" && rec.OldID == "":
			rec.OldID = c.ID
		case role == "new" && rec.NewID == "":
			rec.NewID = c.ID
		}
	}
	names := make([]string, 0, len(pending))
	for n := range pending {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		rec := pending[name]
		if !journaled[name] && young[name] {
			e.log.Debug("leaving a recent swap alone: another process may be making it", "container", name)
			continue
		}
		unlock, ok := e.locks.tryLock(name)
		if !ok {
			continue
		}
		kept, err := e.settle(ctx, rec)
		unlock()
		switch {
		case err != nil:
			rep.Errors = append(rep.Errors, fmt.Errorf("%s: %w", name, err))
		case kept:
			rep.Kept = append(rep.Kept, name)
		default:
			rep.RolledBack = append(rep.RolledBack, name)
		}
	}
	if len(rep.Kept)+len(rep.RolledBack) > 0 {
		e.log.Warn("recovered unfinished swaps", "kept_new", rep.Kept, "rolled_back", rep.RolledBack)
	}
	return rep, errors.Join(rep.Errors...)
}

// swapRole tells whether c is a leftover of an unfinished swap: the old
// container renamed aside, or the new one under its temporary name.
func swapRole(c Container) (base, role string) {
	switch {
	case strings.HasSuffix(c.Name, AsideSuffix):
		return strings.TrimSuffix(c.Name, AsideSuffix), "old"
	case strings.HasSuffix(c.Name, NewSuffix):
		return strings.TrimSuffix(c.Name, NewSuffix), "new"
	}
	return "", ""
}

// settle brings one unfinished swap to an end and reports whether the new
// container was kept.
func (e *Engine) settle(ctx context.Context, rec *SwapRecord) (kept bool, err error) {
	lookup := func(ref string) (Container, bool) {
		if ref == "" {
			return Container{}, false
		}
		c, err := e.rt.Container(ctx, ref)
		return c, err == nil
	}
	_, hasOld := lookup(rec.OldID)
	newC, hasNew := lookup(rec.NewID)
	if placed, ok := lookup(rec.Name); ok && placed.Name == rec.Name {
		switch {
		case !hasOld && placed.ID != rec.NewID:
			// Cut before the old container was renamed aside: it still has
			// its name.
			hasOld, rec.OldID = true, placed.ID
		case !hasNew && placed.ID != rec.OldID && placed.Labels[SwapLabelRole] == "new" && placed.Labels[SwapLabelOf] == rec.Name:
			// The new container reached the name before the journal knew it.
			newC, hasNew, rec.NewID = placed, true, placed.ID
		}
	}

	switch {
	case hasNew && (rec.Healthy || !hasOld):
		// The new container passed its gate, or is the only copy left:
		// never lose a container.
		kept, err = true, e.keepNew(ctx, rec, newC)
	case hasOld:
		err = e.restoreOld(ctx, rec)
	default:
		e.forget(ctx, rec)
		return false, fmt.Errorf("neither the old nor the new container exists")
	}
	if err != nil {
		return kept, err
	}
	e.removeLeftover(ctx, rec.Name+NewSuffix)
	e.removeLeftover(ctx, rec.Name+AsideSuffix)
	return kept, nil
}

// keepNew finishes a swap whose new container stays: it gets the name, runs
// if the old one ran, and the old one is removed.
func (e *Engine) keepNew(ctx context.Context, rec *SwapRecord, newC Container) error {
	if rec.OldID != "" {
		if err := e.rt.Remove(ctx, rec.OldID, false); err != nil && !IsNotFound(err) {
			return fmt.Errorf("remove old container: %w", err)
		}
	}
	if newC.Name != rec.Name {
		if err := e.rt.Rename(ctx, newC.ID, rec.Name); err != nil {
			return fmt.Errorf("rename new container into place: %w", err)
		}
	}
	if rec.WasRunning && !newC.Running() {
		if err := e.rt.Start(ctx, newC.ID); err != nil {
			return fmt.Errorf("start new container: %w", err)
		}
	}
	e.forget(ctx, rec)
	return nil
}
