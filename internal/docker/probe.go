package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/cutover/cutover/internal/engine"
)

const (
	// probeTimeout bounds a probe whose healthcheck sets no timeout, as the
	// engine does for its own runs.
	probeTimeout = 30 * time.Second
	// probeOutput is how much of a probe's output is kept.
	probeOutput = 200
)

// Probe runs the container's own healthcheck once, now, instead of waiting
// for the engine's next interval. It returns an error wrapping
// engine.ErrNoProbe when the container has no healthcheck or its command
// cannot be started at all (no /bin/sh for a CMD-SHELL test in a scratch
// image), so the caller falls back to the engine's own verdict.
func (r *Runtime) Probe(ctx context.Context, id string) (engine.ProbeResult, error) {
	in, err := r.inspect(ctx, id)
	if err != nil {
		return engine.ProbeResult{}, err
	}
	if in.Config == nil || !hasHealthcheck(in.Config.Healthcheck) {
		return engine.ProbeResult{}, fmt.Errorf("container %q has no healthcheck: %w", id, engine.ErrNoProbe)
	}
	hc := in.Config.Healthcheck
	cmd, err := probeCommand(hc.Test)
	if err != nil {
		return engine.ProbeResult{}, fmt.Errorf("container %q: %w", id, err)
	}
	timeout := hc.Timeout
	if timeout <= 0 {
		timeout = probeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := r.Exec(ctx, id, cmd)
	if err != nil {
		return engine.ProbeResult{}, fmt.Errorf("probe of %q: %w", id, err)
	}
	return engine.ProbeResult{Healthy: res.ExitCode == 0, Output: res.Output}, nil
}

// probeCommand turns a healthcheck test into the command to exec.
func probeCommand(test []string) ([]string, error) {
	if len(test) == 0 {
		return nil, engine.ErrNoProbe
	}
	switch test[0] {
	case "CMD":
		if len(test) < 2 {
			return nil, fmt.Errorf("empty CMD healthcheck: %w", engine.ErrNoProbe)
		}
		return test[1:], nil
	case "CMD-SHELL":
		if len(test) < 2 {
			return nil, fmt.Errorf("empty CMD-SHELL healthcheck: %w", engine.ErrNoProbe)
		}
		return []string{"/bin/sh", "-c", strings.Join(test[1:], " ")}, nil
	default:
		return nil, fmt.Errorf("healthcheck test %q: %w", test[0], engine.ErrNoProbe)
	}
}

// Exec runs cmd in the running container and reports its exit code and the
// start of its output. A command that cannot be started at all is an error
// wrapping engine.ErrNoProbe.
func (r *Runtime) Exec(ctx context.Context, id string, cmd []string) (engine.ExecResult, error) {
	created, err := r.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd:          cmd,
		AttachStdout: true,
		AttachStderr: true,
	})
	if err != nil {
		return engine.ExecResult{}, execError(notFound("container", id, err))
	}
	att, err := r.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return engine.ExecResult{}, execError(err)
	}
	out := &headWriter{max: probeOutput}
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(out, out, att.Reader)
		copied <- err
	}()
	select {
	case err = <-copied:
	case <-ctx.Done():
		err = ctx.Err()
	}
	att.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		return engine.ExecResult{}, err
	}
	code, err := r.execExitCode(ctx, created.ID)
	if err != nil {
		return engine.ExecResult{}, err
	}
	output := string(out.buf)
	if code == 126 || code == 127 {
		// The runtime reports a command it cannot start in the output,
		// with these exit codes.
		if err := execError(errors.New(output)); errors.Is(err, engine.ErrNoProbe) {
			return engine.ExecResult{}, err
		}
	}
	return engine.ExecResult{ExitCode: code, Output: output}, nil
}

// execExitCode waits for an exec to end and returns its exit code. The attach
// stream ends when the process does, but the engine records the exit code a
// moment later.
func (r *Runtime) execExitCode(ctx context.Context, execID string) (int, error) {
	wait := 10 * time.Millisecond
	for {
		res, err := r.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			return 0, err
		}
		// An exec the engine has not started yet also reads "not running",
		// with no exit code (which the client turns into 0): it has ended
		// once it got a process, or a code (126, 127: it could not start).
		if !res.Running && (res.PID != 0 || res.ExitCode != 0) {
			return res.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// execError marks an error that says the healthcheck's command cannot be
// started at all as engine.ErrNoProbe. A command that starts and fails (a
// shell saying "curl: not found") is an unhealthy result, not this.
func execError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range []string{"OCI runtime exec failed", "executable file not found", "starting container process"} {
		if strings.Contains(msg, s) {
			return fmt.Errorf("%s: %w", strings.TrimSpace(msg), engine.ErrNoProbe)
		}
	}
	return err
}

// headWriter keeps the first max bytes written to it and discards the rest.
type headWriter struct {
	max int
	buf []byte
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
