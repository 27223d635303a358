package engine

import (
	"context"
	"fmt"
	"time"
)

// Kind says what a Container is: a container the engine swaps itself, or a
// Swarm service, whose tasks Swarm replaces when asked to.
type Kind string

// The kinds of things a runtime runs. The zero Kind is a container.
const (
	KindContainer Kind = "container"
	KindService   Kind = "service"
)

// KindOf returns c's kind, a container unless the runtime said otherwise.
func KindOf(c Container) Kind {
	if c.Kind == "" {
		return KindContainer
	}
	return c.Kind
}

// IsService reports whether c is a Swarm service.
func (c Container) IsService() bool { return c.Kind == KindService }

// ServiceInfo is what a Swarm service has beyond what every Container has.
type ServiceInfo struct {
	// Mode is "replicated" or "global".
	Mode string
	// Running and Desired count the service's tasks, as the manager counts
	// them.
	Running, Desired uint64
	// Update and Rollback are how Swarm rolls the service's tasks over, and
	// back, as its spec says.
	Update, Rollback Rollout
	// Status is the state of the service's latest update, nil before the
	// first one and from a service update until Swarm starts it.
	Status *SwarmUpdate
}

// Rollout is a service's update (or rollback) configuration: cutover reads
// it to know how long Swarm may take, and never changes it.
type Rollout struct {
	// Parallelism is how many tasks are replaced at once; 0 is all.
	Parallelism uint64
	Delay       time.Duration
	// Monitor is how long a new task is watched for failure; 0 is Swarm's
	// default.
	Monitor time.Duration
	// FailureAction is "pause", "continue" or "rollback".
	FailureAction string
	// Order is "stop-first" or "start-first".
	Order string
}

// SwarmUpdate is the state of a service's latest update, as Swarm reports it.
type SwarmUpdate struct {
	State   SwarmState
	Message string
}

// SwarmState is where a service update stands.
type SwarmState string

// The states of a service update.
const (
	SwarmUpdating          SwarmState = "updating"
	SwarmPaused            SwarmState = "paused"
	SwarmCompleted         SwarmState = "completed"
	SwarmRollbackStarted   SwarmState = "rollback_started"
	SwarmRollbackPaused    SwarmState = "rollback_paused"
	SwarmRollbackCompleted SwarmState = "rollback_completed"
)

// Services is the part of a runtime that runs Swarm services. A runtime
// without it, or whose engine is not a Swarm manager, has no services.
type Services interface {
	// Services lists the engine's services, none when it is not a Swarm
	// manager. Each is a Container of KindService whose Image is the
	// spec's image without the digest Swarm pins, and whose Digest is that
	// digest: what its tasks run.
	Services(ctx context.Context) ([]Container, error)
	// Service inspects one service by id or name, ErrNotFound when there
	// is none.
	Service(ctx context.Context, idOrName string) (Container, error)
	// UpdateService asks Swarm to run image ("repo:tag@sha256:...") on
	// service id, leaving the rest of its spec, update configuration
	// included, as it is. auth, when not empty, goes with the update so
	// the nodes can pull. Swarm's warnings are returned.
	UpdateService(ctx context.Context, id, image string, auth Auth) ([]string, error)
	// TaskFailure says how the latest task of service id on image that
	// Swarm counts as failed ended, as Swarm reports it, or "" when none
	// did.
	TaskFailure(ctx context.Context, id, image string) (string, error)
}

// swarmDefaultMonitor is how long Swarm watches a new task when the
// service's spec says nothing.
const swarmDefaultMonitor = 5 * time.Second

// nodePullAllowance is the time a service update is given, beyond its
// rollout, for the nodes to pull the new image.
const nodePullAllowance = 2 * time.Minute

// withServices adds the services of a Swarm manager to the containers
// listed; all includes services scaled to zero. A manager that cannot list
// its services costs them, not the containers.
func (e *Engine) withServices(ctx context.Context, cs []Container, all bool) []Container {
	if e.services == nil {
		return cs
	}
	svcs, err := e.services.Services(ctx)
	if err != nil {
		e.log.Warn("cannot list the Swarm services", "err", err)
		return cs
	}
	for _, s := range svcs {
		if all || s.Up() {
			cs = append(cs, s)
		}
	}
	return cs
}

// serviceStanding decides a service's status: its tasks run the digest
// its spec pins, so no local image is asked. A service whose last update
// Swarm paused runs a mix of old and new tasks, and waits for a person to
// resume or roll it back: it is left to them.
func serviceStanding(cs ContainerStatus, remote remoteResult) ContainerStatus {
	c := cs.Container
	cs.LocalDigest = c.Digest
	st := serviceOf(c).Status
	switch {
	case st != nil && (st.State == SwarmPaused || st.State == SwarmRollbackPaused):
		cs.Status = StatusUnknown
		cs.Reason = "Swarm paused its last update (" + st.Message + "); resume it or roll it back with docker service update"
	case remote.err != nil:
		cs.Status, cs.Reason = StatusUnknown, remote.err.Error()
	case c.Digest == "":
		cs.Status, cs.Reason = StatusUnknown, "the service's image is not pinned to a digest (created with --no-resolve-image?)"
	case c.Digest == remote.digest:
		cs.Status = StatusUpToDate
	default:
		cs.Status = StatusOutdated
	}
	return cs
}

// taskReason says why a Swarm task container is left alone, or "".
func taskReason(c Container) string {
	if svc := c.Labels["com.docker.swarm.service.name"]; svc != "" {
		return "a task of Swarm service " + svc + ": cutover updates the service, and Swarm its tasks"
	}
	return ""
}

// updateService updates a Swarm service by asking Swarm: a service update
// to the step's digest, which Swarm rolls out with the service's own update
// configuration and rolls back by its own failure action, and cutover
// follows until it ends. No task container is touched here. The caller
// holds the service's lock and has begun the work (Engine.begin); o is the
// outcome so far, and finish ends it as every update's ends.
func (e *Engine) updateService(ctx context.Context, s Step, sink Sink, o Outcome, finish func(Result, error) Outcome) Outcome {
	name := s.Container.Name
	if e.services == nil {
		return finish(ResultFailed, fmt.Errorf("service %s: the engine runs no Swarm services", name))
	}
	// Decided from the service as it is now: it may have changed since
	// the check.
	cur, err := e.services.Service(ctx, s.Container.ID)
	if err != nil {
		return finish(ResultFailed, fmt.Errorf("inspect service %s: %w", name, err))
	}
	if ref, err := ParseReference(cur.Image); err != nil || ref.Normal != s.Ref.Normal {
		return finish(ResultSkipped, fmt.Errorf("its image changed to %s since the check", cur.Image))
	}
	if cur.Digest == s.ToDigest {
		return finish(ResultFresh, nil)
	}
	if st := serviceOf(cur).Status; st != nil && (st.State == SwarmUpdating || st.State == SwarmRollbackStarted) {
		return finish(ResultSkipped, fmt.Errorf("Swarm is already updating it (%s)", st.State))
	}
	auth, err := e.reg.Auth(ctx, s.Image)
	if err != nil {
		return finish(ResultFailed, fmt.Errorf("credentials for %s: %w", s.Image, err))
	}
	target := s.Ref.Normal + "@" + s.ToDigest
	sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: s.Image, Phase: PhaseRecreating, Message: "asking Swarm to update the service to " + target})
	warnings, err := e.services.UpdateService(ctx, cur.ID, target, auth)
	if err != nil {
		return finish(ResultFailed, fmt.Errorf("service update: %w", err))
	}
	e.log.Info("service update asked of Swarm", "service", name, "image", target)
	for _, w := range warnings {
		e.log.Warn("Swarm warns of the service update", "service", name, "warning", w)
	}
	sink.Emit(Event{Time: e.opts.Now(), Container: name, Image: s.Image, Phase: PhaseHealthCheck, Message: "following Swarm's rolling update"})
	result, cause, stopped := e.followService(ctx, cur, target)
	switch {
	case result == ResultUpdated:
		e.release(ctx, name)
	case stopped:
		// As a rolled back swap: the version is not tried again at every
		// pass, whatever a person then makes of Swarm's update.
		e.hold(ctx, cur, o, cause)
	}
	return finish(result, cause)
}

// followService waits until Swarm's update of svc to image completes,
// pauses or is rolled back, within a time limit its update configuration
// and task count give. stopped says Swarm ended the update short.
func (e *Engine) followService(ctx context.Context, svc Container, image string) (r Result, cause error, stopped bool) {
	limit := e.followLimit(svc)
	deadline := e.opts.Now().Add(limit)
	tick := time.NewTicker(e.opts.ServicePoll)
	defer tick.Stop()
	// Swarm's final message after a rollback is "rollback completed": the
	// reason is in the message it gave when the rollback started.
	var why string
	var lastErr error
	state := "not started"
	for {
		cur, err := e.services.Service(ctx, svc.ID)
		switch {
		case IsNotFound(err):
			return ResultFailed, fmt.Errorf("the service was removed during its update"), false
		case err != nil:
			lastErr = err
			e.log.Debug("cannot read the service's update status", "service", svc.Name, "err", err)
		default:
			lastErr = nil
			st := serviceOf(cur).Status
			if st == nil {
				if serviceOf(cur).Desired == 0 {
					return ResultUpdated, nil, false
				}
				break
			}
			state = string(st.State)
			switch st.State {
			case SwarmCompleted:
				return ResultUpdated, nil, false
			case SwarmPaused:
				return ResultFailed, e.swarmFailure(ctx, svc, image, "Swarm paused the update", st.Message), true
			case SwarmRollbackStarted:
				why = st.Message
			case SwarmRollbackPaused:
				return ResultFailed, e.swarmFailure(ctx, svc, image, "Swarm paused the rollback", or(why, st.Message)), true
			case SwarmRollbackCompleted:
				return ResultRolledBack, e.swarmFailure(ctx, svc, image, "Swarm rolled the update back", or(why, st.Message)), true
			}
		}
		if !e.opts.Now().Before(deadline) {
			err := fmt.Errorf("Swarm's update did not end within %s (state: %s); Swarm carries on with it", limit, state)
			if lastErr != nil {
				err = fmt.Errorf("%w; last error: %v", err, lastErr)
			}
			return ResultFailed, err, false
		}
		select {
		case <-ctx.Done():
			return ResultFailed, fmt.Errorf("stopped following Swarm's update (state: %s): %w; Swarm carries on with it", state, ctx.Err()), false
		case <-tick.C:
		}
	}
}

// swarmFailure words how Swarm ended an update, with its own message and
// why the new tasks failed, when Swarm says.
func (e *Engine) swarmFailure(ctx context.Context, svc Container, image, what, message string) error {
	msg := what
	if message != "" {
		msg += ": " + message
	}
	if why, err := e.services.TaskFailure(ctx, svc.ID, image); err == nil && why != "" {
		msg += "; " + why
	}
	return fmt.Errorf("%s", msg)
}

// followLimit is how long Swarm may take to update svc: for each round of
// tasks replaced at once, the delay, the monitor period and the time a new
// task gets to become healthy, the same again when a failure rolls back,
// and time for the nodes to pull.
func (e *Engine) followLimit(svc Container) time.Duration {
	info := serviceOf(svc)
	tasks := max(info.Desired, info.Running, 1)
	rollout := func(r Rollout) time.Duration {
		p := r.Parallelism
		if p == 0 || p > tasks {
			p = tasks
		}
		rounds := (tasks + p - 1) / p
		monitor := r.Monitor
		if monitor <= 0 {
			monitor = swarmDefaultMonitor
		}
		return time.Duration(rounds) * (max(r.Delay, 0) + monitor + e.opts.HealthTimeout)
	}
	limit := rollout(info.Update) + nodePullAllowance
	if info.Update.FailureAction == "rollback" {
		limit += rollout(info.Rollback)
	}
	return limit
}

// serviceOf returns what c says of its service, nothing when it says nothing.
func serviceOf(c Container) ServiceInfo {
	if c.Service == nil {
		return ServiceInfo{}
	}
	return *c.Service
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// boundedServices gives every service call a time limit, as bounded does
// for the runtime's other calls.
type boundedServices struct {
	s       Services
	timeout time.Duration
}

func (b boundedServices) Services(ctx context.Context) ([]Container, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return b.s.Services(ctx)
}

func (b boundedServices) Service(ctx context.Context, idOrName string) (Container, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return b.s.Service(ctx, idOrName)
}

func (b boundedServices) UpdateService(ctx context.Context, id, image string, auth Auth) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return b.s.UpdateService(ctx, id, image, auth)
}

func (b boundedServices) TaskFailure(ctx context.Context, id, image string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return b.s.TaskFailure(ctx, id, image)
}
