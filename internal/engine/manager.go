package engine

import (
	"context"
	"fmt"
	"time"
)

// handToManager updates a container the way Watchtower's --no-restart did,
// for containers a process manager (a systemd unit running "docker run",
// say) starts: it stops and removes the old container and creates none;
// the manager starts the container again, and since the tag now points to
// the new image, on that. cutover waits for it, as long as a new
// container's health gate would; if nothing starts the container by then,
// the old one is rebuilt from its journaled settings, so the container is
// never lost.
func (e *Engine) handToManager(ctx context.Context, old Container, image string) error {
	name := old.Name
	rec := &SwapRecord{
		Version: journalVersion, ID: newSwapID(), Name: name,
		OldID: old.ID, OldImage: old.Image, OldImageID: old.ImageID, Image: image,
		WasRunning: old.Up(), WasPaused: old.State == StatePaused, Started: e.opts.Now(),
		Manager: true,
	}
	wait := e.healthDeadline(old)
	rec.Until = rec.Started.Add(e.stopTimeout(old) + wait)
	def, err := e.rt.Define(ctx, old.ID)
	if err != nil {
		return fmt.Errorf("read the settings of %s: %w", name, err)
	}
	rec.Definition = def
	e.journal(ctx, rec, StepOldStopped)
	ctx = context.WithoutCancel(ctx)
	if err := e.stopOld(ctx, old); err != nil {
		e.forget(ctx, rec)
		return err
	}
	e.done(StepOldStopped)
	e.journal(ctx, rec, StepOldRemoved)
	if err := e.rt.Remove(ctx, old.ID, false); err != nil && !IsNotFound(err) {
		return e.rollback(ctx, rec, fmt.Errorf("remove old container: %w", err))
	}
	e.done(StepOldRemoved)
	e.log.Info("container stopped for its process manager to start on the new image", "container", name, "image", image)

	deadline := e.opts.Now().Add(wait)
	tick := time.NewTicker(e.opts.ProbeInterval)
	defer tick.Stop()
	for e.opts.Now().Before(deadline) {
		c, found, err := e.find(ctx, name)
		if err == nil && found && c.Up() {
			e.forget(ctx, rec)
			return nil
		}
		<-tick.C
	}
	return e.rollback(ctx, rec, fmt.Errorf("nothing started %s again within %s (--no-restart leaves that to its process manager)", name, wait))
}
