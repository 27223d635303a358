package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Suffixes of the temporary names a swap uses. A container left with one of
// them was caught mid-swap.
const (
	NewSuffix   = "-cutover-new"
	AsideSuffix = "-cutover-old"
)

// swap replaces one container with a copy on the step's image: create the new
// one while the old one still serves, then stop old, rename old aside, rename
// new into place, start new, gate on health; roll back on any failure. Once
// the old container is stopped, the swap finishes or rolls back even if ctx
// ends, so no container is left half-swapped.
func (e *Engine) swap(ctx context.Context, s Step, revive bool, sink Sink) Outcome {
	unlock, err := e.locks.lock(ctx, s.Container.Name)
	if err != nil {
		o := Outcome{Container: s.Container.Name, Image: s.Image, OldDigest: s.FromDigest, Result: ResultSkipped, Err: err}
		return o
	}
	defer unlock()
	return e.swapLocked(ctx, s, swapOptions{revive: revive}, sink)
}

// swapOptions vary one swap.
type swapOptions struct {
	// force recreates the container even when it already runs the image.
	force bool
	// revive starts the new container even when the old one was stopped.
	revive bool
}

// swapLocked is swap for a caller that holds the container's lock.
func (e *Engine) swapLocked(ctx context.Context, s Step, so swapOptions, sink Sink) Outcome {
	start := e.opts.Now()
	name := s.Container.Name
	o := Outcome{Container: name, Image: s.Image, OldDigest: s.FromDigest, NewDigest: s.ToDigest}
	finish := func(r Result, err error) Outcome {
		o.Result, o.Err, o.Duration = r, err, e.opts.Now().Sub(start)
		e.record(ctx, o)
		phase := PhaseDone
		switch r {
		case ResultFailed:
			phase = PhaseFailed
		case ResultRolledBack:
			phase = PhaseRolledBack
		}
		sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: s.Image, Phase: phase, Err: err, Message: string(r)})
		return o
	}

	if ctx.Err() != nil {
		o.Result, o.Err = ResultSkipped, fmt.Errorf("cancelled before the swap began")
		return o
	}
	// The container may have changed while the lock was awaited.
	old, err := e.rt.Container(ctx, name)
	if err != nil {
		return finish(ResultFailed, fmt.Errorf("inspect %s: %w", name, err))
	}
	img, err := e.rt.Image(ctx, s.Image)
	if err != nil {
		return finish(ResultFailed, fmt.Errorf("new image %s: %w", s.Image, err))
	}
	if d := digestFor(img.RepoDigests, s.Ref.Repository); d != "" {
		o.NewDigest = d
	}
	if img.ID == old.ImageID && !so.force {
		return finish(ResultFresh, nil)
	}

	if err := e.preUpdate(ctx, old); errors.Is(err, errHookSkip) {
		return finish(ResultSkipped, err)
	} else if err != nil {
		return finish(ResultFailed, err)
	}
	old.NetworkContainer = e.nameOf(ctx, old.NetworkContainer)
	sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: s.Image, Phase: PhaseRecreating})
	if err := e.replace(ctx, old, s.Image, so.revive, sink); err != nil {
		if errors.Is(err, errNotBegun) {
			// Announced as recreating: say it ended.
			return finish(ResultSkipped, err)
		}
		var rb rolledBack
		if errors.As(err, &rb) {
			return finish(ResultRolledBack, rb.cause)
		}
		return finish(ResultFailed, err)
	}
	return finish(ResultUpdated, nil)
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

// rolledBack is a swap failure after which the old container was put back.
type rolledBack struct{ cause error }

func (r rolledBack) Error() string { return r.cause.Error() + " (rolled back)" }
func (r rolledBack) Unwrap() error { return r.cause }

// replace does the swap of old for a new container on image. It returns nil,
// a rolledBack error when the old container serves again, or another error
// when the swap failed before touching the old container, or rollback itself
// failed. Each step is journaled before it is taken.
func (e *Engine) replace(ctx context.Context, old Container, image string, revive bool, sink Sink) error {
	name := old.Name
	tmp, aside := name+NewSuffix, name+AsideSuffix
	rec := &SwapRecord{ID: newSwapID(), Name: name, OldID: old.ID, Image: image, WasRunning: old.Running(), Started: e.opts.Now()}
	e.done(StepPulled)
	// The place is held from creation to start, the part of the swap that
	// works the engine; the health gate only watches and holds none.
	leaveBusy, err := enter(ctx, e.busy)
	if err != nil {
		return errNotBegun
	}
	defer leaveBusy()
	e.removeLeftover(ctx, tmp)

	e.journal(ctx, rec, StepCreated)
	marks := map[string]string{SwapLabelID: rec.ID, SwapLabelRole: "new", SwapLabelOf: name}
	newID, err := e.rt.CreateReplacement(ctx, old, image, tmp, marks)
	if err != nil {
		e.forget(ctx, rec)
		return fmt.Errorf("create new container: %w", err)
	}
	rec.NewID = newID
	e.done(StepCreated)

	// From here on the old container is touched: finish or roll back whatever
	// happens to the caller.
	ctx = context.WithoutCancel(ctx)
	back := &rollback{e: e, rec: rec}
	start := rec.WasRunning || revive

	// From stop to start the container is down: keep that span as short as
	// a lone restart by not sharing the engine with other swaps' outages.
	leaveDown, _ := enter(ctx, e.down)
	defer leaveDown()
	if rec.WasRunning {
		e.journal(ctx, rec, StepOldStopped)
		if err := e.rt.Stop(ctx, old.ID, e.stopSignal(old), e.stopTimeout(old)); err != nil {
			return back.do(ctx, fmt.Errorf("stop old container: %w", err))
		}
		e.done(StepOldStopped)
	}
	e.journal(ctx, rec, StepOldRenamed)
	if err := e.rt.Rename(ctx, old.ID, aside); err != nil {
		return back.do(ctx, fmt.Errorf("rename old container aside: %w", err))
	}
	e.done(StepOldRenamed)
	e.journal(ctx, rec, StepNewRenamed)
	if err := e.rt.Rename(ctx, newID, name); err != nil {
		return back.do(ctx, fmt.Errorf("rename new container into place: %w", err))
	}
	e.done(StepNewRenamed)
	if start {
		e.journal(ctx, rec, StepNewStarted)
		if err := e.rt.Start(ctx, newID); err != nil {
			return back.do(ctx, fmt.Errorf("start new container: %w", err))
		}
		e.done(StepNewStarted)
		leaveDown()
		leaveBusy()
		sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: image, Phase: PhaseHealthCheck})
		if err := e.gate(ctx, newID); err != nil {
			return back.do(ctx, err)
		}
	}
	leaveDown()
	leaveBusy()
	rec.Healthy = true
	e.journal(ctx, rec, StepHealthPassed)
	e.done(StepHealthPassed)
	if start {
		if c, err := e.rt.Container(ctx, newID); err == nil {
			e.bestEffortHook(ctx, c, "post-update")
		}
	}
	e.formerNames.Store(old.ID, name)
	e.journal(ctx, rec, StepOldRemoved)
	if err := e.rt.Remove(ctx, old.ID, false); err != nil && !IsNotFound(err) {
		e.log.Warn("old container kept after a successful swap", "container", aside, "err", err)
	}
	e.done(StepOldRemoved)
	e.forget(ctx, rec)
	return nil
}

// rollback puts the old container back under its name. Every step is safe to
// repeat, so recovery after a crash uses it too.
type rollback struct {
	e   *Engine
	rec *SwapRecord
}

func (r *rollback) do(ctx context.Context, cause error) error {
	r.e.log.Warn("rolling back", "container", r.rec.Name, "reason", cause)
	if err := r.e.restoreOld(ctx, r.rec); err != nil {
		return fmt.Errorf("%w; rollback: %v", cause, err)
	}
	return rolledBack{cause: cause}
}

// restoreOld removes the new container of a swap, gives the old one its name
// back and starts it if it was running. Each action is skipped when already
// done, so it can run again after being cut short.
func (e *Engine) restoreOld(ctx context.Context, rec *SwapRecord) error {
	if rec.NewID != "" {
		_ = e.rt.Stop(ctx, rec.NewID, "", 5*time.Second)
		// The new container shares the old one's anonymous volumes: keep them.
		if err := e.rt.Remove(ctx, rec.NewID, false); err != nil && !IsNotFound(err) {
			return fmt.Errorf("remove new container: %w", err)
		}
	}
	old, err := e.rt.Container(ctx, rec.OldID)
	if err != nil {
		return fmt.Errorf("old container: %w", err)
	}
	if old.Name != rec.Name {
		if err := e.rt.Rename(ctx, rec.OldID, rec.Name); err != nil {
			return fmt.Errorf("rename old container back: %w", err)
		}
	}
	if rec.WasRunning && !old.Running() {
		if err := e.rt.Start(ctx, rec.OldID); err != nil {
			return fmt.Errorf("start old container: %w", err)
		}
	}
	e.forget(ctx, rec)
	return nil
}

// nameOf turns a reference to a container (id or name) into its name, so a
// new container refers to it by a name that survives its recreation.
func (e *Engine) nameOf(ctx context.Context, ref string) string {
	if ref == "" {
		return ""
	}
	if n, ok := e.formerNames.Load(ref); ok {
		return n.(string)
	}
	var found string
	e.formerNames.Range(func(id, n any) bool {
		if len(ref) >= 12 && strings.HasPrefix(id.(string), ref) {
			found = n.(string)
			return false
		}
		return true
	})
	if found != "" {
		return found
	}
	if c, err := e.rt.Container(ctx, ref); err == nil {
		return c.Name
	}
	return ref
}

// removeLeftover removes a container left under a temporary name by a swap
// that was cut short, so the name can be used again.
func (e *Engine) removeLeftover(ctx context.Context, name string) {
	c, err := e.rt.Container(ctx, name)
	if err != nil || c.Name != name {
		return
	}
	if err := e.rt.Remove(ctx, c.ID, false); err != nil {
		e.log.Warn("cannot remove leftover container", "container", name, "err", err)
	}
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
