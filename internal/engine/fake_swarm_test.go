package engine

import (
	"context"
	"fmt"
	"maps"
	"strings"
)

// fakeSwarm is the Swarm side of the fake engine. It behaves like a
// manager where the engine's rules depend on it: an update resets the
// service's update status, which then goes through the states scripted for
// the image (Swarm's "updating" then "completed" by default), one state per
// inspect; a rollback puts the previous image back in the spec as it
// starts, and a pause leaves the new one; an engine that is not a manager
// lists no services and refuses updates.
type fakeSwarm struct {
	rt      *fakeRuntime
	manager bool
	// services by id.
	services map[string]*fakeService
	// rollouts are the update states an update to an image
	// ("repo:tag@digest") goes through.
	rollouts map[string][]SwarmUpdate
	// taskErrors are why the tasks on an image failed.
	taskErrors map[string]string
}

type fakeService struct {
	c Container
	// previous is the image before the last update, which a rollback
	// restores.
	previous string
	// script holds the states the next inspects report, in order.
	script []SwarmUpdate
}

// withSwarm makes the fake engine a Swarm manager.
func (f *fakeRuntime) withSwarm() *fakeSwarm {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.swarm = &fakeSwarm{rt: f, manager: true, services: map[string]*fakeService{}, rollouts: map[string][]SwarmUpdate{}, taskErrors: map[string]string{}}
	return f.swarm
}

// addService adds a service running image, "repo:tag@digest" as Swarm pins it.
func (s *fakeSwarm) addService(id, name, image string, info ServiceInfo, labels map[string]string) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	c := Container{Kind: KindService, ID: id, Name: name, Labels: labels, State: StateRunning, Service: &info}
	c.Image, c.Digest = splitPinned(image)
	if info.Mode == "replicated" && info.Desired == 0 {
		c.State = StateExited
	}
	s.services[id] = &fakeService{c: c}
}

func splitPinned(image string) (ref, digest string) {
	ref, digest, _ = strings.Cut(image, "@")
	return ref, digest
}

func (s *fakeSwarm) byName(idOrName string) *fakeService {
	for _, svc := range s.services {
		if svc.c.ID == idOrName || svc.c.Name == idOrName {
			return svc
		}
	}
	return nil
}

func copyService(c Container) Container {
	c.Labels = maps.Clone(c.Labels)
	if c.Service != nil {
		info := *c.Service
		if info.Status != nil {
			st := *info.Status
			info.Status = &st
		}
		c.Service = &info
	}
	return c
}

func (f *fakeRuntime) Services(context.Context) ([]Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.swarm == nil || !f.swarm.manager {
		return nil, nil
	}
	if err := f.injected("services", "", nil); err != nil {
		return nil, err
	}
	var out []Container
	for _, svc := range f.swarm.services {
		out = append(out, copyService(svc.c))
	}
	return out, nil
}

func (f *fakeRuntime) Service(_ context.Context, idOrName string) (Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.swarm == nil || !f.swarm.manager {
		return Container{}, fmt.Errorf("this node is not a swarm manager")
	}
	svc := f.swarm.byName(idOrName)
	if err := f.injected("service", idOrName, nil); err != nil {
		return Container{}, err
	}
	if svc == nil {
		return Container{}, fmt.Errorf("service %q: %w", idOrName, ErrNotFound)
	}
	if len(svc.script) > 0 {
		st := svc.script[0]
		svc.script = svc.script[1:]
		svc.c.Service.Status = &st
		if st.State == "" {
			// A zero state: Swarm has not picked the update up yet.
			svc.c.Service.Status = nil
		}
		if st.State == SwarmRollbackStarted || (st.State == SwarmRollbackCompleted && svc.previous != "") {
			svc.c.Image, svc.c.Digest = splitPinned(svc.previous)
			svc.previous = ""
		}
	}
	return copyService(svc.c), nil
}

func (f *fakeRuntime) UpdateService(_ context.Context, id, image string, auth Auth) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.swarm == nil || !f.swarm.manager {
		return nil, fmt.Errorf("this node is not a swarm manager")
	}
	svc := f.swarm.services[id]
	if err := f.injected("service-update", id, nil); err != nil {
		return nil, err
	}
	if svc == nil {
		return nil, fmt.Errorf("service %q: %w", id, ErrNotFound)
	}
	f.record("service-update %s to %s as %q", svc.c.Name, image, auth.Username)
	svc.previous = svc.c.Image + "@" + svc.c.Digest
	svc.c.Image, svc.c.Digest = splitPinned(image)
	svc.c.Service.Status = nil
	svc.script = f.swarm.rollouts[image]
	if svc.script == nil {
		svc.script = []SwarmUpdate{{State: SwarmUpdating, Message: "update in progress"}, {State: SwarmCompleted, Message: "update completed"}}
	}
	return nil, nil
}

func (f *fakeRuntime) TaskFailure(_ context.Context, _ string, image string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.swarm == nil {
		return "", nil
	}
	return f.swarm.taskErrors[image], nil
}

// removeService deletes a service, as docker service rm does.
func (s *fakeSwarm) removeService(id string) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	delete(s.services, id)
}
