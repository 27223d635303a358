package engine

import "time"

// Result is how one container's update ended.
type Result string

// The results of an update attempt.
const (
	ResultUpdated    Result = "updated"
	ResultFailed     Result = "failed"
	ResultRolledBack Result = "rolled_back"
	ResultSkipped    Result = "skipped"
	ResultFresh      Result = "fresh"
)

// Phase names a step of one container's update, as surfaces show it.
type Phase string

// The phases an update goes through, in order; Done, Skipped, RolledBack and
// Failed end it.
const (
	PhaseQueued      Phase = "queued"
	PhasePulling     Phase = "pulling"
	PhaseRecreating  Phase = "recreating"
	PhaseHealthCheck Phase = "health-check"
	PhaseDone        Phase = "done"
	// PhaseSkipped ends an update that was not made, with the reason.
	PhaseSkipped    Phase = "skipped"
	PhaseRolledBack Phase = "rolled back"
	PhaseFailed     Phase = "failed"
)

// Event is one thing that happened during a pass.
type Event struct {
	Time time.Time
	// Host names the engine, among several, of the container (Options.Host).
	Host      string
	Container string // empty for image-wide events such as a pull
	Image     string
	Phase     Phase
	Progress  *PullProgress
	Message   string
	Err       error
}
