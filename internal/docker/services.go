package docker

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cutover/cutover/internal/engine"
)

var _ engine.Services = (*Runtime)(nil)

// Services lists the engine's Swarm services when it is a manager, none
// otherwise. Services of a job mode, which run to completion, and plugin
// services are left out: an update would run them again.
func (r *Runtime) Services(ctx context.Context) ([]engine.Container, error) {
	info, err := r.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, err
	}
	if !info.Info.Swarm.ControlAvailable {
		return nil, nil
	}
	list, err := r.cli.ServiceList(ctx, client.ServiceListOptions{Status: true})
	if err != nil {
		return nil, err
	}
	var out []engine.Container
	for _, s := range list.Items {
		if c, ok := toService(s); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// Service inspects one service by id or name, with its task counts.
func (r *Runtime) Service(ctx context.Context, idOrName string) (engine.Container, error) {
	s, err := r.inspectService(ctx, idOrName)
	if err != nil {
		return engine.Container{}, err
	}
	// Only a list counts the tasks.
	list, err := r.cli.ServiceList(ctx, client.ServiceListOptions{Status: true, Filters: make(client.Filters).Add("id", s.ID)})
	if err != nil {
		return engine.Container{}, err
	}
	for _, l := range list.Items {
		if l.ID == s.ID {
			s.ServiceStatus = l.ServiceStatus
		}
	}
	c, ok := toService(s)
	if !ok {
		return engine.Container{}, fmt.Errorf("service %s runs no container image (a job or a plugin)", s.Spec.Name)
	}
	return c, nil
}

// UpdateService sets the image of service id's tasks, as docker service
// update --image does: the rest of the spec, update configuration
// included, is sent back as it is, at the version it was read at.
func (r *Runtime) UpdateService(ctx context.Context, id, image string, auth engine.Auth) ([]string, error) {
	s, err := r.inspectService(ctx, id)
	if err != nil {
		return nil, err
	}
	spec := s.Spec
	if spec.TaskTemplate.ContainerSpec == nil {
		return nil, fmt.Errorf("service %s runs no container image", spec.Name)
	}
	cs := *spec.TaskTemplate.ContainerSpec
	cs.Image = image
	spec.TaskTemplate.ContainerSpec = &cs
	opts := client.ServiceUpdateOptions{Version: s.Version, Spec: spec}
	if !auth.Empty() {
		// Without it Swarm keeps the credentials the spec was given last.
		if opts.EncodedRegistryAuth, err = encodeAuth(auth); err != nil {
			return nil, err
		}
	}
	res, err := r.cli.ServiceUpdate(ctx, s.ID, opts)
	if err != nil {
		return nil, notFound("service", id, err)
	}
	return res.Warnings, nil
}

// TaskFailure says how the latest task of service id on image that Swarm
// counts as failed (failed, rejected, or ended) ended, as Swarm recorded it.
// A task whose healthcheck failed is stopped by Swarm: it ends, often with
// exit code 0, and Swarm keeps no word of its health.
func (r *Runtime) TaskFailure(ctx context.Context, id, image string) (string, error) {
	list, err := r.cli.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", id)})
	if err != nil {
		return "", err
	}
	var latest *swarm.Task
	for i, t := range list.Items {
		if t.ServiceID != id || t.Spec.ContainerSpec == nil || t.Spec.ContainerSpec.Image != image {
			continue
		}
		switch t.Status.State {
		case swarm.TaskStateFailed, swarm.TaskStateRejected, swarm.TaskStateComplete:
		default:
			continue
		}
		if latest == nil || t.Status.Timestamp.After(latest.Status.Timestamp) {
			latest = &list.Items[i]
		}
	}
	if latest == nil {
		return "", nil
	}
	return taskEnd(latest.Status), nil
}

// taskEnd words how a task ended.
func taskEnd(s swarm.TaskStatus) string {
	if s.Err != "" {
		return "a new task " + string(s.State) + ": " + s.Err
	}
	end := "a new task ended (" + string(s.State)
	if s.ContainerStatus != nil && s.ContainerStatus.ContainerID != "" {
		end += fmt.Sprintf(", exit code %d", s.ContainerStatus.ExitCode)
	}
	return end + ")"
}

func (r *Runtime) inspectService(ctx context.Context, idOrName string) (swarm.Service, error) {
	res, err := r.cli.ServiceInspect(ctx, idOrName, client.ServiceInspectOptions{})
	if err != nil {
		return swarm.Service{}, notFound("service", idOrName, err)
	}
	return res.Service, nil
}

// toService converts a service to the engine's view of it: its image is the
// spec's without the digest Swarm pins, which is kept as what its tasks
// run. Services that run no container image, or run to completion, have
// no view.
func toService(s swarm.Service) (engine.Container, bool) {
	cs := s.Spec.TaskTemplate.ContainerSpec
	if cs == nil {
		return engine.Container{}, false
	}
	info := &engine.ServiceInfo{
		Update:   toRollout(s.Spec.UpdateConfig),
		Rollback: toRollout(s.Spec.RollbackConfig),
	}
	state := engine.StateRunning
	switch m := s.Spec.Mode; {
	case m.Replicated != nil:
		info.Mode = "replicated"
		if m.Replicated.Replicas != nil {
			info.Desired = *m.Replicated.Replicas
		}
		if info.Desired == 0 {
			// Scaled to zero: as a stopped container, listed when those are.
			state = engine.StateExited
		}
	case m.Global != nil:
		info.Mode = "global"
	default:
		return engine.Container{}, false
	}
	if st := s.ServiceStatus; st != nil {
		info.Running = st.RunningTasks
		if m := s.Spec.Mode; m.Global != nil {
			info.Desired = st.DesiredTasks
		}
	}
	if u := s.UpdateStatus; u != nil && u.State != "" {
		info.Status = &engine.SwarmUpdate{State: engine.SwarmState(u.State), Message: u.Message}
	}
	c := engine.Container{
		Kind:    engine.KindService,
		ID:      s.ID,
		Name:    s.Spec.Name,
		Labels:  s.Spec.Labels,
		State:   state,
		Created: s.CreatedAt,
		Service: info,
	}
	c.Image, c.Digest = splitPinned(cs.Image)
	return c, true
}

// splitPinned splits "repo:tag@sha256:..." into the reference and the
// digest. A reference pinned by digest alone ("repo@sha256:...") is kept
// whole: it names no tag to follow.
func splitPinned(image string) (ref, digest string) {
	base, d, ok := strings.Cut(image, "@")
	if !ok {
		return image, ""
	}
	slash := strings.LastIndex(base, "/")
	if colon := strings.LastIndex(base, ":"); colon <= slash {
		return image, d
	}
	return base, d
}

func toRollout(u *swarm.UpdateConfig) engine.Rollout {
	if u == nil {
		return engine.Rollout{}
	}
	return engine.Rollout{
		Parallelism:   u.Parallelism,
		Delay:         u.Delay,
		Monitor:       u.Monitor,
		FailureAction: string(u.FailureAction),
		Order:         string(u.Order),
	}
}
