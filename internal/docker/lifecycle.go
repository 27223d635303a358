package docker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Stop stops a container with the engine's stop call, so its restart policy
// does not revive it: signal (empty means the container's own stop signal),
// then SIGKILL after timeout, rounded up to whole seconds. A negative timeout
// leaves the wait to the container's own stop timeout.
func (r *Runtime) Stop(ctx context.Context, id, signal string, timeout time.Duration) error {
	t := seconds(timeout)
	if signal != "" {
		// The stop call takes a signal from API 1.42 on; older engines
		// ignore it and would send the container's own.
		old, err := r.apiBefore(ctx, "1.42")
		if err != nil {
			return err
		}
		if old {
			return r.stopWithKill(ctx, id, signal, t)
		}
	}
	_, err := r.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Signal: signal, Timeout: t})
	return notFound("container", id, err)
}

// stopWithKill stops a container with a signal other than its own on engines
// whose stop call takes none: it sends the signal, which also marks the
// container as stopped by hand so its restart policy stays out of it, waits
// up to timeout, and stops it for good after that.
func (r *Runtime) stopWithKill(ctx context.Context, id, signal string, timeout *int) error {
	in, err := r.inspect(ctx, id)
	if err != nil {
		return err
	}
	if in.Config == nil || sameSignal(signal, in.Config.StopSignal) {
		_, err := r.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: timeout})
		return notFound("container", id, err)
	}
	if in.State == nil || !in.State.Running {
		return nil
	}
	wait := 10 * time.Second // the engine's default stop timeout
	if timeout != nil {
		wait = time.Duration(*timeout) * time.Second
	} else if in.Config.StopTimeout != nil {
		wait = time.Duration(*in.Config.StopTimeout) * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	exited := r.cli.ContainerWait(wctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	if _, err := r.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: signal}); err != nil {
		return notFound("container", id, err)
	}
	select {
	case <-exited.Result:
		return nil
	case <-exited.Error:
	case <-wctx.Done():
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	zero := 0
	_, err = r.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &zero})
	return notFound("container", id, err)
}

// sameSignal reports whether two signal names mean the same signal, an empty
// one being the engine's default SIGTERM.
func sameSignal(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToUpper(strings.TrimSpace(s))
		switch s {
		case "", "15":
			return "TERM"
		}
		return strings.TrimPrefix(s, "SIG")
	}
	return norm(a) == norm(b)
}

// seconds rounds a timeout up to whole seconds, the engine's unit; a negative
// one means none.
func seconds(d time.Duration) *int {
	if d < 0 {
		return nil
	}
	s := int((d + time.Second - 1) / time.Second)
	return &s
}

// Start starts a created or stopped container.
func (r *Runtime) Start(ctx context.Context, id string) error {
	_, err := r.cli.ContainerStart(ctx, id, client.ContainerStartOptions{})
	return notFound("container", id, err)
}

// Restart restarts a container, giving it timeout to stop.
func (r *Runtime) Restart(ctx context.Context, id string, timeout time.Duration) error {
	_, err := r.cli.ContainerRestart(ctx, id, client.ContainerRestartOptions{Timeout: seconds(timeout)})
	return notFound("container", id, err)
}

// Pause freezes a container's processes.
func (r *Runtime) Pause(ctx context.Context, id string) error {
	_, err := r.cli.ContainerPause(ctx, id, client.ContainerPauseOptions{})
	return notFound("container", id, err)
}

// Unpause lets a paused container's processes run again.
func (r *Runtime) Unpause(ctx context.Context, id string) error {
	_, err := r.cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
	return notFound("container", id, err)
}

// NextExit reports the exit code of the container's next exit on the
// returned channel, which is closed without a value if ctx ends first or
// the engine cannot say. The wait is registered with the engine before
// NextExit returns, so a Start after it cannot be missed, even when the
// engine removes the container right after its exit (AutoRemove).
func (r *Runtime) NextExit(ctx context.Context, id string) (<-chan int, error) {
	res := r.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	out := make(chan int, 1)
	go func() {
		defer close(out)
		select {
		case w := <-res.Result:
			out <- int(w.StatusCode)
		case <-res.Error:
		case <-ctx.Done():
		}
	}()
	return out, nil
}

// Rename gives a container a new name.
func (r *Runtime) Rename(ctx context.Context, id, name string) error {
	_, err := r.cli.ContainerRename(ctx, id, client.ContainerRenameOptions{NewName: name})
	return notFound("container", id, err)
}

// Remove removes a container, running or not, and with removeVolumes its
// anonymous volumes.
func (r *Runtime) Remove(ctx context.Context, id string, removeVolumes bool) error {
	_, err := r.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: removeVolumes})
	if err != nil && strings.Contains(err.Error(), "is already in progress") {
		// A removal asked for by a process that was killed goes on without
		// it: wait for it to end.
		return r.waitGone(ctx, id)
	}
	return notFound("container", id, err)
}

// waitGone waits, up to a minute, until the engine no longer knows id.
func (r *Runtime) waitGone(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, err := r.inspect(ctx, id)
		if isNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("removal of container %s did not finish: %w", id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
