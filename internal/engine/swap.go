package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Suffixes of the temporary names a swap uses. A container left with one of
// them was caught mid-swap.
const (
	// NewSuffix names the new container until it takes the name.
	NewSuffix = "-cutover-new"
	// AsideSuffix names the old container while the new one is gated.
	AsideSuffix = "-cutover-old"
	// RetiredSuffix names the old container once the new one passed its
	// gate: it only waits to be removed.
	RetiredSuffix = "-cutover-replaced"
)

// swap replaces one container with a copy on the step's image, once it has
// the container's lock.
func (e *Engine) swap(ctx context.Context, s Step, so swapOptions, sink Sink) Outcome {
	unlock, err := e.locks.lock(ctx, s.Container.Name)
	if err != nil {
		return Outcome{Container: s.Container.Name, Image: s.Image, OldDigest: s.FromDigest, OldVersion: s.FromVersion, NewVersion: s.ToVersion, Result: ResultSkipped, Err: err}
	}
	defer unlock()
	return e.swapLocked(ctx, s, so, sink)
}

// swapOptions vary one swap.
type swapOptions struct {
	// force recreates the container even when it already runs the image,
	// and swaps a paused one.
	force bool
	// revive starts the new container even when the old one was stopped.
	revive bool
	// freshVolumes gives the new container new anonymous volumes and
	// removes the old ones with the old container.
	freshVolumes bool
	// noRestart hands the container to its process manager instead of
	// creating a new one (ApplyOptions.NoRestart).
	noRestart bool
	// retag makes a step that names another reference than the container's
	// (a tag or pin a check offered) recreate the container even when both
	// name the same image: its reference is what changes. A deploy leaves
	// a container that already runs the image alone.
	retag bool
	// image is the id of the image the new container must run; the
	// reference it is created with is pointed at it first. Empty: whatever
	// the reference names.
	image string
}

// plannedImage finds the local image a step brings: the version the check
// found, by its digest, rather than whatever the tag names now, which a
// rollback of another container of the same tag may have pointed back.
func (e *Engine) plannedImage(ctx context.Context, s Step) (Image, error) {
	if s.ToDigest != "" && s.Ref.Repository != "" {
		if img, err := e.rt.Image(ctx, s.Ref.Repository+"@"+s.ToDigest); err == nil {
			return img, nil
		}
	}
	return e.rt.Image(ctx, s.Image)
}

// pointTag points ref at image id, unless it already names it. The caller
// holds ref's tag lock.
func (e *Engine) pointTag(ctx context.Context, ref, id string) error {
	if id == "" {
		return nil
	}
	if img, err := e.rt.Image(ctx, ref); err == nil && img.ID == id {
		return nil
	}
	return e.rt.Tag(ctx, id, ref)
}

// swapLocked is swap for a caller that holds the container's lock. It
// decides from the container as it is now, since it may have changed while
// the lock was awaited.
func (e *Engine) swapLocked(ctx context.Context, s Step, so swapOptions, sink Sink) Outcome {
	if s.Container.IsService() {
		// Swarm replaces a service's tasks itself, when asked to.
		return e.updateService(ctx, s, sink)
	}
	start := e.opts.Now()
	name := s.Container.Name
	o := Outcome{Container: name, Image: s.Image, OldDigest: s.FromDigest, NewDigest: s.ToDigest, OldVersion: s.FromVersion, NewVersion: s.ToVersion}
	finish := func(r Result, err error) Outcome {
		o.Result, o.Err, o.Duration = r, err, e.opts.Now().Sub(start)
		e.record(ctx, o)
		sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: s.Image, Phase: phaseOf(r), Err: err, Message: string(r)})
		return o
	}

	if ctx.Err() != nil {
		o.Result, o.Err = ResultSkipped, errNotBegun
		return o
	}
	end, ok := e.begin()
	if !ok {
		o.Result, o.Err = ResultSkipped, ErrShuttingDown
		return o
	}
	defer end()
	// What an earlier swap of this container left behind is settled first:
	// its leftovers would take the names this swap needs.
	if err := e.settleLeftovers(ctx, name); err != nil {
		return finish(ResultFailed, fmt.Errorf("an earlier swap of %s is unfinished: %w", name, err))
	}
	old, err := e.rt.Container(ctx, name)
	if err != nil {
		return finish(ResultFailed, fmt.Errorf("inspect %s: %w", name, err))
	}
	if reason := refusal(old, so.force); reason != "" {
		return finish(ResultSkipped, errors.New(reason))
	}
	move := so.retag && !sameReference(s.Container.Image, s.Image)
	if move && old.Image != s.Container.Image {
		// Someone else moved it (a deploy) since the check: this step would
		// undo that.
		return finish(ResultSkipped, fmt.Errorf("its image changed from %s to %s since the check; not moved to %s", s.Container.Image, old.Image, s.Image))
	}
	img, err := e.plannedImage(ctx, s)
	if err != nil {
		return finish(ResultFailed, fmt.Errorf("new image %s: %w", s.Image, err))
	}
	if d := digestFor(img.RepoDigests, s.Ref.Repository); d != "" {
		o.NewDigest = d
	}
	// A move to another tag or pin changes the container's reference even
	// when both name the same image.
	if img.ID == old.ImageID && !so.force && !move {
		return finish(ResultFresh, nil)
	}
	so.image = img.ID
	if self, err := e.isSelf(ctx, old); err != nil {
		return finish(ResultFailed, err)
	} else if self {
		s.Container = old
		return e.handOver(ctx, s, sink)
	}

	if err := e.preUpdate(ctx, old); errors.Is(err, errHookSkip) {
		return finish(ResultSkipped, err)
	} else if err != nil {
		return finish(ResultFailed, err)
	}
	old.NetworkContainer = e.nameOf(ctx, old.NetworkContainer)
	sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: s.Image, Phase: PhaseRecreating})
	if so.noRestart {
		err = e.handToManager(ctx, old, s.Image)
	} else {
		err = e.replace(ctx, old, s.Image, so, sink)
	}
	var rb rolledBack
	var kept keptNew
	switch {
	case err == nil:
		e.release(ctx, name)
		return finish(ResultUpdated, nil)
	case errors.Is(err, errNotBegun):
		// Announced as recreating: say it ended.
		return finish(ResultSkipped, err)
	case errors.As(err, &rb):
		e.hold(ctx, old, o, rb.cause)
		return finish(ResultRolledBack, rb.cause)
	case errors.As(err, &kept):
		return finish(ResultFailed, err)
	}
	return finish(ResultFailed, err)
}

// sameReference reports whether two references name the same tag or pin,
// however written ("nginx" and "nginx:latest" do).
func sameReference(a, b string) bool {
	ra, errA := ParseReference(a)
	rb, errB := ParseReference(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return ra.Normal == rb.Normal
}

// refusal says why a container must not be swapped as it is, or "".
func refusal(c Container, force bool) string {
	switch {
	case c.State == StateDead:
		return "dead: the engine failed to remove it; remove or restart it by hand"
	case c.State == StateRemoving:
		return "being removed"
	case c.State == StatePaused && !force:
		return "paused"
	}
	if o := Orchestrator(c); o != "" {
		return "managed by " + o + ": update it through " + o
	}
	return ""
}

// Orchestrator names the orchestrator that owns c, whose own update must
// be used instead of a swap behind its back, or "".
func Orchestrator(c Container) string {
	for _, o := range []struct{ label, name string }{
		{"com.docker.swarm.task.id", "Docker Swarm"},
		{"com.docker.swarm.service.id", "Docker Swarm"},
		{"com.hashicorp.nomad.alloc_id", "Nomad"},
		{"io.kubernetes.pod.name", "Kubernetes"},
		{"io.kubernetes.container.name", "Kubernetes"},
	} {
		if _, ok := c.Labels[o.label]; ok {
			return o.name
		}
	}
	return ""
}

// phaseOf is the final phase surfaces show for a result.
func phaseOf(r Result) Phase {
	switch r {
	case ResultFailed:
		return PhaseFailed
	case ResultRolledBack:
		return PhaseRolledBack
	case ResultSkipped:
		return PhaseSkipped
	}
	return PhaseDone
}

// errNotBegun is a swap whose caller gave up while it waited for its turn:
// nothing was touched.
var errNotBegun = errors.New("cancelled before the swap began")

// enter takes a place in places, or fails when ctx ends first. The returned
// func gives it back; calling it again does nothing.
func enter(ctx context.Context, places chan struct{}) (func(), error) {
	select {
	case places <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-places }) }, nil
}

// rolledBack is a swap failure after which the old container serves again.
type rolledBack struct{ cause error }

func (r rolledBack) Error() string { return r.cause.Error() + " (rolled back)" }
func (r rolledBack) Unwrap() error { return r.cause }

// keptNew is a swap failure after which the new container was kept, since
// the old one could not serve any more.
type keptNew struct {
	cause error
	why   string
}

func (k keptNew) Error() string {
	return fmt.Sprintf("%v; %s, so the new container was kept", k.cause, k.why)
}
func (k keptNew) Unwrap() error { return k.cause }

// replace does the swap of old for a new container on image: create the new
// one while the old one still serves; stop the old one and rename it aside
// (the other way round for one the engine deletes as it stops); give the
// new one the name, start it and gate it on its health. Any failure settles the swap by the rule survivors applies. Once
// the old container is touched, the swap ends whatever happens to ctx.
//
// It returns nil, errNotBegun, rolledBack or keptNew, or another error when
// the swap failed before touching the old container or could not be
// settled (then the journal keeps it for recovery).
func (e *Engine) replace(ctx context.Context, old Container, image string, so swapOptions, sink Sink) error {
	name := old.Name
	tmp, aside := name+NewSuffix, name+AsideSuffix
	rec := &SwapRecord{
		Version: journalVersion, ID: newSwapID(), Name: name,
		OldID: old.ID, OldImage: old.Image, OldImageID: old.ImageID, Image: image,
		WasRunning: old.Up(), WasPaused: old.State == StatePaused, Started: e.opts.Now(),
	}
	e.done(StepPulled)
	// The place is held from creation to start, the part of the swap that
	// works the engine; the health gate only watches and holds none.
	leaveBusy, err := enter(ctx, e.busy)
	if err != nil {
		return errNotBegun
	}
	defer leaveBusy()

	def, err := e.rt.Define(ctx, old.ID)
	if err != nil {
		return fmt.Errorf("read the settings of %s: %w", name, err)
	}
	rec.Definition = def
	e.journal(ctx, rec, StepCreated)
	marks := map[string]string{
		SwapLabelID: rec.ID, SwapLabelRole: "new", SwapLabelOf: name,
		SwapLabelWasUp: strconv.FormatBool(rec.WasRunning),
		SwapLabelUntil: e.opts.Now().Add(e.swapDeadline(old)).UTC().Format(time.RFC3339),
	}
	// The engine resolves the reference when it creates the container: the
	// tag is made to name the planned image, and held so, until then.
	unlockTag, err := e.tagLocks.lock(ctx, image)
	if err != nil {
		e.forget(ctx, rec)
		return errNotBegun
	}
	if err := e.pointTag(ctx, image, so.image); err != nil {
		unlockTag()
		e.forget(ctx, rec)
		return fmt.Errorf("point %s at the new image: %w", image, err)
	}
	newID, err := e.rt.CreateReplacement(ctx, old, Replacement{Image: image, Name: tmp, Marks: marks, FreshVolumes: so.freshVolumes})
	unlockTag()
	if err != nil {
		// The engine may still make it (a create that timed out): the
		// entry stays to recognise it.
		e.retire(ctx, rec)
		return fmt.Errorf("create new container: %w", err)
	}
	rec.NewID = newID
	e.done(StepCreated)

	// From here on the old container is touched: finish or roll back whatever
	// happens to the caller.
	ctx = context.WithoutCancel(ctx)
	back := func(cause error) error { return e.rollback(ctx, rec, cause) }
	start := rec.WasRunning || so.revive

	// From stop to start the container is down: keep that span as short as
	// a lone restart by not sharing the engine with other swaps' outages.
	leaveDown, _ := enter(ctx, e.down)
	defer leaveDown()
	renameAside := func() error {
		e.journal(ctx, rec, StepOldRenamed)
		if err := e.rt.Rename(ctx, old.ID, aside); err != nil {
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
			return back(err)
		}
	}
	e.journal(ctx, rec, StepNewRenamed)
	if err := e.rt.Rename(ctx, newID, name); err != nil {
		return back(fmt.Errorf("rename new container into place: %w", err))
	}
	e.done(StepNewRenamed)
	if start {
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
			return back(fmt.Errorf("start new container: %w", err))
		}
		e.done(StepNewStarted)
		leaveDown()
		if !e.opts.OneAtATime {
			leaveBusy()
		}
		sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: image, Phase: PhaseHealthCheck})
		if err := e.gate(watch, newID, old.AutoRemove, exits); err != nil {
			return back(err)
		}
	}
	leaveDown()
	leaveBusy()
	rec.Healthy = true
	e.journal(ctx, rec, StepHealthPassed)
	e.done(StepHealthPassed)
	// The old container only waits to be removed now; its name says so to
	// anyone who finds it before it is gone.
	if err := e.rt.Rename(ctx, old.ID, name+RetiredSuffix); err != nil && !IsNotFound(err) {
		e.log.Debug("cannot rename the replaced container", "container", aside, "err", err)
	}
	if start {
		if c, err := e.rt.Container(ctx, newID); err == nil {
			e.bestEffortHook(ctx, c, "post-update")
		}
	}
	e.formerNames.store(old.ID, name)
	e.journal(ctx, rec, StepOldRemoved)
	if err := e.rt.Remove(ctx, old.ID, so.freshVolumes); err != nil && !IsNotFound(err) {
		// The journal keeps the swap as healthy: recovery removes the old
		// container later and never undoes the swap.
		e.log.Warn("old container kept after a successful swap; it is removed at the next recovery", "container", name, "err", err)
		return nil
	}
	e.done(StepOldRemoved)
	e.forget(ctx, rec)
	return nil
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

// swapDeadline is how long a swap of c can take at most, with room to
// spare: past it, a swap nobody journaled is abandoned.
func (e *Engine) swapDeadline(c Container) time.Duration {
	return 2*(e.stopTimeout(c)+e.healthDeadline(c)+e.healthGrace(c)) + e.opts.OrphanAge
}

// nameOf turns a reference to a container (id or name) into its name, so a
// new container refers to it by a name that survives its recreation.
func (e *Engine) nameOf(ctx context.Context, ref string) string {
	if ref == "" {
		return ""
	}
	if n, ok := e.formerNames.lookup(ref); ok {
		return n
	}
	if c, err := e.rt.Container(ctx, ref); err == nil {
		return c.Name
	}
	return ref
}

func (e *Engine) stopSignal(c Container) string {
	if c.StopSignal != "" {
		return c.StopSignal
	}
	if v, ok := Label(c, "stop-signal"); ok && validSignal(v) {
		return v
	}
	return ""
}

func (e *Engine) stopTimeout(c Container) time.Duration {
	if c.StopTimeout != nil && *c.StopTimeout >= 0 {
		return *c.StopTimeout
	}
	return e.opts.StopTimeout
}

// validSignal accepts what the engine accepts as a stop signal: a name such
// as SIGUSR1 or USR1, or a number.
func validSignal(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+') {
			return false
		}
	}
	return true
}
