package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
		var rb rolledBack
		if errors.As(err, &rb) {
			return finish(ResultRolledBack, rb.cause)
		}
		return finish(ResultFailed, err)
	}
	return finish(ResultUpdated, nil)
}

// rolledBack is a swap failure after which the old container was put back.
type rolledBack struct{ cause error }

func (r rolledBack) Error() string { return r.cause.Error() + " (rolled back)" }
func (r rolledBack) Unwrap() error { return r.cause }

// replace does the swap of old for a new container on image. It returns nil,
// a rolledBack error when the old container serves again, or another error
// when the swap failed before touching the old container, or rollback itself
// failed.
func (e *Engine) replace(ctx context.Context, old Container, image string, revive bool, sink Sink) error {
	name := old.Name
	tmp, aside := name+NewSuffix, name+AsideSuffix
	e.removeLeftover(ctx, tmp)

	newID, err := e.rt.CreateReplacement(ctx, old, image, tmp)
	if err != nil {
		return fmt.Errorf("create new container: %w", err)
	}

	// From here on the old container is touched: finish or roll back whatever
	// happens to the caller.
	ctx = context.WithoutCancel(ctx)
	wasRunning := old.Running()
	back := &rollback{e: e, old: old, newID: newID, name: name, wasRunning: wasRunning}

	if wasRunning {
		if err := e.rt.Stop(ctx, old.ID, e.stopSignal(old), e.stopTimeout(old)); err != nil {
			return back.do(ctx, fmt.Errorf("stop old container: %w", err))
		}
		back.stopped = true
	}
	if err := e.rt.Rename(ctx, old.ID, aside); err != nil {
		return back.do(ctx, fmt.Errorf("rename old container aside: %w", err))
	}
	back.renamed = true
	if err := e.rt.Rename(ctx, newID, name); err != nil {
		return back.do(ctx, fmt.Errorf("rename new container into place: %w", err))
	}
	if wasRunning || revive {
		if err := e.rt.Start(ctx, newID); err != nil {
			return back.do(ctx, fmt.Errorf("start new container: %w", err))
		}
		sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: image, Phase: PhaseHealthCheck})
		if err := e.gate(ctx, newID); err != nil {
			return back.do(ctx, err)
		}
	}
	if wasRunning || revive {
		if c, err := e.rt.Container(ctx, newID); err == nil {
			e.bestEffortHook(ctx, c, "post-update")
		}
	}
	e.formerNames.Store(old.ID, name)
	if err := e.rt.Remove(ctx, old.ID, false); err != nil {
		e.log.Warn("old container kept after a successful swap", "container", aside, "err", err)
	}
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

// rollback puts the old container back under its name.
type rollback struct {
	e          *Engine
	old        Container
	newID      string
	name       string
	wasRunning bool
	stopped    bool
	renamed    bool
}

func (r *rollback) do(ctx context.Context, cause error) error {
	rt := r.e.rt
	r.e.log.Warn("rolling back", "container", r.name, "reason", cause)
	_ = rt.Stop(ctx, r.newID, "", 5*time.Second)
	// The new container shares the old one's anonymous volumes: keep them.
	if err := rt.Remove(ctx, r.newID, false); err != nil && !IsNotFound(err) {
		return fmt.Errorf("%w; rollback: remove new container: %v", cause, err)
	}
	if r.renamed {
		if err := rt.Rename(ctx, r.old.ID, r.name); err != nil {
			return fmt.Errorf("%w; rollback: rename old container back: %v", cause, err)
		}
	}
	if r.stopped && r.wasRunning {
		if err := rt.Start(ctx, r.old.ID); err != nil {
			return fmt.Errorf("%w; rollback: start old container: %v", cause, err)
		}
	}
	return rolledBack{cause: cause}
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
