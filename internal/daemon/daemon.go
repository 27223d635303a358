package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// Options configure the daemon's passes.
type Options struct {
	Filter Filter
	Policy Policy
	// MonitorOnly, LabelTakePrecedence and NoPull are passed to every plan.
	MonitorOnly         bool
	LabelTakePrecedence bool
	NoPull              bool
	// Apply tunes real updates (cleanup, restarts of dependents).
	Apply engine.ApplyOptions
	// CheckOnlyWhenScheduled makes scheduled passes check and notify only,
	// as Watchtower does in HTTP API mode without periodic polls.
	CheckOnlyWhenScheduled bool
}

// Request asks for a pass.
type Request struct {
	// Images limits the pass to containers whose image repository is one of
	// these (compared without tag). Empty means every watched container,
	// unless Filtered.
	Images []string
	// Filtered makes Images a filter even when it is empty: a filter that
	// names no image matches no container, as Watchtower's ?image= with an
	// empty value did.
	Filtered bool
	// Scheduled marks a pass the scheduler started: it applies the
	// auto-update policy.
	Scheduled bool
	// Force applies versions still in their cooldown, and swaps paused
	// containers.
	Force bool
	// Hosts limits the pass to the containers of these engines, among
	// several (engine.Container.Host); empty means every engine.
	Hosts []string
}

// filtered reports whether the pass is limited to Images.
func (r Request) filtered() bool { return r.Filtered || len(r.Images) > 0 }

// key identifies what a pass does: two requests with the same key ask for
// the same pass, so a queued pass can serve both. Images are compared as
// repositories, in any order.
func (r Request) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scheduled=%t filtered=%t force=%t", r.Scheduled, r.filtered(), r.Force)
	repos := make([]string, 0, len(r.Images))
	for _, img := range r.Images {
		if ref, err := engine.ParseReference(img); err == nil {
			img = ref.Repository
		}
		repos = append(repos, img)
	}
	slices.Sort(repos)
	for _, repo := range slices.Compact(repos) {
		b.WriteString("\n" + repo)
	}
	hosts := slices.Clone(r.Hosts)
	slices.Sort(hosts)
	for _, h := range slices.Compact(hosts) {
		b.WriteString("\nhost " + h)
	}
	return b.String()
}

// MaxQueued bounds the passes waiting behind the running one. Triggers that
// ask for the same pass share one place; a trigger that would need a place
// beyond this is refused with ErrBusy.
const MaxQueued = 32

var (
	errShuttingDown = errors.New("cutover is shutting down")
	// ErrBusy refuses a trigger when MaxQueued different passes already wait.
	ErrBusy = errors.New("too many different update passes are queued: try again when they are done")
)

// Report is the outcome of one pass.
type Report struct {
	ID       string
	Started  time.Time
	Finished time.Time
	Trigger  string
	engine.Summary
	// Stale lists the outdated containers the pass found, updated or not.
	Stale []engine.ContainerStatus
}

// Observer hears of every finished pass (notifications, metrics, snapshots).
type Observer interface {
	PassFinished(ctx context.Context, r Report, checked engine.Report)
}

// Daemon runs passes one at a time. A trigger that arrives during a pass
// joins a queued pass that does exactly what it asks (the same images, the
// same mode), or queues a pass of its own: a queued pass is never widened
// to serve a trigger that asked for something else.
type Daemon struct {
	eng       Engines
	opts      Options
	log       *slog.Logger
	observers []Observer
	sink      engine.Sink
	now       func() time.Time

	// base outlives every request: a pass runs to its end even when the
	// trigger that started it goes away; only Shutdown cancels it.
	base   context.Context
	cancel context.CancelFunc
	idle   *sync.Cond

	mu      sync.Mutex
	running *pass
	queue   []*pass // in arrival order, each with a different key
	skipped int
}

type pass struct {
	id     string
	req    Request
	key    string
	done   chan struct{}
	report Report
}

// New returns a daemon. sink, when not nil, receives every engine event.
func New(eng Engines, opts Options, log *slog.Logger, sink engine.Sink, observers ...Observer) *Daemon {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, cancel := context.WithCancel(context.Background())
	d := &Daemon{eng: eng, opts: opts, log: log, sink: sink, observers: observers, now: time.Now, base: base, cancel: cancel}
	d.idle = sync.NewCond(&d.mu)
	return d
}

// Shutdown stops starting new swaps and waits for the pass in flight: a swap
// that began finishes or rolls back, so no container is left half-swapped.
func (d *Daemon) Shutdown() {
	d.cancel()
	d.mu.Lock()
	for d.running != nil {
		d.idle.Wait()
	}
	d.mu.Unlock()
}

// WatchAbandoned settles, every interval until ctx ends, the swaps that an
// engine restart or a crash cut short between passes: passes may be a day
// apart, and in the meantime the old and new containers of a swap could
// both be running.
func (d *Daemon) WatchAbandoned(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !d.eng.Abandoned(ctx) {
			continue
		}
		if _, err := d.eng.Recover(ctx); err != nil {
			d.log.Warn("recovery of unfinished swaps incomplete; retrying", "err", err)
		}
	}
}

// Trigger starts a pass, or joins a queued one that does the same, and
// waits until that pass is done.
func (d *Daemon) Trigger(ctx context.Context, req Request) (Report, error) {
	p, err := d.enqueue(req)
	if err != nil {
		return Report{}, err
	}
	select {
	case <-p.done:
		return p.report, nil
	case <-ctx.Done():
		return Report{}, ctx.Err()
	}
}

// TriggerAsync starts or joins a pass and returns its id at once.
func (d *Daemon) TriggerAsync(req Request) (string, error) {
	p, err := d.enqueue(req)
	if err != nil {
		return "", err
	}
	return p.id, nil
}

// Skipped counts triggers that joined a pass already queued.
func (d *Daemon) Skipped() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.skipped
}

func (d *Daemon) enqueue(req Request) (*pass, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.base.Err() != nil {
		p := newPass(req)
		p.report = Report{ID: p.id, Summary: engine.Summary{Skipped: 1, Outcomes: []engine.Outcome{{Result: engine.ResultSkipped, Err: errShuttingDown}}}}
		close(p.done)
		return p, nil
	}
	if d.running == nil {
		d.running = newPass(req)
		go d.run(d.running)
		return d.running, nil
	}
	key := req.key()
	for _, p := range d.queue {
		if p.key == key {
			d.skipped++
			return p, nil
		}
	}
	if len(d.queue) >= MaxQueued {
		return nil, ErrBusy
	}
	p := newPass(req)
	d.queue = append(d.queue, p)
	return p, nil
}

func newPass(req Request) *pass {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &pass{id: hex.EncodeToString(b), req: req, key: req.key(), done: make(chan struct{})}
}

func (d *Daemon) run(p *pass) {
	for p != nil {
		p.report = d.pass(d.base, p)
		close(p.done)
		d.mu.Lock()
		p = nil
		if len(d.queue) > 0 {
			p = d.queue[0]
			d.queue = slices.Delete(d.queue, 0, 1)
		}
		d.running = p
		if p == nil {
			d.idle.Broadcast()
		}
		d.mu.Unlock()
	}
}

// pass checks, plans and applies once.
func (d *Daemon) pass(ctx context.Context, p *pass) Report {
	r := Report{ID: p.id, Started: d.now(), Trigger: "api"}
	if p.req.Scheduled {
		r.Trigger = "schedule"
	}
	filtered, images := p.req.filtered(), p.req.Images
	apply := d.opts.Apply
	apply.Force = apply.Force || p.req.Force
	res := d.eng.Pass(ctx, engine.PassOptions{
		// A swap cut short (the engine restarted, say) is settled before
		// anything else is looked at.
		Recover: true,
		Check: engine.CheckOptions{
			IncludeStopped: d.opts.Filter.IncludeStopped || d.opts.Filter.IncludeRestarting,
			Admit: func(c engine.Container) bool {
				return d.opts.Filter.Admits(c) && (!filtered || matchesImages(c, images)) &&
					(len(p.req.Hosts) == 0 || slices.Contains(p.req.Hosts, c.Host))
			},
			// An atomic project's other members go along, whatever their image.
			Watched: d.opts.Filter.Admits,
		},
		Plan: engine.PlanOptions{
			Periodic:            p.req.Scheduled,
			MonitorOnly:         d.opts.MonitorOnly || (p.req.Scheduled && d.opts.CheckOnlyWhenScheduled),
			LabelTakePrecedence: d.opts.LabelTakePrecedence,
			NoPull:              d.opts.NoPull,
			Force:               p.req.Force,
			// A pass asked for by image names its containers: pinned ones
			// among them are re-pinned, as Watchtower's ?image= updated them.
			Repin: len(images) > 0,
		},
		Apply: apply,
	}, d.sink)
	if res.RecoverErr != nil {
		d.log.Warn("recovery of unfinished swaps incomplete", "err", res.RecoverErr)
	}
	if res.Err != nil {
		d.log.Error("check failed", "err", res.Err)
		r.Finished = d.now()
		r.Failed = 1
		r.Outcomes = []engine.Outcome{{Result: engine.ResultFailed, Err: res.Err}}
		return r
	}
	checked := res.Checked
	for _, g := range checked.Groups {
		for _, c := range g.Containers {
			if c.Status == engine.StatusOutdated {
				r.Stale = append(r.Stale, c)
			}
		}
	}
	r.Summary = res.Summary
	// Among several engines, one that could not be checked is a failure of
	// the pass, naming it; the others' updates went ahead.
	for _, h := range checked.Hosts {
		if h.Err != nil {
			r.Failed++
			r.Outcomes = append(r.Outcomes, engine.Outcome{Host: h.Host, Result: engine.ResultFailed, Err: fmt.Errorf("engine %s: %w", h.Host, h.Err)})
		}
	}
	r.Finished = d.now()
	d.log.Info("pass finished", "trigger", r.Trigger, "scanned", r.Scanned, "updated", r.Updated, "failed", r.Failed, "skipped", r.Skipped)
	for _, o := range d.observers {
		o.PassFinished(ctx, r, checked)
	}
	return r
}

// matchesImages reports whether c runs one of the repositories (tags ignored).
func matchesImages(c engine.Container, images []string) bool {
	ref, err := engine.ParseReference(c.Image)
	if err != nil {
		return false
	}
	for _, img := range images {
		if want, err := engine.ParseReference(img); err == nil && want.Repository == ref.Repository {
			return true
		}
	}
	return false
}
