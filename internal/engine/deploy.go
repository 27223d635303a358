package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Errors a deploy reports before touching anything; surfaces map them to
// their own codes.
var (
	// ErrNotRunning: the container exists but is not running.
	ErrNotRunning = errors.New("not running")
	// ErrInvalid: the request itself is wrong.
	ErrInvalid = errors.New("invalid")
	// ErrPull: the image could not be pulled.
	ErrPull = errors.New("pull failed")
	// ErrRefused: the request is well formed, but the deploy's admission
	// does not allow it.
	ErrRefused = errors.New("refused")
	// ErrUnswappable: the container is in a state, or under an
	// orchestrator, that rules a swap out.
	ErrUnswappable = errors.New("cannot be swapped")
)

// DeployRequest asks for one container to run a given image now.
type DeployRequest struct {
	// Host names the engine, among several, the container runs on: a
	// fleet of engines picks the one to ask by it, and an engine ignores
	// it.
	Host      string
	Container string
	Image     string
	// Auth, when set, is used for this pull instead of the configured credentials.
	Auth Auth
	// Force recreates the container even when it already runs the image,
	// and swaps it even when it is paused.
	Force bool
	// Queued, when set, is called once the request has its place in the
	// container's queue, before it waits for its turn; not at all when the
	// request is refused before that.
	Queued func()
	// Admit, when set, decides whether the deploy may go ahead, given the
	// container as inspected under its lock and the parsed image, before
	// anything is pulled. Its error (wrapping ErrRefused) is returned as is
	// and nothing is changed.
	Admit func(Container, Reference) error
}

// Deploy pulls req.Image and recreates req.Container on it, with the same
// safety as an update. Requests for one container run one at a time, in
// arrival order. The returned error is set only when nothing was changed;
// a failed or rolled back swap is reported in the Outcome.
func (e *Engine) Deploy(ctx context.Context, req DeployRequest, sink Sink) (Outcome, error) {
	o, err := e.deploy(ctx, req, e.hostedSink(sink))
	if err == nil {
		o.Host = e.opts.Host
	}
	return o, err
}

func (e *Engine) deploy(ctx context.Context, req DeployRequest, sink Sink) (Outcome, error) {
	ref, err := ParseReference(req.Image)
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if req.Container == "" {
		return Outcome{}, fmt.Errorf("%w: no container named", ErrInvalid)
	}
	// Requests queue in arrival order on the container as they name it,
	// before anything asks the engine: an inspect can wait on a swap in
	// flight and let a later request overtake. Only then is the name
	// resolved and the per-container lock taken.
	given := strings.TrimPrefix(req.Container, "/")
	wait := e.arrivals.queue(given)
	if req.Queued != nil {
		req.Queued()
	}
	leave, err := wait(ctx)
	if err != nil {
		return Outcome{}, err
	}
	defer leave()
	name := given
	locked := []string{given}
	if c, err := e.rt.Container(ctx, given); err == nil {
		name = c.Name
		if base, _ := swapRole(c); base != "" {
			// An id taken mid-swap names a copy under a temporary name:
			// the deploy is for the container that copy stands for.
			name = base
			c.Name = base
		}
		// A member of an atomic unit may take the others along: their
		// locks are taken with its own.
		locked = append(e.unitMembers(ctx, c), name)
	}
	unlock, err := e.lockAll(ctx, locked)
	if err != nil {
		return Outcome{}, err
	}
	defer unlock()
	// What a swap cut short left is settled before the pull: settling it
	// afterwards would point the tag back at the old image.
	held := map[string]bool{}
	for _, n := range locked {
		held[n] = true
	}
	if err := e.settleLeftovers(ctx, name, held); err != nil {
		return Outcome{}, fmt.Errorf("an earlier swap of %s is unfinished: %w", name, err)
	}
	// A container caught mid-swap may be briefly missing or stopped: only the
	// check made while holding the lock counts.
	c, err := e.deployable(ctx, name, req.Force)
	if err != nil {
		return Outcome{}, err
	}
	if req.Admit != nil {
		if err := req.Admit(c, ref); err != nil {
			return Outcome{}, err
		}
	}

	if err := e.pull(ctx, ref.Normal, req.Auth, containerSink(sink, c.Name)); err != nil {
		sink.Emit(Event{Time: e.opts.Now(), Container: c.Name, Image: ref.Normal, Phase: PhaseFailed, Err: err})
		return Outcome{}, fmt.Errorf("%w: %v", ErrPull, err)
	}
	step := Step{Container: c, Image: ref.Normal, Ref: ref, FromDigest: e.runningDigest(ctx, c)}
	if e.Atomic(c) {
		return e.deployUnit(ctx, step, req, locked, sink)
	}
	return e.swapLocked(ctx, step, swapOptions{force: req.Force}, sink), nil
}

// deployable finds a container a deploy may swap: up (running, restarting,
// or paused when forced), and not an orchestrator's.
func (e *Engine) deployable(ctx context.Context, name string, force bool) (Container, error) {
	c, err := e.rt.Container(ctx, name)
	if IsNotFound(err) {
		return Container{}, fmt.Errorf("container '%s' not found: %w", name, ErrNotFound)
	}
	if err != nil {
		return Container{}, err
	}
	if reason := refusal(c, force); reason != "" {
		return Container{}, fmt.Errorf("container '%s' is not swapped: %s: %w", name, reason, ErrUnswappable)
	}
	if !c.Up() {
		return Container{}, fmt.Errorf("container '%s' is not running: %w", name, ErrNotRunning)
	}
	return c, nil
}

// runningDigest is the registry digest of the image c runs, for reports.
func (e *Engine) runningDigest(ctx context.Context, c Container) string {
	img, err := e.rt.Image(ctx, c.ImageID)
	if err != nil {
		return ""
	}
	if ref, err := ParseReference(c.Image); err == nil {
		if d := digestFor(img.RepoDigests, ref.Repository); d != "" {
			return d
		}
	}
	return digestFromAny(img)
}

// containerSink passes image-wide events (a pull) on once for each container
// they serve, so every surface can show progress per container.
func containerSink(s Sink, names ...string) Sink {
	return SinkFunc(func(e Event) {
		if e.Container != "" {
			s.Emit(e)
			return
		}
		for _, n := range names {
			e.Container = n
			s.Emit(e)
		}
	})
}
