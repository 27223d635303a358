package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Labels cutover puts on a container it creates for a swap, so an unfinished
// swap can be recognised from the engine's own state even when the journal
// is lost. They are replaced at the next swap, never carried over.
const (
	SwapLabelPrefix = "cutover.swap."
	SwapLabelID     = SwapLabelPrefix + "id"
	SwapLabelRole   = SwapLabelPrefix + "role"
	SwapLabelOf     = SwapLabelPrefix + "of"
	// SwapLabelWasUp says whether the container the swap replaces was up,
	// so recovery without the journal knows whether to start what it keeps.
	SwapLabelWasUp = SwapLabelPrefix + "was-up"
	// SwapLabelUntil is the time (RFC 3339) by which the swap that created
	// the container has surely ended: until then, another process may be
	// making it, and recovery without the journal leaves it alone.
	SwapLabelUntil = SwapLabelPrefix + "until"
	// SwapLabelUnit is the id of the atomic unit the swap is part of, so
	// recovery without the journal settles the unit's members together.
	SwapLabelUnit = SwapLabelPrefix + "unit"
)

// SwapStep names a point a swap has reached. The journal records each before it
// is taken; AfterStep hears of each once it is done.
type SwapStep string

// The steps of a swap, in the order a container takes them. One the engine
// deletes as it stops (AutoRemove) is renamed aside before it is stopped.
const (
	StepPulled       SwapStep = "pulled"
	StepCreated      SwapStep = "created"
	StepOldStopped   SwapStep = "old-stopped"
	StepOldRenamed   SwapStep = "old-renamed"
	StepNewRenamed   SwapStep = "new-renamed"
	StepNewStarted   SwapStep = "new-started"
	StepHealthPassed SwapStep = "health-passed"
	StepOldRemoved   SwapStep = "old-removed"
)

// SwapSteps lists every step in order.
var SwapSteps = []SwapStep{StepPulled, StepCreated, StepOldStopped, StepOldRenamed, StepNewRenamed, StepNewStarted, StepHealthPassed, StepOldRemoved}

// journalVersion is the shape of SwapRecord written now; records of another
// shape are not guessed at.
const journalVersion = 2

// SwapRecord is the journal entry of one swap in flight.
type SwapRecord struct {
	Version int    `json:"v"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	OldID   string `json:"old_id"`
	NewID   string `json:"new_id,omitempty"`
	// Image is the reference the new container runs.
	Image string `json:"image"`
	// OldImage is the reference the old container was configured with,
	// OldImageID the image it ran: a rollback points the tag back at it.
	OldImage   string `json:"old_image,omitempty"`
	OldImageID string `json:"old_image_id,omitempty"`
	// NewImageID is the image the new container runs: a rollback points the
	// tag back only while the tag still names it.
	NewImageID string `json:"new_image_id,omitempty"`
	// WasRunning says the old container was up (running, restarting or
	// paused); WasPaused that it was paused.
	WasRunning bool `json:"was_running"`
	WasPaused  bool `json:"was_paused,omitempty"`
	// Definition rebuilds the old container when the engine deleted it.
	Definition Definition `json:"definition,omitempty"`
	Step       SwapStep   `json:"step"` // the step about to be taken
	// Healthy is set once the new container passed its gate: from then on
	// the swap is final, whatever is left to clean up.
	Healthy bool      `json:"healthy"`
	Started time.Time `json:"started"`
	// Manager is set when the container was handed to its process manager
	// (ApplyOptions.NoRestart): a container it starts under the name ends
	// the swap. Until then, until Until, the swap is left to it.
	Manager bool      `json:"manager,omitempty"`
	Until   time.Time `json:"until,omitzero"`
	// Settled marks a swap that was settled before its new container was
	// known: the engine may still finish creating it after the process that
	// asked was killed. The entry stays, so that container is known as a
	// leftover of this swap when it shows up.
	Settled bool `json:"settled,omitempty"`
	// Unit is the id of the atomic unit (the members of one Compose
	// project, swapped together) the swap is part of, "" for a swap on its
	// own; UnitOrder its place in the unit's swap order. A unit goes forward
	// or back as one: see settleUnit.
	Unit      string `json:"unit,omitempty"`
	UnitOrder int    `json:"unit_order,omitempty"`
}

// Journal keeps swap records in durable storage.
type Journal interface {
	SaveSwap(ctx context.Context, r SwapRecord) error
	DeleteSwap(ctx context.Context, id string) error
	Swaps(ctx context.Context) ([]SwapRecord, error)
}

// journal writes a record before a step; a journal that fails is logged,
// not fatal: the labels and names still let recovery work.
func (e *Engine) journal(ctx context.Context, r *SwapRecord, step SwapStep) {
	r.Step = step
	if e.opts.Journal == nil {
		return
	}
	if err := e.opts.Journal.SaveSwap(context.WithoutCancel(ctx), *r); err != nil {
		e.log.Warn("cannot journal swap step", "container", r.Name, "step", step, "err", err)
	}
}

// done tells the fault-injection hook that a step completed.
func (e *Engine) done(step SwapStep) {
	if e.opts.AfterStep != nil {
		e.opts.AfterStep(step)
	}
}

func (e *Engine) forget(ctx context.Context, r *SwapRecord) {
	if e.opts.Journal == nil {
		return
	}
	if err := e.opts.Journal.DeleteSwap(context.WithoutCancel(ctx), r.ID); err != nil {
		e.log.Warn("cannot clear swap journal entry", "container", r.Name, "err", err)
	}
}

func newSwapID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
