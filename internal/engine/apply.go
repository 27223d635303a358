package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ApplyOptions tune a real update.
type ApplyOptions struct {
	// Cleanup removes the old image once no container uses it.
	Cleanup bool
	// NoRestart, as Watchtower's --no-restart, hands every container back
	// to the process manager that starts it (systemd, say): the old one is
	// stopped and removed, none is created, and the manager's next start
	// runs the new image. Containers that depend on a swapped one are left
	// as they are too.
	NoRestart bool
	// ReviveStopped starts the new container even when the old one was
	// stopped.
	ReviveStopped bool
	// RemoveVolumes gives new containers fresh anonymous volumes, with the
	// new image's content, and removes the old ones with the old container.
	RemoveVolumes bool
	// Force swaps paused containers too.
	Force bool
}

func (o ApplyOptions) swap() swapOptions {
	return swapOptions{revive: o.ReviveStopped, freshVolumes: o.RemoveVolumes, force: o.Force, noRestart: o.NoRestart, retag: true}
}

// Outcome is how one container's update ended.
type Outcome struct {
	// Host names the engine, among several, of the container (Options.Host).
	Host      string
	Container string
	// Image is the reference the update moved the container to.
	Image     string
	OldDigest string
	NewDigest string
	// OldVersion and NewVersion are the versions as people say them, ""
	// when unknown.
	OldVersion string
	NewVersion string
	Result     Result
	Err        error
	Duration   time.Duration
	// Unit is the atomic unit the container was updated with, nil when it
	// went alone. Its Members have no Unit of their own.
	Unit *UnitOutcome
}

// Summary is the outcome of a pass.
type Summary struct {
	Scanned  int
	Updated  int
	Failed   int
	Skipped  int
	Fresh    int
	Outcomes []Outcome
	// Units are the outcomes of the atomic units the pass updated; their
	// members' outcomes are in Outcomes too.
	Units []UnitOutcome
}

// Join adds the counts, outcomes and units of o, a summary of another
// engine's part of a pass.
func (s *Summary) Join(o Summary) {
	s.Scanned += o.Scanned
	s.Updated += o.Updated
	s.Failed += o.Failed
	s.Skipped += o.Skipped
	s.Fresh += o.Fresh
	s.Outcomes = append(s.Outcomes, o.Outcomes...)
	s.Units = append(s.Units, o.Units...)
}

func (s *Summary) add(o Outcome) {
	s.Outcomes = append(s.Outcomes, o)
	switch o.Result {
	case ResultUpdated:
		s.Updated++
	case ResultFailed, ResultRolledBack:
		s.Failed++
	case ResultFresh:
		s.Fresh++
	default:
		s.Skipped++
	}
}

// Apply carries a plan out: pulls each distinct image once, then swaps the
// containers, dependencies first, unrelated ones concurrently within the
// bounds of Options.Swaps and Options.Outages.
func (e *Engine) Apply(ctx context.Context, plan Plan, opts ApplyOptions, sink Sink) Summary {
	sum := e.apply(ctx, plan, opts, e.hostedSink(sink))
	for i := range sum.Outcomes {
		sum.Outcomes[i].Host = e.opts.Host
	}
	for _, u := range sum.Units {
		for i := range u.Members {
			u.Members[i].Host = e.opts.Host
		}
	}
	return sum
}

func (e *Engine) apply(ctx context.Context, plan Plan, opts ApplyOptions, sink Sink) Summary {
	sum := Summary{Scanned: plan.Scanned, Fresh: len(plan.Fresh)}
	for _, s := range plan.Skipped {
		sum.Skipped++
		sum.Outcomes = append(sum.Outcomes, Outcome{Container: s.Container.Name, Image: s.Image, OldVersion: s.FromVersion, NewVersion: s.ToVersion, Result: ResultSkipped, Err: errors.New(s.Reason)})
	}
	if e.opts.LifecycleHooks {
		checked := append(stepContainers(plan.Steps), plan.Fresh...)
		for _, c := range checked {
			e.bestEffortHook(ctx, c, "pre-check")
		}
		defer func() {
			for _, c := range checked {
				if cur, err := e.rt.Container(ctx, c.Name); err == nil {
					e.bestEffortHook(ctx, cur, "post-check")
				}
			}
		}()
	}
	if len(plan.Steps) == 0 {
		return sum
	}

	pulled := e.pullAll(ctx, plan.Steps, sink)
	var ready []Step
	for _, s := range plan.Steps {
		if ctx.Err() != nil {
			sum.add(Outcome{Container: s.Container.Name, Image: s.Image, OldDigest: s.FromDigest, OldVersion: s.FromVersion, NewVersion: s.ToVersion, Result: ResultSkipped, Err: errNotBegun})
			continue
		}
		if err := pulled[s.Image]; err != nil {
			o := Outcome{Container: s.Container.Name, Image: s.Image, OldDigest: s.FromDigest, OldVersion: s.FromVersion, NewVersion: s.ToVersion, Result: ResultFailed, Err: err}
			e.record(ctx, o)
			sink.Emit(Event{Time: e.opts.Now(), Container: s.Container.Name, Image: s.Image, Phase: PhaseFailed, Err: err})
			sum.add(o)
			continue
		}
		ready = append(ready, s)
	}

	all, err := e.rt.Containers(ctx, true)
	if err != nil {
		all = stepContainers(ready)
	}
	planned := map[string]bool{}
	for _, s := range ready {
		planned[s.Container.Name] = true
	}
	// Found before the swaps: afterwards, references by old id resolve to
	// nothing.
	waiting := dependents(planned, all)
	ready, self := e.splitSelf(ctx, ready)
	swappable := ready
	units, ready := e.splitUnits(ctx, ready, plan.Steps, pulled, opts.swap(), &sum, sink)
	var mu sync.Mutex
	swapped := map[string]bool{}
	var wg sync.WaitGroup
	for _, u := range units {
		wg.Go(func() {
			uo := e.applyUnit(ctx, u, all, opts.swap(), sink, nil)
			mu.Lock()
			defer mu.Unlock()
			sum.addUnit(uo)
			for _, o := range uo.Members {
				if o.Result == ResultUpdated {
					swapped[o.Container] = true
				}
			}
		})
	}
	// Every chain of dependencies starts at once; the engine-heavy part of
	// each swap waits for its place in replace, so health gates overlap.
	for _, batch := range batches(ready, all) {
		wg.Go(func() {
			for _, s := range batch {
				o := e.swap(ctx, s, opts.swap(), sink)
				mu.Lock()
				sum.add(o)
				if o.Result == ResultUpdated {
					swapped[s.Container.Name] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Last, once nothing else of this pass is in flight.
	for _, s := range self {
		sum.add(e.swap(ctx, s, opts.swap(), sink))
	}

	if !opts.NoRestart {
		e.refreshDependents(ctx, waiting, swapped, all, sink)
	}
	if opts.Cleanup {
		e.cleanupImages(ctx, swappable, sum.Outcomes)
	}
	return sum
}

// pullAll pulls every distinct image the steps need, as many at a time as
// pull allows, and returns the error per image (nil when pulled).
func (e *Engine) pullAll(ctx context.Context, steps []Step, sink Sink) map[string]error {
	out := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	names := map[string][]string{}
	for _, s := range steps {
		if s.NeedsPull {
			names[s.Image] = append(names[s.Image], s.Container.Name)
		}
	}
	seen := map[string]bool{}
	for _, s := range steps {
		if !s.NeedsPull || seen[s.Image] {
			continue
		}
		seen[s.Image] = true
		wg.Go(func() {
			err := e.pull(ctx, s.Image, Auth{}, containerSink(sink, names[s.Image]...))
			mu.Lock()
			out[s.Image] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// pull pulls ref with the registry's credentials for it, unless auth is given.
func (e *Engine) pull(ctx context.Context, ref string, auth Auth, sink Sink) error {
	if auth.Empty() {
		a, err := e.reg.Auth(ctx, ref)
		if err != nil {
			return fmt.Errorf("credentials for %s: %w", ref, err)
		}
		auth = a
	}
	sink.Emit(Event{Time: e.opts.Now(), Image: ref, Phase: PhasePulling, Message: "connecting"})
	// One bound for every pull, a pass's and each deploy's: a burst of
	// deploys waits its turn instead of opening as many downloads.
	select {
	case e.pulls <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("pull %s: %w", ref, ctx.Err())
	}
	defer func() { <-e.pulls }()
	err := e.rt.Pull(ctx, ref, auth, func(p PullProgress) {
		sink.Emit(Event{Time: e.opts.Now(), Image: ref, Phase: PhasePulling, Progress: &p})
	})
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	return nil
}

// refreshDependents brings back the containers that need a swapped one: a
// restart joins them to its new network stack and links; one that referred
// to it by id is recreated on its own image, referring to it by name.
func (e *Engine) refreshDependents(ctx context.Context, waiting []Container, swapped map[string]bool, all []Container, sink Sink) {
	ctx = context.WithoutCancel(ctx)
	for _, c := range waiting {
		needs := false
		for _, d := range restartDependencies(c, all) {
			needs = needs || swapped[d]
		}
		if !needs {
			continue
		}
		end, ok := e.begin()
		if !ok {
			return
		}
		unlock, err := e.locks.lock(ctx, c.Name)
		if err != nil {
			end()
			return
		}
		how := "restarted"
		if linksTo(c, swapped, all) || (c.NetworkContainer != "" && e.nameOf(ctx, c.NetworkContainer) != c.NetworkContainer) {
			// A link, like a network container named by id, still points at
			// the container swapped away: only a new container points at
			// its successor.
			how = "recreated"
			err = e.recreateInPlace(ctx, c)
		} else {
			err = e.rt.Restart(ctx, c.ID, e.stopTimeout(c))
		}
		unlock()
		end()
		if err != nil {
			e.log.Warn("dependent container not brought back", "container", c.Name, "err", err)
			sink.Emit(Event{Time: e.opts.Now(), Container: c.Name, Image: c.Image, Phase: PhaseFailed, Err: fmt.Errorf("after a container it depends on was updated: %w", err)})
			continue
		}
		e.log.Info(how+" dependent container", "container", c.Name)
		sink.Emit(Event{Time: e.opts.Now(), Container: c.Name, Image: c.Image, Phase: PhaseDone, Message: how + " after a container it depends on"})
	}
}

// linksTo reports whether c has a legacy link to a swapped container.
func linksTo(c Container, swapped map[string]bool, all []Container) bool {
	for _, l := range c.Links {
		for _, d := range dependencies(Container{Name: c.Name, Links: []string{l}}, all) {
			if swapped[d] {
				return true
			}
		}
	}
	return false
}

// recreateInPlace swaps c for a copy on the very image it runs. The copy
// keeps the reference its user wrote (a tag, a digest) when that still
// names the image, so it can be updated later like any other; only when the
// tag has moved on is the copy made on the image id.
func (e *Engine) recreateInPlace(ctx context.Context, c Container) error {
	old, err := e.rt.Container(ctx, c.ID)
	if err != nil {
		return err
	}
	old.NetworkContainer = e.nameOf(ctx, old.NetworkContainer)
	image := old.ImageID
	if img, err := e.rt.Image(ctx, old.Image); err == nil && img.ID == old.ImageID {
		image = old.Image
	}
	err = e.replace(ctx, old, image, swapOptions{}, orDiscard(nil))
	var rb rolledBack
	if errors.As(err, &rb) {
		return rb
	}
	return err
}

// cleanupImages removes old images no container uses any more; an image
// still in use is left where it is.
func (e *Engine) cleanupImages(ctx context.Context, steps []Step, outcomes []Outcome) {
	updated := map[string]bool{}
	for _, o := range outcomes {
		if o.Result == ResultUpdated {
			updated[o.Container] = true
		}
	}
	done := map[string]bool{}
	for _, s := range steps {
		id := s.Container.ImageID
		if !updated[s.Container.Name] || done[id] || s.Container.IsService() {
			continue
		}
		done[id] = true
		if err := e.rt.RemoveImage(ctx, id); err != nil {
			e.log.Debug("old image kept", "image", id, "err", err)
		}
	}
}

func (e *Engine) record(ctx context.Context, o Outcome) {
	if e.opts.Finished != nil {
		e.opts.Finished(o)
	}
	if e.hist == nil {
		return
	}
	a := Attempt{Time: e.opts.Now(), Host: e.opts.Host, Container: o.Container, Image: o.Image, OldDigest: o.OldDigest, NewDigest: o.NewDigest, Result: o.Result, Duration: o.Duration}
	if o.Unit != nil {
		a.Unit = o.Unit.Project
	}
	if o.Err != nil {
		a.Error = o.Err.Error()
	}
	if err := e.hist.RecordAttempt(context.WithoutCancel(ctx), a); err != nil {
		e.log.Warn("cannot record update attempt", "container", o.Container, "err", err)
	}
}

func stepContainers(steps []Step) []Container {
	out := make([]Container, len(steps))
	for i, s := range steps {
		out[i] = s.Container
	}
	return out
}

func orDiscard(s Sink) Sink {
	if s == nil {
		return SinkFunc(func(Event) {})
	}
	return s
}

// splitSelf takes out the step that would update this process's own
// container, to be handed over once every other swap has ended.
func (e *Engine) splitSelf(ctx context.Context, steps []Step) (others, self []Step) {
	id, err := e.selfID(ctx)
	for _, s := range steps {
		if err == nil && id != "" && s.Container.ID == id {
			self = append(self, s)
			continue
		}
		others = append(others, s)
	}
	return others, self
}

// ErrHandedOver is the outcome of cutover's own update: it was handed to a
// one-shot container, which replaces this instance.
var ErrHandedOver = errors.New("handed over: a one-shot container on the new image replaces this instance")

// handOver asks a one-shot container on the new image to swap this
// process's container: the new instance starts only once this one stopped,
// so two never run at once, and it runs the new image, so it does not
// start another hand-over.
func (e *Engine) handOver(ctx context.Context, s Step, sink Sink) Outcome {
	o := Outcome{Container: s.Container.Name, Image: s.Image, OldDigest: s.FromDigest, NewDigest: s.ToDigest, OldVersion: s.FromVersion, NewVersion: s.ToVersion, Result: ResultSkipped}
	if e.opts.HandOver == nil {
		o.Err = fmt.Errorf("cannot update the container cutover itself runs in")
		return o
	}
	if err := e.opts.HandOver(context.WithoutCancel(ctx), s); err != nil {
		o.Result, o.Err = ResultFailed, fmt.Errorf("self-update: %w", err)
		e.record(ctx, o)
		return o
	}
	o.Err = ErrHandedOver
	e.log.Info("self-update handed over", "container", s.Container.Name, "image", s.Image)
	sink.Emit(Event{Time: e.opts.Now(), Container: s.Container.Name, Image: s.Image, Phase: PhaseRecreating, Message: "handed over"})
	return o
}
