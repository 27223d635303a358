package daemon

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/internal/engine"
)

// Skip skips the version the latest statuses offer to the container named
// name, the version the person asking saw, and resyncs the statuses so the
// next reader sees it skipped. by says who, for people.
func (s *Snapshot) Skip(ctx context.Context, name, by string) (engine.Hold, error) {
	cs, ok := s.status(name)
	if !ok {
		return engine.Hold{}, fmt.Errorf("container '%s' is not watched: %w", name, engine.ErrNotFound)
	}
	h, err := s.eng.Skip(ctx, cs, by)
	if err != nil {
		return engine.Hold{}, err
	}
	s.resyncAfter(ctx, "skip")
	return h, nil
}

// Unskip undoes the skip of a container's offered version, or releases
// the hold a rollback put on it, and resyncs the statuses.
func (s *Snapshot) Unskip(ctx context.Context, name string) error {
	cs, ok := s.status(name)
	if !ok {
		return fmt.Errorf("container '%s' is not watched: %w", name, engine.ErrNotFound)
	}
	if err := s.eng.Unskip(ctx, cs.Container.FullName()); err != nil {
		return err
	}
	s.resyncAfter(ctx, "unskip")
	return nil
}

func (s *Snapshot) status(name string) (engine.ContainerStatus, bool) {
	for _, g := range s.Report().Groups {
		for _, cs := range g.Containers {
			if cs.Container.FullName() == name {
				return cs, true
			}
		}
	}
	return engine.ContainerStatus{}, false
}

// resyncAfter resyncs once a hold changed; the change is kept either way,
// and shows at the next refresh if this resync fails.
func (s *Snapshot) resyncAfter(ctx context.Context, what string) {
	if err := s.Resync(ctx); err != nil {
		s.log.Warn("status resync after "+what+" failed", "err", err)
	}
}
