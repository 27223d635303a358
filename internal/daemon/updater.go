package daemon

import (
	"fmt"
	"sync"

	"github.com/cutover/cutover/internal/engine"
)

// UpdateNow checks and updates the named containers in the background, as a
// person asked: labels that opt them out of automatic updates do not apply,
// a held or skipped version is taken and a pinned container re-pinned;
// monitor-only still applies, and so does the cooldown unless force (which
// also swaps paused containers). Progress goes to the daemon's sink; the
// snapshot, when given, is resynced before the final event so a reader sees
// the new status as soon as it sees "done".
func (d *Daemon) UpdateNow(names []string, force bool, snap *Snapshot) error {
	if len(names) == 0 {
		return fmt.Errorf("no container named: %w", engine.ErrInvalid)
	}
	if d.base.Err() != nil {
		return errShuttingDown
	}
	sink := d.sink
	if sink == nil {
		sink = engine.SinkFunc(func(engine.Event) {})
	}
	for _, n := range names {
		host, name := engine.SplitName(n)
		sink.Emit(engine.Event{Time: d.now(), Host: host, Container: name, Phase: engine.PhaseQueued})
	}
	go func() {
		ctx := d.base
		report, err := d.eng.Check(ctx, engine.CheckOptions{Names: names, Watched: d.opts.Filter.Admits})
		if err != nil {
			for _, n := range names {
				host, name := engine.SplitName(n)
				sink.Emit(engine.Event{Time: d.now(), Host: host, Container: name, Phase: engine.PhaseFailed, Err: err})
			}
			return
		}
		plan := d.eng.Plan(report, engine.PlanOptions{Explicit: true, Force: force, MonitorOnly: d.opts.MonitorOnly, LabelTakePrecedence: d.opts.LabelTakePrecedence})
		held := deferFinal(sink)
		apply := d.opts.Apply
		apply.Force = apply.Force || force
		sum := d.eng.Apply(ctx, plan, apply, held)
		if snap != nil {
			if err := snap.Resync(ctx); err != nil {
				d.log.Warn("status resync after update failed", "err", err)
			}
		}
		held.flush()
		// Containers the plan did not touch end too, with the reason.
		for _, c := range plan.Fresh {
			sink.Emit(engine.Event{Time: d.now(), Container: c.Name, Host: c.Host, Phase: engine.PhaseDone, Message: "already up to date"})
		}
		for _, s := range plan.Skipped {
			sink.Emit(engine.Event{Time: d.now(), Container: s.Container.Name, Host: s.Container.Host, Phase: engine.PhaseSkipped, Err: fmt.Errorf("not updated: %s", s.Reason)})
		}
		d.log.Info("update on request finished", "containers", names, "updated", sum.Updated, "failed", sum.Failed)
	}()
	return nil
}

// heldSink passes events on but keeps final ones back until flush.
type heldSink struct {
	next  engine.Sink
	mu    sync.Mutex
	final []engine.Event
}

func deferFinal(next engine.Sink) *heldSink { return &heldSink{next: next} }

func (h *heldSink) Emit(e engine.Event) {
	switch e.Phase {
	case engine.PhaseDone, engine.PhaseSkipped, engine.PhaseFailed, engine.PhaseRolledBack:
		if e.Container != "" {
			h.mu.Lock()
			h.final = append(h.final, e)
			h.mu.Unlock()
			return
		}
	}
	h.next.Emit(e)
}

func (h *heldSink) flush() {
	h.mu.Lock()
	final := h.final
	h.final = nil
	h.mu.Unlock()
	for _, e := range final {
		h.next.Emit(e)
	}
}
