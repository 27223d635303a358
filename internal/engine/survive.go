package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// verdict is which copy of a container an unfinished swap ended with.
type verdict int

const (
	// keptNewCopy: the new container serves under the name.
	keptNewCopy verdict = iota + 1
	// restoredOld: the old container serves under the name again.
	restoredOld
	// rebuiltOld: both were gone; the old one was created again from its
	// journaled definition.
	rebuiltOld
)

// copies is what the engine holds of one swap's containers right now.
type copies struct {
	old, new       Container
	hasOld, hasNew bool
	// placed is a container under the swap's name that is neither copy.
	placed    Container
	hasPlaced bool
}

// find inspects a container; only the engine saying it does not exist
// counts as absence. Any other error is uncertainty, and nothing may be
// removed on it.
func (e *Engine) find(ctx context.Context, ref string) (Container, bool, error) {
	if ref == "" {
		return Container{}, false, nil
	}
	c, err := e.rt.Container(ctx, ref)
	switch {
	case IsNotFound(err):
		return Container{}, false, nil
	case err != nil:
		return Container{}, false, err
	}
	return c, true, nil
}

// look finds the copies of rec's swap.
func (e *Engine) look(ctx context.Context, rec *SwapRecord) (copies, error) {
	var cp copies
	var err error
	if cp.old, cp.hasOld, err = e.find(ctx, rec.OldID); err != nil {
		return cp, fmt.Errorf("inspect the old container: %w", err)
	}
	if cp.new, cp.hasNew, err = e.find(ctx, rec.NewID); err != nil {
		return cp, fmt.Errorf("inspect the new container: %w", err)
	}
	placed, ok, err := e.find(ctx, rec.Name)
	if err != nil {
		return cp, fmt.Errorf("inspect %s: %w", rec.Name, err)
	}
	if !ok || placed.Name != rec.Name || placed.ID == rec.OldID || placed.ID == rec.NewID {
		return cp, nil
	}
	switch {
	case !cp.hasNew && isNewOf(placed, rec):
		// The new container took the name before the journal knew its id.
		cp.new, cp.hasNew, rec.NewID = placed, true, placed.ID
	case rec.OldID == "" && !isNewOf(placed, rec):
		// Found from a leftover new container: the old one still has the
		// name.
		cp.old, cp.hasOld, rec.OldID = placed, true, placed.ID
	default:
		cp.placed, cp.hasPlaced = placed, true
	}
	return cp, nil
}

// survivor is the one rule that decides which copy of a container an
// unfinished swap keeps, for the inline rollback and for recovery alike.
// Only a copy that exists and is not dead or being removed can serve:
//   - a new container that passed its gate stays: the swap is final;
//   - otherwise the old container serves again;
//   - if it is gone (the engine deleted it as it stopped, a person removed
//     it) or wrecked, and the swap is part of an atomic unit that goes
//     back, the old one is rebuilt from its journaled definition: the unit
//     ends all-old (see settleUnit);
//   - otherwise the new one stays, whatever its health: it is the last
//     copy;
//   - if both are gone, the old one is rebuilt from its journaled
//     definition.
func survivor(rec *SwapRecord, cp copies) (verdict, error) {
	oldOK := cp.hasOld && serves(cp.old)
	newOK := cp.hasNew && serves(cp.new)
	switch {
	case rec.Healthy && newOK:
		return keptNewCopy, nil
	case oldOK:
		return restoredOld, nil
	case rec.Unit != "" && len(rec.Definition) > 0:
		return rebuiltOld, nil
	case newOK:
		return keptNewCopy, nil
	case len(rec.Definition) > 0:
		return rebuiltOld, nil
	}
	return 0, errors.New("neither the old nor the new container can serve, and no definition was journaled to rebuild the old one")
}

// serves reports whether a copy can still serve: not dead, not being
// removed, and not one that stopped and that the engine is about to delete
// (AutoRemove).
func serves(c Container) bool {
	return !c.Wrecked() && !(c.AutoRemove && !c.Up() && c.State != StateCreated)
}

// rollback settles a swap whose new container failed, and says how it
// ended: rolledBack when the old version serves again, keptNew when only
// the new one could, or the error when settling failed (the journal keeps
// the swap for recovery).
func (e *Engine) rollback(ctx context.Context, rec *SwapRecord, cause error) error {
	e.log.Warn("rolling back", "container", rec.Name, "reason", cause)
	v, err := e.settle(ctx, rec)
	switch {
	case err != nil:
		return errors.Join(cause, fmt.Errorf("rollback: %w", err))
	case v == keptNewCopy:
		return keptNew{cause: cause, why: "the old container is gone (removed by the engine or by hand, or dead)"}
	}
	return rolledBack{cause: cause}
}

// settle brings one unfinished swap to an end by the survivor rule, removes
// its leftovers and clears its journal entry. Every action is skipped when
// already done, so it can run again after being cut short.
func (e *Engine) settle(ctx context.Context, rec *SwapRecord) (verdict, error) {
	cp, err := e.look(ctx, rec)
	if err != nil {
		return 0, err
	}
	if cp.hasPlaced {
		// Another container took the name since (the process manager of a
		// container handed to it, a person, Compose): it serves, and this
		// swap's copies are leftovers.
		if cp.placed.Wrecked() {
			return 0, fmt.Errorf("the name %s is held by %s, which is %s", rec.Name, ShortID(cp.placed.ID), cp.placed.State)
		}
		for _, c := range []struct {
			ok bool
			c  Container
		}{{cp.hasOld, cp.old}, {cp.hasNew, cp.new}} {
			if !c.ok {
				continue
			}
			if err := e.rt.Remove(ctx, c.c.ID, false); err != nil && !IsNotFound(err) {
				return 0, fmt.Errorf("remove leftover %s: %w", c.c.Name, err)
			}
		}
		e.forget(ctx, rec)
		return keptNewCopy, nil
	}
	v, err := survivor(rec, cp)
	if err != nil {
		e.forget(ctx, rec)
		return 0, err
	}
	switch v {
	case keptNewCopy:
		err = e.keepNew(ctx, rec, cp)
	case restoredOld:
		v, err = e.restoreOld(ctx, rec, cp)
	case rebuiltOld:
		err = e.rebuildOld(ctx, rec, cp)
	}
	if err != nil {
		return 0, err
	}
	e.retire(ctx, rec)
	return v, nil
}

// retire clears a settled swap's journal entry, or keeps it as settled when
// the swap's new container may still appear (see SwapRecord.Settled).
func (e *Engine) retire(ctx context.Context, rec *SwapRecord) {
	if rec.NewID != "" || rec.Manager || rec.Step != StepCreated {
		e.forget(ctx, rec)
		return
	}
	rec.Settled = true
	e.journal(ctx, rec, rec.Step)
}

// keepNew gives the new container the name, runs it if the old one ran,
// and removes the old one.
func (e *Engine) keepNew(ctx context.Context, rec *SwapRecord, cp copies) error {
	if cp.hasOld && cp.old.Name == rec.Name {
		if err := e.rt.Rename(ctx, cp.old.ID, rec.Name+RetiredSuffix); err != nil {
			return fmt.Errorf("rename old container aside: %w", err)
		}
	}
	if cp.new.Name != rec.Name {
		if err := e.rt.Rename(ctx, cp.new.ID, rec.Name); err != nil {
			return fmt.Errorf("rename new container into place: %w", err)
		}
	}
	if rec.WasRunning && !cp.new.Up() {
		if err := e.rt.Start(ctx, cp.new.ID); err != nil {
			return fmt.Errorf("start new container: %w", err)
		}
	}
	if cp.hasOld {
		if err := e.rt.Remove(ctx, cp.old.ID, false); err != nil && !IsNotFound(err) {
			// Kept as final: the next recovery removes the old one and
			// leaves the new one alone.
			rec.Healthy = true
			e.journal(ctx, rec, StepOldRemoved)
			return fmt.Errorf("remove old container: %w", err)
		}
	}
	return nil
}

// restoreOld puts the old container back under its name, and only once it
// runs (if it ran) removes the new one: if the old one cannot start, the new
// one is put back instead, as the last copy that can serve.
func (e *Engine) restoreOld(ctx context.Context, rec *SwapRecord, cp copies) (verdict, error) {
	old := cp.old
	// From the new container's stop to the old one's start the container
	// is down, as in a swap: that span takes its turn among the outages
	// --concurrent-restarts allows.
	leaveDown, err := enter(ctx, e.down)
	if err != nil {
		return 0, err
	}
	defer leaveDown()
	if cp.hasNew {
		// They share volumes: the new one stops the way the old one does.
		if cp.new.Up() {
			if err := e.rt.Stop(ctx, cp.new.ID, e.stopSignal(old), e.stopTimeout(old)); err != nil && !IsNotFound(err) {
				return 0, fmt.Errorf("stop new container: %w", err)
			}
			cp.new.State = StateExited
		}
		if cp.new.Name == rec.Name {
			if err := e.rt.Rename(ctx, cp.new.ID, rec.Name+NewSuffix); err != nil && !IsNotFound(err) {
				return 0, fmt.Errorf("rename new container aside: %w", err)
			}
			cp.new.Name = rec.Name + NewSuffix
		}
	}
	if old.Name != rec.Name {
		if err := e.rt.Rename(ctx, old.ID, rec.Name); err != nil {
			return 0, fmt.Errorf("rename old container back: %w", err)
		}
		old.Name = rec.Name
	}
	if rec.WasRunning && !old.Running() {
		if err := e.startOld(ctx, old); err != nil {
			if !cp.hasNew {
				return 0, fmt.Errorf("start old container: %w", err)
			}
			e.log.Warn("the old container cannot start again; keeping the new one", "container", rec.Name, "err", err)
			if kerr := e.keepNew(ctx, rec, copies{old: old, hasOld: true, new: cp.new, hasNew: true}); kerr != nil {
				return 0, fmt.Errorf("start old container: %w; keep the new one instead: %w", err, kerr)
			}
			return keptNewCopy, nil
		}
	}
	if rec.WasPaused {
		if err := e.rt.Pause(ctx, old.ID); err != nil {
			e.log.Warn("old container restored but not paused again", "container", rec.Name, "err", err)
		}
	}
	e.retag(ctx, rec)
	if cp.hasNew {
		// The new container shares the old one's anonymous volumes: keep them.
		if err := e.rt.Remove(ctx, cp.new.ID, false); err != nil && !IsNotFound(err) {
			e.log.Warn("new container left under a temporary name; it is removed at the next swap or recovery", "container", cp.new.Name, "err", err)
		}
	}
	return restoredOld, nil
}

// startOld starts the old container again: unpaused, or once its restart
// policy's restart in progress, if any, is stopped.
func (e *Engine) startOld(ctx context.Context, old Container) error {
	switch old.State {
	case StatePaused:
		return e.rt.Unpause(ctx, old.ID)
	case StateRestarting:
		if err := e.rt.Stop(ctx, old.ID, "", 0); err != nil && !IsNotFound(err) {
			return err
		}
	}
	return e.rt.Start(ctx, old.ID)
}

// rebuildOld creates the old container again from its journaled definition,
// on its image, and starts it if it ran. What is left of the copies (one
// the engine is deleting) is removed first: it may hold the name.
func (e *Engine) rebuildOld(ctx context.Context, rec *SwapRecord, cp copies) error {
	for _, c := range []struct {
		ok bool
		c  Container
	}{{cp.hasOld, cp.old}, {cp.hasNew, cp.new}} {
		if !c.ok {
			continue
		}
		if err := e.rt.Remove(ctx, c.c.ID, false); err != nil && !IsNotFound(err) {
			return fmt.Errorf("remove what is left of %s: %w", c.c.Name, err)
		}
	}
	e.retag(ctx, rec)
	id, err := e.rt.Rebuild(ctx, rec.Definition, rec.Name)
	if err != nil {
		return fmt.Errorf("rebuild the old container: %w", err)
	}
	e.log.Warn("rebuilt the old container from its journaled settings: the engine had deleted both copies", "container", rec.Name)
	if rec.WasRunning {
		if err := e.rt.Start(ctx, id); err != nil {
			return fmt.Errorf("start the rebuilt old container: %w", err)
		}
	}
	return nil
}

// retag points the old container's tag back at the image it runs, so that
// the next "compose up" or "docker run" of that tag does not pick up the
// version that just failed. A tag moved on since (by another swap, by a
// pull that came after) is left.
func (e *Engine) retag(ctx context.Context, rec *SwapRecord) {
	if rec.OldImageID == "" || rec.OldImage == "" {
		return
	}
	ref, err := ParseReference(rec.OldImage)
	if err != nil || strings.Contains(rec.OldImage, "@") {
		return
	}
	unlock, err := e.tagLocks.lock(ctx, ref.Normal)
	if err != nil {
		return
	}
	defer unlock()
	if img, err := e.rt.Image(ctx, rec.OldImage); err == nil && rec.NewImageID != "" && img.ID != rec.NewImageID {
		// Moved on since the swap: by another swap, or a pull that came
		// after.
		return
	}
	if err := e.pointTag(ctx, rec.OldImage, rec.OldImageID); err != nil {
		e.log.Warn("cannot point the tag back at the image the container runs", "image", rec.OldImage, "err", err)
	}
}
