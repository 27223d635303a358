package engine

import (
	"context"
	"time"
)

// bounded gives every engine call a time limit, so that a wedged engine
// fails a swap (which then rolls back, or is recovered later) instead of
// holding the container's lock, and the places of other swaps, for ever.
// Pulls are bounded by the runtime itself, by their progress rather than
// their length; NextExit lasts as long as its caller's context.
type bounded struct {
	rt      Runtime
	timeout time.Duration
}

func (b bounded) ctx(ctx context.Context, extra time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.timeout+extra)
}

func (b bounded) Containers(ctx context.Context, all bool) ([]Container, error) {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Containers(ctx, all)
}

func (b bounded) Container(ctx context.Context, idOrName string) (Container, error) {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Container(ctx, idOrName)
}

func (b bounded) Image(ctx context.Context, ref string) (Image, error) {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Image(ctx, ref)
}

func (b bounded) Pull(ctx context.Context, ref string, auth Auth, progress func(PullProgress)) error {
	return b.rt.Pull(ctx, ref, auth, progress)
}

func (b bounded) CreateReplacement(ctx context.Context, old Container, r Replacement) (string, error) {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.CreateReplacement(ctx, old, r)
}

func (b bounded) Define(ctx context.Context, id string) (Definition, error) {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Define(ctx, id)
}

func (b bounded) Rebuild(ctx context.Context, def Definition, name string) (string, error) {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Rebuild(ctx, def, name)
}

func (b bounded) NextExit(ctx context.Context, id string) (<-chan int, error) {
	return b.rt.NextExit(ctx, id)
}

func (b bounded) Stop(ctx context.Context, id, signal string, timeout time.Duration) error {
	ctx, cancel := b.ctx(ctx, max(timeout, 0))
	defer cancel()
	return b.rt.Stop(ctx, id, signal, timeout)
}

func (b bounded) Start(ctx context.Context, id string) error {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Start(ctx, id)
}

func (b bounded) Restart(ctx context.Context, id string, timeout time.Duration) error {
	ctx, cancel := b.ctx(ctx, max(timeout, 0))
	defer cancel()
	return b.rt.Restart(ctx, id, timeout)
}

func (b bounded) Pause(ctx context.Context, id string) error {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Pause(ctx, id)
}

func (b bounded) Unpause(ctx context.Context, id string) error {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Unpause(ctx, id)
}

func (b bounded) Rename(ctx context.Context, id, name string) error {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Rename(ctx, id, name)
}

func (b bounded) Remove(ctx context.Context, id string, removeVolumes bool) error {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Remove(ctx, id, removeVolumes)
}

func (b bounded) RemoveImage(ctx context.Context, id string) error {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.RemoveImage(ctx, id)
}

func (b bounded) Tag(ctx context.Context, id, ref string) error {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Tag(ctx, id, ref)
}

func (b bounded) Health(ctx context.Context, id string) (HealthState, error) {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Health(ctx, id)
}

func (b bounded) Probe(ctx context.Context, id string) (ProbeResult, error) {
	ctx, cancel := b.ctx(ctx, 0)
	defer cancel()
	return b.rt.Probe(ctx, id)
}

// Exec is bounded by the hook's own timeout, which a label sets.
func (b bounded) Exec(ctx context.Context, id string, cmd []string) (ExecResult, error) {
	return b.rt.Exec(ctx, id, cmd)
}
