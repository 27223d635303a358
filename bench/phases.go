package bench

import "time"

// Phases are the steps of one swap or restart, as the engine reported them.
type Phases struct {
	// Prepared runs from a copy's creation to the stop signal: work a swap
	// does while the old container still serves.
	Prepared time.Duration
	// Stopping runs from the stop signal until the engine has stopped it.
	Stopping time.Duration
	// Starting runs from then until the engine reports a container started
	// under the name; a swap renames the two containers in it.
	Starting time.Duration
	// Answering runs from that start until the container first answered.
	Answering time.Duration
	// Gated runs from the start until the old container is removed: the
	// health gate, with the new container already serving.
	Gated time.Duration
}

// saw notes the first time each event happened to t within the window; a
// start counts only once the container was stopped.
func (p *Prober) saw(t *target, ev containerEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.open {
		return
	}
	if _, ok := t.seen[ev.Action]; ok {
		return
	}
	if _, stopped := t.seen["stop"]; ev.Action == "start" && !stopped {
		return
	}
	t.seen[ev.Action] = ev.Time
}

// phases turns the events seen into durations; t.mu is held.
func (t *target) phases() Phases {
	span := func(from, to time.Time) time.Duration {
		if from.IsZero() || to.IsZero() || to.Before(from) {
			return 0
		}
		return to.Sub(from)
	}
	return Phases{
		Prepared:  span(t.seen["create"], t.seen["kill"]),
		Stopping:  span(t.seen["kill"], t.seen["stop"]),
		Starting:  span(t.seen["stop"], t.seen["start"]),
		Answering: span(t.seen["start"], t.answered),
		Gated:     span(t.seen["start"], t.seen["destroy"]),
	}
}
