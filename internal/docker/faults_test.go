package docker_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/docker"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationEngineFaultsSurface checks, through the fault proxy, that
// the adapter reports an engine call that fails as the failure it is, and
// that the next call goes through: a rename the engine refuses once leaves
// the container under its name, a "no such container" reads as
// engine.ErrNotFound, a stop held past the caller's deadline ends with
// the deadline, and an exec (the probe) passes through.
func TestIntegrationEngineFaultsSurface(t *testing.T) {
	img := buildImages(t)
	on(t, func(t *testing.T, te *testEngine) {
		proxy := testenv.NewFaultProxy(t, te.Engine)
		rt, err := docker.New(proxy.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()
		ctx := t.Context()
		name := testenv.Name(t, "faulty")
		id := te.RunContainer(t, name, img.v1)

		proxy.Fail(testenv.ContainerRename.For(id), http.StatusInternalServerError, "injected: rename failed")
		aside := name + "-cutover-old"
		err = rt.Rename(ctx, id, aside)
		if err == nil || !strings.Contains(err.Error(), "injected: rename failed") || errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Rename with the engine failing: error = %v, want the engine's message, not ErrNotFound", err)
		}
		if got := strings.TrimPrefix(te.inspect(t, id).Container.Name, "/"); got != name {
			t.Errorf("name after the failed rename = %s, want %s", got, name)
		}
		if err := rt.Rename(ctx, id, aside); err != nil {
			t.Fatalf("second Rename: %v, want it through", err)
		}
		if got := strings.TrimPrefix(te.inspect(t, id).Container.Name, "/"); got != aside {
			t.Errorf("name after the second rename = %s, want %s", got, aside)
		}
		if n := len(proxy.Calls(testenv.ContainerRename)); n != 2 {
			t.Errorf("renames seen by the proxy = %d, want 2", n)
		}

		proxy.Fail(testenv.ContainerInspect.For(id), http.StatusNotFound, "No such container: "+id)
		if _, err := rt.Container(ctx, id); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Container with the engine answering 404: error = %v, want ErrNotFound", err)
		}
		if c, err := rt.Container(ctx, id); err != nil || c.Name != aside {
			t.Errorf("Container after the 404: %+v, %v, want %s", c, err, aside)
		}

		hang := proxy.Hang(testenv.ContainerStop.For(id))
		stopCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		err = rt.Stop(stopCtx, id, "", 5*time.Second)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Stop held by the engine past the deadline: error = %v, want the deadline", err)
		}
		hang.WaitHit(t, time.Second)
		if state := te.inspect(t, id).Container.State.Status; state != "running" {
			t.Errorf("state after the held stop = %s, want running: the engine never got it", state)
		}

		// The probe's exec passes through too: its start upgrades the
		// connection, which the proxy splices.
		if got, err := probeSettled(t, rt, id); err != nil || !got.Healthy {
			t.Errorf("Probe through the proxy = %+v, %v, want healthy", got, err)
		}
		if n := len(proxy.Calls(testenv.ExecStart)); n == 0 {
			t.Errorf("exec starts seen by the proxy = 0, want the probe's")
		}
	}, img.v1)
}
