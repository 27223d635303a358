package docker

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/swarm"

	"github.com/cutover/cutover/internal/engine"
)

const pinnedDigest = "sha256:8bcc3f1aca07d2c498531611bd4fd92d941e491037a86f1cb37deb0410c16628"

func TestSplitPinned(t *testing.T) {
	tests := []struct{ in, ref, digest string }{
		{"127.0.0.1:5000/app:latest@" + pinnedDigest, "127.0.0.1:5000/app:latest", pinnedDigest},
		{"nginx:1.27@" + pinnedDigest, "nginx:1.27", pinnedDigest},
		// Pinned by digest alone: no tag to follow, so the reference stays
		// pinned and the check says so.
		{"127.0.0.1:5000/app@" + pinnedDigest, "127.0.0.1:5000/app@" + pinnedDigest, pinnedDigest},
		// Created with --no-resolve-image: nothing pinned.
		{"127.0.0.1:5000/app:latest", "127.0.0.1:5000/app:latest", ""},
	}
	for _, tc := range tests {
		ref, digest := splitPinned(tc.in)
		if ref != tc.ref || digest != tc.digest {
			t.Errorf("splitPinned(%q) = %q, %q; want %q, %q", tc.in, ref, digest, tc.ref, tc.digest)
		}
	}
}

func TestTaskEnd(t *testing.T) {
	tests := []struct {
		status swarm.TaskStatus
		want   string
	}{
		{swarm.TaskStatus{State: swarm.TaskStateFailed, Err: "task: non-zero exit (1)", ContainerStatus: &swarm.ContainerStatus{ContainerID: "c1", ExitCode: 1}}, "a new task failed: task: non-zero exit (1)"},
		{swarm.TaskStatus{State: swarm.TaskStateRejected, Err: "No such image: 127.0.0.1:5001/app:latest@sha256:ab"}, "a new task rejected: No such image: 127.0.0.1:5001/app:latest@sha256:ab"},
		// Stopped by Swarm as its healthcheck failed.
		{swarm.TaskStatus{State: swarm.TaskStateComplete, Message: "finished", ContainerStatus: &swarm.ContainerStatus{ContainerID: "c2"}}, "a new task ended (complete, exit code 0)"},
		{swarm.TaskStatus{State: swarm.TaskStateComplete}, "a new task ended (complete)"},
	}
	for _, tc := range tests {
		if got := taskEnd(tc.status); got != tc.want {
			t.Errorf("taskEnd(%+v) = %q, want %q", tc.status, got, tc.want)
		}
	}
}

func TestToService(t *testing.T) {
	two := uint64(2)
	zero := uint64(0)
	created := time.Date(2026, 11, 30, 19, 15, 18, 0, time.UTC)
	base := func(mode swarm.ServiceMode) swarm.Service {
		return swarm.Service{
			ID:   "kd9swslxk9rm4sms64f9okyyz",
			Meta: swarm.Meta{CreatedAt: created},
			Spec: swarm.ServiceSpec{
				Annotations:  swarm.Annotations{Name: "web", Labels: map[string]string{"cutover.scope": "prod"}},
				TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "127.0.0.1:5000/app:latest@" + pinnedDigest}},
				Mode:         mode,
				UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Delay: time.Second, FailureAction: swarm.UpdateFailureActionRollback, Monitor: 3 * time.Second, Order: swarm.UpdateOrderStartFirst},
			},
			ServiceStatus: &swarm.ServiceStatus{RunningTasks: 1, DesiredTasks: 3},
			UpdateStatus:  &swarm.UpdateStatus{State: swarm.UpdateStateRollbackCompleted, Message: "rollback completed"},
		}
	}
	want := engine.Container{
		Kind: engine.KindService, ID: "kd9swslxk9rm4sms64f9okyyz", Name: "web",
		Image: "127.0.0.1:5000/app:latest", Digest: pinnedDigest,
		Labels: map[string]string{"cutover.scope": "prod"}, State: engine.StateRunning, Created: created,
		Service: &engine.ServiceInfo{
			Mode: "replicated", Running: 1, Desired: 2,
			Update: engine.Rollout{Parallelism: 1, Delay: time.Second, Monitor: 3 * time.Second, FailureAction: "rollback", Order: "start-first"},
			Status: &engine.SwarmUpdate{State: engine.SwarmRollbackCompleted, Message: "rollback completed"},
		},
	}

	got, ok := toService(base(swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &two}}))
	if !ok {
		t.Fatal("replicated service: no view")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replicated service (-want +got):\n%s", diff)
	}

	// A global service desires a task per eligible node, as the manager
	// counts them.
	got, _ = toService(base(swarm.ServiceMode{Global: &swarm.GlobalService{}}))
	if got.Service.Mode != "global" || got.Service.Desired != 3 || got.State != engine.StateRunning {
		t.Errorf("global service: got mode %s, %d desired, %s; want global, 3, running", got.Service.Mode, got.Service.Desired, got.State)
	}

	got, _ = toService(base(swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &zero}}))
	if got.State != engine.StateExited {
		t.Errorf("service scaled to zero: got state %s, want exited", got.State)
	}

	for name, s := range map[string]swarm.Service{
		"replicated job": base(swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{}}),
		"global job":     base(swarm.ServiceMode{GlobalJob: &swarm.GlobalJob{}}),
		"plugin": func() swarm.Service {
			s := base(swarm.ServiceMode{Global: &swarm.GlobalService{}})
			s.Spec.TaskTemplate.ContainerSpec = nil
			s.Spec.TaskTemplate.PluginSpec = &swarm.RuntimeSpec{Name: "vieux/sshfs"}
			return s
		}(),
	} {
		if _, ok := toService(s); ok {
			t.Errorf("%s: got a service view, want none (an update would run it again)", name)
		}
	}
}
