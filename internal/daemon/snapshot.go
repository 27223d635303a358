package daemon

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// Snapshot keeps the latest statuses of the watched containers in memory, so
// readers never wait on a registry. A full refresh asks the registries; a
// resync after containers change re-lists them and reuses the remote digests
// already known.
type Snapshot struct {
	eng    Engines
	filter Filter
	log    *slog.Logger

	mu      sync.RWMutex
	report  engine.Report
	refresh sync.Mutex // one refresh or resync at a time
}

// NewSnapshot returns an empty snapshot over eng.
func NewSnapshot(eng Engines, filter Filter, log *slog.Logger) *Snapshot {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Snapshot{eng: eng, filter: filter, log: log}
}

// Report returns the latest statuses.
func (s *Snapshot) Report() engine.Report {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.report
}

// Refresh checks every watched container against its registry now.
func (s *Snapshot) Refresh(ctx context.Context) error {
	return s.update(ctx, engine.Remote{})
}

// Resync re-lists containers and recomputes statuses with the registries'
// answers already known (digests, tag lists); only what was not asked
// before is looked up.
func (s *Snapshot) Resync(ctx context.Context) error {
	return s.update(ctx, s.Report().Remote)
}

func (s *Snapshot) update(ctx context.Context, known engine.Remote) error {
	s.refresh.Lock()
	defer s.refresh.Unlock()
	// Stopped containers are listed only when watched, as a pass does.
	cs, err := s.eng.Containers(ctx, s.filter.IncludeStopped || s.filter.IncludeRestarting)
	if err != nil {
		return err
	}
	var admitted []engine.Container
	for _, c := range cs {
		if s.filter.Admits(c) {
			admitted = append(admitted, c)
		}
	}
	r, err := s.eng.CheckContainers(ctx, admitted, known)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.report = r
	s.mu.Unlock()
	return nil
}

// Run refreshes every interval and resyncs whenever changes signals, until
// ctx ends. The first refresh happens at once.
func (s *Snapshot) Run(ctx context.Context, interval time.Duration, changes <-chan struct{}) {
	if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("status refresh failed", "err", err)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("status refresh failed", "err", err)
			}
		case <-changes:
			// Changes come in bursts (a swap is several events): settle first.
			settle(ctx, changes, 200*time.Millisecond)
			if err := s.Resync(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("status resync failed", "err", err)
			}
		}
	}
}

// settle drains signals until none came for quiet.
func settle(ctx context.Context, changes <-chan struct{}, quiet time.Duration) {
	t := time.NewTimer(quiet)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
			t.Reset(quiet)
		case <-t.C:
			return
		}
	}
}

// PassFinished implements Observer: a pass changes containers, and knows
// fresh remote digests.
func (s *Snapshot) PassFinished(ctx context.Context, _ Report, _ engine.Report) {
	if err := s.Resync(ctx); err != nil {
		s.log.Warn("status resync after pass failed", "err", err)
	}
}
