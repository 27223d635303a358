package engine

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// replace does the swap of old for a new container on image: create the new
// one while the old one still serves; stop the old one and rename it aside
// (the other way round for one the engine deletes as it stops); give the
// new one the name, start it and gate it on its health. Any failure settles
// the swap by the rule survivor applies. Once the old container is touched,
// the swap ends whatever happens to ctx.
//
// It returns nil, errNotBegun, rolledBack or keptNew, or another error when
// the swap failed before touching the old container or could not be
// settled (then the journal keeps it for recovery).
//
// An atomic unit (see applyUnit) takes the same phases, prepare, cutOver,
// pass, markRetired and retireOld, for every member, with its commit
// between the last cutOver and the first pass.
func (e *Engine) replace(ctx context.Context, old Container, image string, so swapOptions, sink Sink) error {
	sw, err := e.prepare(ctx, old, image, so, unitMark{})
	if err != nil {
		return err
	}
	defer sw.leave()
	// From here on the old container is touched: finish or roll back whatever
	// happens to the caller.
	ctx = context.WithoutCancel(ctx)
	if err := e.cutOver(ctx, sw, sink); err != nil {
		return e.rollback(ctx, sw.rec, err)
	}
	e.pass(ctx, sw.rec)
	e.markRetired(ctx, sw)
	e.retireOld(ctx, sw)
	return nil
}

// swapping is one swap whose new container exists, between its phases.
type swapping struct {
	old   Container
	image string
	so    swapOptions
	rec   *SwapRecord
	// start says the new container is started: the old one was up, or
	// stopped containers are revived.
	start bool
	// busy is the place the swap holds in Engine.busy, from its creation to
	// its start; nil when it holds none.
	mu   sync.Mutex
	busy func()
}

// leave gives back the swap's place in Engine.busy, if it holds one.
func (sw *swapping) leave() {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.busy != nil {
		sw.busy()
		sw.busy = nil
	}
}

// unitMark is what the records of an atomic unit's swaps carry: the unit's
// id, and the member's place in the swap order.
type unitMark struct {
	id    string
	order int
}

// prepare journals the swap and creates the new container under its
// temporary name, while the old one still serves. It holds a place in
// Engine.busy from the creation on, kept in the returned swapping.
func (e *Engine) prepare(ctx context.Context, old Container, image string, so swapOptions, u unitMark) (*swapping, error) {
	name := old.Name
	rec := &SwapRecord{
		Version: journalVersion, ID: newSwapID(), Name: name,
		OldID: old.ID, OldImage: old.Image, OldImageID: old.ImageID, Image: image,
		WasRunning: old.Up(), WasPaused: old.State == StatePaused, Started: e.opts.Now(),
		Unit: u.id, UnitOrder: u.order,
	}
	e.done(StepPulled)
	// The place is held from creation to start, the part of the swap that
	// works the engine; the health gate only watches and holds none.
	leaveBusy, err := enter(ctx, e.busy)
	if err != nil {
		return nil, errNotBegun
	}
	def, err := e.rt.Define(ctx, old.ID)
	if err != nil {
		leaveBusy()
		return nil, fmt.Errorf("read the settings of %s: %w", name, err)
	}
	rec.Definition = def
	rec.NewImageID = so.image
	if rec.NewImageID == "" {
		if img, err := e.rt.Image(ctx, image); err == nil {
			rec.NewImageID = img.ID
		}
	}
	e.journal(ctx, rec, StepCreated)
	marks := map[string]string{
		SwapLabelID: rec.ID, SwapLabelRole: "new", SwapLabelOf: name,
		SwapLabelWasUp: strconv.FormatBool(rec.WasRunning),
		SwapLabelUntil: e.opts.Now().Add(e.swapDeadline(old)).UTC().Format(time.RFC3339),
	}
	if u.id != "" {
		marks[SwapLabelUnit] = u.id
	}
	// The engine resolves the reference when it creates the container: the
	// tag is made to name the planned image, and held so, until then.
	unlockTag, err := e.tagLocks.lock(ctx, image)
	if err != nil {
		e.forget(ctx, rec)
		leaveBusy()
		return nil, errNotBegun
	}
	if err := e.pointTag(ctx, image, so.image); err != nil {
		unlockTag()
		e.forget(ctx, rec)
		leaveBusy()
		return nil, fmt.Errorf("point %s at the new image: %w", image, err)
	}
	rep := Replacement{Image: image, Name: name + NewSuffix, Marks: marks, FreshVolumes: so.freshVolumes}
	newID, err := e.rt.CreateReplacement(ctx, old, rep)
	if IsNotFound(err) && so.image != "" {
		// The tag went missing between pointing it and the create: the
		// containerd store moves a tag by removing it first, and another
		// process (a second cutover, a person's docker tag) may have been
		// moving it. Pointed once more, it names the planned image again.
		if e.pointTag(ctx, image, so.image) == nil {
			newID, err = e.rt.CreateReplacement(ctx, old, rep)
		}
	}
	unlockTag()
	if err != nil {
		// The engine may still make it (a create that timed out): the
		// entry stays to recognise it.
		e.retire(ctx, rec)
		leaveBusy()
		return nil, fmt.Errorf("create new container: %w", err)
	}
	rec.NewID = newID
	e.done(StepCreated)
	return &swapping{old: old, image: image, so: so, rec: rec, start: rec.WasRunning || so.revive, busy: leaveBusy}, nil
}

// cutOver takes the old container out and puts the new one in its place:
// stop the old one and rename it aside, give the new one the name, start it
// and gate it on its health. It returns why the new container cannot
// serve, leaving the settling to the caller: the swap's own rollback, or
// its unit's.
func (e *Engine) cutOver(ctx context.Context, sw *swapping, sink Sink) error {
	old, rec := sw.old, sw.rec
	name, newID := old.Name, rec.NewID
	sw.mu.Lock()
	if sw.busy == nil {
		sw.busy, _ = enter(ctx, e.busy)
	}
	sw.mu.Unlock()
	defer sw.leave()
	// From stop to start the container is down: keep that span as short as
	// a lone restart by not sharing the engine with other swaps' outages.
	leaveDown, _ := enter(ctx, e.down)
	defer leaveDown()
	renameAside := func() error {
		e.journal(ctx, rec, StepOldRenamed)
		if err := e.rt.Rename(ctx, old.ID, name+AsideSuffix); err != nil {
			return fmt.Errorf("rename old container aside: %w", err)
		}
		e.done(StepOldRenamed)
		return nil
	}
	stopOld := func() error {
		e.journal(ctx, rec, StepOldStopped)
		if err := e.stopOld(ctx, old); err != nil {
			return err
		}
		e.done(StepOldStopped)
		return nil
	}
	// The name is free between the two renames: as short a gap as can be,
	// so the old container is stopped first. One the engine deletes as it
	// stops (AutoRemove) could not be renamed after: it goes aside first.
	steps := []func() error{stopOld, renameAside}
	if old.AutoRemove {
		steps = []func() error{renameAside, stopOld}
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	e.journal(ctx, rec, StepNewRenamed)
	if err := e.rt.Rename(ctx, newID, name); err != nil {
		return fmt.Errorf("rename new container into place: %w", err)
	}
	e.done(StepNewRenamed)
	if !sw.start {
		return nil
	}
	e.journal(ctx, rec, StepNewStarted)
	// Asked before the start, so that a crash at start, and the engine
	// deleting the container right after (AutoRemove), is still seen.
	watch, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	exits, err := e.rt.NextExit(watch, newID)
	if err != nil {
		e.log.Debug("cannot follow the new container's exit; relying on inspect", "container", name, "err", err)
	}
	if err := e.rt.Start(ctx, newID); err != nil {
		return fmt.Errorf("start new container: %w", err)
	}
	e.done(StepNewStarted)
	leaveDown()
	if !e.opts.OneAtATime {
		sw.leave()
	}
	sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: sw.image, Phase: PhaseHealthCheck})
	return e.gate(watch, newID, old.AutoRemove, exits)
}

// pass makes a swap final: its new container passed its gate (and, in an
// atomic unit, so did every other member's). From here on, recovery keeps
// the new container.
func (e *Engine) pass(ctx context.Context, rec *SwapRecord) {
	rec.Healthy = true
	e.journal(ctx, rec, StepHealthPassed)
	e.done(StepHealthPassed)
}

// markRetired renames the old container of a swap that passed as
// retired: it only waits to be removed now, and its name says so to anyone
// who finds it before it is gone, recovery without the journal included.
func (e *Engine) markRetired(ctx context.Context, sw *swapping) {
	name := sw.old.Name
	if err := e.rt.Rename(ctx, sw.old.ID, name+RetiredSuffix); err != nil && !IsNotFound(err) {
		e.log.Debug("cannot rename the replaced container", "container", name+AsideSuffix, "err", err)
	}
}

// retireOld ends a swap that passed: its new container's post-update hook
// runs, and the old container is removed. A removal that fails leaves the
// journal entry, marked healthy, for the next recovery to remove it.
func (e *Engine) retireOld(ctx context.Context, sw *swapping) {
	old, rec := sw.old, sw.rec
	name := old.Name
	if sw.start {
		if c, err := e.rt.Container(ctx, rec.NewID); err == nil {
			e.bestEffortHook(ctx, c, "post-update")
		}
	}
	e.formerNames.store(old.ID, name)
	e.journal(ctx, rec, StepOldRemoved)
	if err := e.removeRetired(ctx, old.ID, sw.so.freshVolumes); err != nil {
		// The journal keeps the swap as healthy: recovery removes the old
		// container later and never undoes the swap.
		e.log.Warn("old container kept after a successful swap; it is removed at the next recovery", "container", name, "err", err)
		return
	}
	e.done(StepOldRemoved)
	e.forget(ctx, rec)
}

// removeRetired removes the old container of a swap that passed, trying
// again twice over a few seconds: an engine busy with its storage (a mount
// still held just after it restarted, say) refuses a removal it allows a
// moment later, and a one-shot update has no later pass to finish it.
func (e *Engine) removeRetired(ctx context.Context, id string, volumes bool) error {
	var err error
	for i, wait := range []time.Duration{0, time.Second, 2 * time.Second} {
		if i > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(wait):
			}
		}
		if err = e.rt.Remove(ctx, id, volumes); err == nil || IsNotFound(err) {
			return nil
		}
	}
	return err
}

// stopOld stops the old container of a swap with its own stop signal and
// timeout. A paused one is unpaused first, so that it gets its signal and
// its time to stop, as it would from a person. One the engine deletes as it
// stops (AutoRemove) may be gone by the time the engine answers.
func (e *Engine) stopOld(ctx context.Context, old Container) error {
	if !old.Up() {
		return nil
	}
	if old.State == StatePaused {
		if err := e.rt.Unpause(ctx, old.ID); err != nil {
			return fmt.Errorf("unpause old container: %w", err)
		}
	}
	err := e.rt.Stop(ctx, old.ID, e.stopSignal(old), e.stopTimeout(old))
	if err != nil && !(old.AutoRemove && IsNotFound(err)) {
		return fmt.Errorf("stop old container: %w", err)
	}
	return nil
}
