package engine

import (
	"context"
	"errors"
	"fmt"
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
		// The containerd store knows an image no tag names any more by its
		// manifest's digest only, which is its id.
		if img, err := e.rt.Image(ctx, s.ToDigest); err == nil && img.ID == s.ToDigest {
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
	var err error
	for try := range 3 {
		if img, err := e.rt.Image(ctx, ref); err == nil && img.ID == id {
			return nil
		}
		// The containerd store moves a tag by deleting and creating it: a
		// tag another process moves at the same moment fails the create
		// ("already exists"), and the tag is looked at and moved again.
		if err = e.rt.Tag(ctx, id, ref); err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try+1) * 100 * time.Millisecond):
		}
	}
	return err
}

// swapLocked is swap for a caller that holds the container's lock. It
// decides from the container as it is now, since it may have changed while
// the lock was awaited.
func (e *Engine) swapLocked(ctx context.Context, s Step, so swapOptions, sink Sink) Outcome {
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
	if s.Container.IsService() {
		// Swarm replaces a service's tasks itself, when asked to.
		return e.updateService(ctx, s, sink, o, finish)
	}
	old, r, err := e.examine(ctx, s, &so, &o, nil)
	switch {
	case errors.Is(err, errSelf):
		s.Container = old
		return e.handOver(ctx, s, sink)
	case r != "":
		return finish(r, err)
	}
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
		e.moved(ctx, old, s.Image)
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

// errSelf is examine's answer for the container this process runs in: its
// update is handed over rather than swapped from inside.
var errSelf = errors.New("the container cutover runs in")

// examine looks at a step's container as it is now, once its lock is held,
// and says whether the swap goes ahead: r is "" when it does, else how the
// update ends without touching anything (failed, skipped, or fresh when it
// already runs the new image), with err saying why. errSelf marks the
// container this process runs in. The new image's digest goes into o, its
// id into so.image.
//
// What an earlier swap of the container left behind is settled first: its
// leftovers would take the names this swap needs. held are the names the
// caller holds the locks of besides the container's (the other members of
// its atomic unit).
func (e *Engine) examine(ctx context.Context, s Step, so *swapOptions, o *Outcome, held map[string]bool) (Container, Result, error) {
	name := s.Container.Name
	if err := e.settleLeftovers(ctx, name, held); err != nil {
		return Container{}, ResultFailed, fmt.Errorf("an earlier swap of %s is unfinished: %w", name, err)
	}
	old, err := e.rt.Container(ctx, name)
	if err != nil {
		return Container{}, ResultFailed, fmt.Errorf("inspect %s: %w", name, err)
	}
	if reason := refusal(old, so.force); reason != "" {
		return old, ResultSkipped, errors.New(reason)
	}
	move := so.retag && !SameReference(s.Container.Image, s.Image)
	if move && old.Image != s.Container.Image {
		// Someone else moved it (a deploy) since the check: this step would
		// undo that.
		return old, ResultSkipped, fmt.Errorf("its image changed from %s to %s since the check; not moved to %s", s.Container.Image, old.Image, s.Image)
	}
	img, err := e.plannedImage(ctx, s)
	if err != nil {
		return old, ResultFailed, fmt.Errorf("new image %s: %w", s.Image, err)
	}
	if d := digestFor(img.RepoDigests, s.Ref.Repository); d != "" {
		o.NewDigest = d
	}
	// A move to another tag or pin changes the container's reference even
	// when both name the same image.
	if img.ID == old.ImageID && !so.force && !move {
		return old, ResultFresh, nil
	}
	so.image = img.ID
	if self, err := e.isSelf(ctx, old); err != nil {
		return old, ResultFailed, err
	} else if self {
		return old, ResultSkipped, errSelf
	}
	if why, err := e.conduit(ctx, old); err != nil {
		return old, ResultFailed, err
	} else if why != "" {
		return old, ResultSkipped, errors.New(why)
	}
	if err := e.preUpdate(ctx, old); errors.Is(err, errHookSkip) {
		return old, ResultSkipped, err
	} else if err != nil {
		return old, ResultFailed, err
	}
	old.NetworkContainer = e.nameOf(ctx, old.NetworkContainer)
	return old, "", nil
}

// moved tells Options.Moved of a container a final swap moved to another
// image reference than the one it was configured with.
func (e *Engine) moved(ctx context.Context, old Container, image string) {
	if e.opts.Moved == nil || SameReference(old.Image, image) {
		return
	}
	if err := e.opts.Moved(context.WithoutCancel(ctx), old, image); err != nil {
		e.log.Warn("the container was updated, but what defines it does not name its new image", "container", old.Name, "image", image, "err", err)
	}
}

// SameReference reports whether two image references name the same tag or
// digest, however spelled ("nginx" and "docker.io/library/nginx:latest").
func SameReference(a, b string) bool {
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
