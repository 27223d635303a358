package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/policy"
)

// Options tune the engine. Zero values take the documented defaults.
type Options struct {
	// Host names the engine when cutover watches several: every container,
	// event, outcome, attempt and hold it reports carries it, and people
	// see its containers as HOST/NAME (FullName). Empty when there is one
	// engine.
	Host string
	// StopTimeout is how long a container gets to stop when it sets none
	// itself. Default 10 s.
	StopTimeout time.Duration
	// HealthTimeout bounds the wait for a new container's health verdict.
	// Default 60 s.
	HealthTimeout time.Duration
	// HealthGrace is how long a container without healthcheck must stay
	// running, without restarting, to pass. Default 5 s.
	HealthGrace time.Duration
	// ProbeInterval is the pause between runs of a container's own
	// healthcheck while its verdict is awaited. Default 250 ms.
	ProbeInterval time.Duration
	// ChecksPerHost bounds concurrent manifest requests to one registry.
	// Default 4.
	ChecksPerHost int
	// Pulls bounds concurrent pulls, those of passes and deploys together.
	// Default 3.
	Pulls int
	// Swaps bounds the swaps between creating their new container and
	// starting it, the part that works the engine; health gates run outside
	// this bound and overlap freely. Default 4.
	Swaps int
	// OneAtATime makes swaps strictly sequential, health gate included, as
	// Watchtower's --rolling-restart: a bad image reaches one container
	// before it is rolled back, not every replica at once.
	OneAtATime bool
	// Outages bounds the swaps between stopping their old container and
	// starting the new one at once: each container is down for that span,
	// and on a busy engine concurrent stops and starts lengthen each other's
	// about as much as they gain. Default 1.
	Outages int
	// LifecycleHooks runs the commands containers name in their lifecycle
	// labels. Off by default: labels are untrusted input.
	LifecycleHooks bool
	// AutoUpdate decides whether a periodic pass updates a container. Default:
	// every container not excluded by its enable label.
	AutoUpdate func(Container) bool
	// Journal records swaps in flight so Recover can finish or undo them
	// after a crash. Optional.
	Journal Journal
	// AfterStep, when set, is called once each swap step is done. It exists
	// for fault injection.
	AfterStep func(SwapStep)
	// OrphanAge is how old the new container of a swap the journal does not
	// know must be before Recover takes it as abandoned rather than another
	// process's swap in flight. Default: twice the stop and health timeouts,
	// plus a minute.
	OrphanAge time.Duration
	// LateCreate is how long recovery waits for the new container of a
	// swap whose process was killed while the engine created it: the
	// engine finishes a create whose client went away. Default 5 s.
	LateCreate time.Duration
	// Claims, when set, limits recovery to the leftovers of containers it
	// returns true for (c, and the name of the container c belongs to), so
	// instances watching different scopes leave each other alone.
	Claims func(c Container, name string) bool
	// FindSelf tells the id of the container this process runs in, "" when
	// it runs on a host, or an error when that cannot be told yet (the
	// engine does not answer): it is asked again at the next swap. The
	// container's own update is handed to HandOver instead of swapped from
	// inside: a process cannot stop itself and carry on.
	FindSelf func(ctx context.Context) (string, error)
	HandOver func(ctx context.Context, s Step) error
	// Holds keeps the versions not to be applied again (rolled back, or
	// skipped by a person). Optional.
	Holds Holds
	// Policy is the version policy of containers without a policy label.
	// Default digest: follow the tag's digest.
	Policy policy.Policy
	// CooldownDelay is how old an offered version must be before a pass or
	// request applies it unless forced, for containers without a cooldown
	// label. Default 0: none.
	CooldownDelay time.Duration
	// Sightings remembers when offered versions were first seen, for the
	// cooldown. Optional.
	Sightings Sightings
	// CallTimeout bounds each engine call a swap makes, so a wedged engine
	// cannot hold a container's lock for ever. A stop gets the container's
	// stop timeout on top. Default 2 min.
	CallTimeout time.Duration
	// Finished, when set, hears how every update ended, whichever surface
	// asked for it (a pass, a deploy, the dashboard), as history records it.
	Finished func(Outcome)
	// ServicePoll is how often a Swarm service's update status is read
	// while cutover follows it. Default 1 s.
	ServicePoll time.Duration
	// AtomicProjects makes every Compose project an atomic unit, as the
	// label atomic=true does for one: its containers are updated together,
	// and go back together when one fails. A container labelled
	// atomic=false stays out.
	AtomicProjects bool
	// Moved, when set, hears of every container a swap moved to another
	// image reference than the one it was configured with (a deploy of
	// another tag, a version move), once the swap is final, so that what
	// defines the container (its Compose file) can follow. Its error is
	// logged; the swap stands.
	Moved func(ctx context.Context, c Container, image string) error
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.StopTimeout <= 0 {
		o.StopTimeout = 10 * time.Second
	}
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = 60 * time.Second
	}
	if o.HealthGrace <= 0 {
		o.HealthGrace = 5 * time.Second
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = 250 * time.Millisecond
	}
	if o.ChecksPerHost <= 0 {
		o.ChecksPerHost = 4
	}
	if o.Pulls <= 0 {
		o.Pulls = 3
	}
	if o.Swaps <= 0 || o.OneAtATime {
		o.Swaps = 4
		if o.OneAtATime {
			o.Swaps = 1
		}
	}
	if o.Outages <= 0 {
		o.Outages = 1
	}
	if o.AutoUpdate == nil {
		o.AutoUpdate = func(c Container) bool { return !Excluded(c) }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LateCreate <= 0 {
		o.LateCreate = 5 * time.Second
	}
	if o.Policy == "" {
		o.Policy = policy.Digest
	}
	if o.ServicePoll <= 0 {
		o.ServicePoll = time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 2 * time.Minute
	}
	if o.OrphanAge <= 0 {
		o.OrphanAge = 2*(o.StopTimeout+o.HealthTimeout) + time.Minute
	}
	return o
}

// Engine checks and updates containers. It is safe for concurrent use: every
// surface calls the same Engine, and it lets one update per container run at
// a time.
type Engine struct {
	rt    Runtime
	reg   Registry
	hist  History
	log   *slog.Logger
	opts  Options
	locks keyedMutex
	// arrivals orders deploy requests per container as they were named.
	arrivals keyedMutex
	// tagLocks holds a local tag while a swap points it at its image and
	// creates a container from it, or a rollback points it back.
	tagLocks keyedMutex
	// formerNames maps ids of containers swapped away to their names, so a
	// container that refers to one by id can be pointed at its successor.
	formerNames recentNames
	// busy holds a place per swap from creation to start (Options.Swaps),
	// down one per swap from stop to start (Options.Outages).
	busy, down chan struct{}
	// self caches the answer of Options.FindSelf once it is known.
	self selfCache
	// work counts the swaps and recoveries in flight, so Drain can wait for
	// them; once closing, none begins.
	workMu  sync.Mutex
	closing bool
	work    sync.WaitGroup
	// pulls holds a place per pull in progress (Options.Pulls).
	pulls chan struct{}
	// services is the runtime's Swarm side, nil when it has none.
	services Services
	// conduits tells which containers carry the connection to the engine,
	// nil for a runtime that cannot.
	conduits Conduits
}

// New returns an engine over a runtime and a registry. hist may be nil.
func New(rt Runtime, reg Registry, hist History, log *slog.Logger, opts Options) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	if opts.Host != "" {
		log = log.With("host", opts.Host)
	}
	inner := rt
	if opts.Host != "" {
		inner = hosted{Runtime: rt, host: opts.Host}
	}
	e := &Engine{
		rt: bounded{rt: inner, timeout: opts.CallTimeout}, reg: reg, hist: hist, log: log, opts: opts,
		busy:  make(chan struct{}, opts.Swaps),
		pulls: make(chan struct{}, opts.Pulls),
		down:  make(chan struct{}, opts.Outages),
	}
	if s, ok := rt.(Services); ok {
		if opts.Host != "" {
			s = hostedServices{swarm: s, host: opts.Host}
		}
		e.services = boundedServices{s: s, timeout: opts.CallTimeout}
	}
	if c, ok := rt.(Conduits); ok {
		e.conduits = c
	}
	return e
}

// ErrShuttingDown is the reason of a swap refused because Drain was called.
var ErrShuttingDown = errors.New("cutover is shutting down")

// begin registers a swap or recovery about to change containers; it fails
// once Drain was called. The returned func ends it.
func (e *Engine) begin() (func(), bool) {
	e.workMu.Lock()
	defer e.workMu.Unlock()
	if e.closing {
		return nil, false
	}
	e.work.Add(1)
	return e.work.Done, true
}

// Drain refuses every swap not yet begun and waits until those in flight
// have ended (finished or rolled back), or ctx ends. It reports whether
// every swap ended; one cut short is recovered at the next start.
func (e *Engine) Drain(ctx context.Context) bool {
	e.workMu.Lock()
	e.closing = true
	e.workMu.Unlock()
	done := make(chan struct{})
	go func() {
		e.work.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}
