package daemon

import (
	"sync"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// Progress is one container's update, as the dashboard shows it.
type Progress struct {
	Layer   string
	Current int64
	Total   int64
	Percent int
	// Status is the pull's own word while pulling (Downloading, Extracting),
	// else connecting, recreating, health-check, done, rolled back or
	// "error: <reason>".
	Status  string
	Final   bool
	Updated time.Time
}

// Tracker follows engine events and keeps each container's latest progress;
// a finished update stays readable for Keep. It is an engine.Sink, and passes
// every event on to its subscribers.
type Tracker struct {
	Keep time.Duration
	now  func() time.Time

	mu     sync.Mutex
	byName map[string]Progress
	subs   map[chan engine.Event]struct{}
	// lastErr is each container's last update error, until an update of it
	// succeeds; errVersion changes with it.
	lastErr    map[string]string
	errVersion uint64
}

// NewTracker returns a tracker that keeps final states for a minute.
func NewTracker() *Tracker {
	return &Tracker{Keep: time.Minute, now: time.Now, byName: map[string]Progress{}, subs: map[chan engine.Event]struct{}{}, lastErr: map[string]string{}}
}

// LastError returns the error the last update of name ended with, or ""
// when it succeeded or none ended since cutover started.
func (t *Tracker) LastError(name string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastErr[name]
}

// ErrorsVersion changes whenever a last error is set or cleared.
func (t *Tracker) ErrorsVersion() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.errVersion
}

// noteError keeps or clears name's last error after a final event.
func (t *Tracker) noteError(e engine.Event) {
	msg, failed := "", false
	switch e.Phase {
	case engine.PhaseDone:
	case engine.PhaseFailed:
		msg, failed = "failed", true
		if e.Err != nil {
			msg = e.Err.Error()
		}
	case engine.PhaseRolledBack:
		msg, failed = "rolled back", true
		if e.Err != nil {
			msg = e.Err.Error() + " (rolled back)"
		}
	default:
		return
	}
	if old, had := t.lastErr[e.FullName()]; failed && old != msg {
		t.lastErr[e.FullName()] = msg
		t.errVersion++
	} else if !failed && had {
		delete(t.lastErr, e.FullName())
		t.errVersion++
	}
}

// Emit implements engine.Sink.
func (t *Tracker) Emit(e engine.Event) {
	if e.Container != "" {
		t.mu.Lock()
		t.noteError(e)
		p := t.byName[e.FullName()]
		if p.Final && e.Phase != engine.PhasePulling && e.Phase != engine.PhaseQueued {
			// A late event of a finished update does not reopen it.
			p = Progress{}
		}
		t.byName[e.FullName()] = advance(p, e, t.now())
		t.mu.Unlock()
	}
	t.mu.Lock()
	for ch := range t.subs {
		select {
		case ch <- e:
		default: // a slow subscriber misses events rather than stalls updates
		}
	}
	t.mu.Unlock()
}

func advance(p Progress, e engine.Event, now time.Time) Progress {
	p.Updated = now
	switch e.Phase {
	case engine.PhaseQueued:
		return Progress{Status: "connecting", Updated: now}
	case engine.PhasePulling:
		if p.Final {
			p = Progress{Updated: now}
		}
		if pr := e.Progress; pr != nil {
			p.Layer, p.Status = pr.Layer, pr.Status
			if pr.Total > 0 {
				p.Current, p.Total = pr.Current, pr.Total
				p.Percent = int(pr.Current * 100 / pr.Total)
			}
		} else {
			p.Status = "connecting"
		}
	case engine.PhaseRecreating:
		p.Status = "recreating"
	case engine.PhaseHealthCheck:
		p.Status = "health-check"
	case engine.PhaseDone:
		p.Status, p.Final = "done", true
		if p.Total > 0 {
			p.Current, p.Percent = p.Total, 100
		}
	case engine.PhaseRolledBack:
		p.Status, p.Final = "rolled back", true
	case engine.PhaseSkipped:
		msg := "skipped"
		if e.Err != nil {
			msg += ": " + e.Err.Error()
		}
		p.Status, p.Final = msg, true
	case engine.PhaseFailed:
		msg := "failed"
		if e.Err != nil {
			msg = e.Err.Error()
		}
		p.Status, p.Final = "error: "+msg, true
	}
	return p
}

// Get returns a container's progress, if an update runs or ended within Keep.
func (t *Tracker) Get(name string) (Progress, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.byName[name]
	if !ok {
		return Progress{}, false
	}
	if p.Final && t.now().Sub(p.Updated) > t.Keep {
		delete(t.byName, name)
		return Progress{}, false
	}
	return p, true
}

// Busy reports whether an update of name is under way.
func (t *Tracker) Busy(name string) bool {
	p, ok := t.Get(name)
	return ok && !p.Final
}

// Subscribe returns a channel of every event from now on, and a function
// that ends the subscription.
func (t *Tracker) Subscribe() (<-chan engine.Event, func()) {
	ch := make(chan engine.Event, 256)
	t.mu.Lock()
	t.subs[ch] = struct{}{}
	t.mu.Unlock()
	return ch, func() {
		t.mu.Lock()
		delete(t.subs, ch)
		t.mu.Unlock()
	}
}
