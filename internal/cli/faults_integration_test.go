package cli_test

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cutover/cutover/internal/testenv"
)

// swapFault is one way an engine call of a swap goes wrong.
type swapFault struct {
	name string
	// inject sets the fault up on the proxy in front of the engine, for the
	// container named name, whose old id is oldID.
	inject func(p *testenv.FaultProxy, name, oldID string) *testenv.Fault
	// v2 is the image the update pushes: a good one, or one whose new
	// container fails its gate.
	failingImage bool
	// updated says the container ends on the new image.
	updated bool
}

// swapFaults fails, breaks (the engine does it, the answer is lost) or
// holds each engine call a swap makes, forward and during a rollback.
var swapFaults = []swapFault{
	{name: "create fails", inject: func(p *testenv.FaultProxy, _, _ string) *testenv.Fault {
		return p.Fail(testenv.ContainerCreate, 500, "injected: no space left on device")
	}},
	{name: "network connect fails", inject: func(p *testenv.FaultProxy, _, _ string) *testenv.Fault {
		return p.Fail(testenv.NetworkConnect, 500, "injected: network unavailable")
	}},
	{name: "inspect fails", inject: func(p *testenv.FaultProxy, name, _ string) *testenv.Fault {
		return p.Fail(testenv.ContainerInspect.For(name), 500, "injected: engine busy")
	}},
	{name: "stop of the old one fails", inject: func(p *testenv.FaultProxy, _, oldID string) *testenv.Fault {
		return p.Fail(testenv.ContainerStop.For(oldID), 500, "injected: cannot stop")
	}},
	{name: "stop of the old one is done but unanswered", inject: func(p *testenv.FaultProxy, _, oldID string) *testenv.Fault {
		return p.Break(testenv.ContainerStop.For(oldID))
	}},
	{name: "stop of the old one hangs", inject: func(p *testenv.FaultProxy, _, oldID string) *testenv.Fault {
		return p.Hang(testenv.ContainerStop.For(oldID))
	}},
	{name: "rename aside fails", inject: func(p *testenv.FaultProxy, name, _ string) *testenv.Fault {
		return p.Fail(testenv.ContainerRename, 500, "injected: rename failed").WhereQuery("name", name+"-cutover-old")
	}},
	{name: "rename aside is done but unanswered", inject: func(p *testenv.FaultProxy, name, _ string) *testenv.Fault {
		return p.Break(testenv.ContainerRename).WhereQuery("name", name+"-cutover-old")
	}},
	{name: "rename into place fails", inject: func(p *testenv.FaultProxy, name, _ string) *testenv.Fault {
		return p.Fail(testenv.ContainerRename, 409, "injected: name in use").WhereQuery("name", name)
	}},
	{name: "start of the new one fails", inject: func(p *testenv.FaultProxy, _, _ string) *testenv.Fault {
		return p.Fail(testenv.ContainerStart, 500, "injected: OCI runtime create failed")
	}},
	{name: "start of the new one is done but unanswered", inject: func(p *testenv.FaultProxy, _, _ string) *testenv.Fault {
		return p.Break(testenv.ContainerStart)
	}},
	{name: "wait for the exit fails", updated: true, inject: func(p *testenv.FaultProxy, _, _ string) *testenv.Fault {
		return p.Fail(testenv.ContainerWait, 500, "injected: wait failed")
	}},
	{name: "removal of the old one fails", updated: true, inject: func(p *testenv.FaultProxy, _, oldID string) *testenv.Fault {
		return p.Fail(testenv.ContainerRemove.For(oldID), 500, "injected: device or resource busy")
	}},
	{name: "removal of the old one is done but unanswered", updated: true, inject: func(p *testenv.FaultProxy, _, oldID string) *testenv.Fault {
		return p.Break(testenv.ContainerRemove.For(oldID))
	}},
	{name: "rollback: stop of the new one fails", failingImage: true, inject: func(p *testenv.FaultProxy, _, _ string) *testenv.Fault {
		// The first stop is the old container's; the next, the new one's.
		return p.Fail(testenv.ContainerStop, 500, "injected: cannot stop").After(1)
	}},
	{name: "rollback: rename back fails", failingImage: true, inject: func(p *testenv.FaultProxy, name, oldID string) *testenv.Fault {
		return p.Fail(testenv.ContainerRename.For(oldID), 500, "injected: rename failed").WhereQuery("name", name)
	}},
	{name: "rollback: the old one cannot start again", failingImage: true, updated: true, inject: func(p *testenv.FaultProxy, _, oldID string) *testenv.Fault {
		// The new one, though unhealthy, is then the copy that runs.
		return p.Fail(testenv.ContainerStart.For(oldID), 500, "injected: start failed").Always()
	}},
}

// TestIntegrationSwapFaults makes each engine call of a swap fail, break or
// hang, on Debian's engine and on a current one, and checks the promise
// after the update and a recovery: the container exists once under its
// name, running, on the new image only when the swap was final, with no
// leftover.
func TestIntegrationSwapFaults(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	var injected, lost atomic.Int64
	testenv.ForEachEngine(t, func(t *testing.T, e *testenv.Engine) {
		good := testenv.ImageSpec{HealthInterval: "1s"}
		ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, good)
		failRef, _, pushFailing := imagePair(t, testenv.PlainRegistry, good)
		e.Pull(t, ref)
		e.Pull(t, failRef)
		net := testenv.Name(t, "faultnet")
		e.CreateNetwork(t, net)
		type target struct {
			f           swapFault
			name, oldID string
		}
		var targets []target
		for _, f := range swapFaults {
			name := testenv.Name(t, "fault")
			image := ref
			if f.failingImage {
				image = failRef
			}
			// A second network, so the create connects one after it.
			e.RunContainer(t, name, "--stop-timeout", "3", image)
			e.Docker(t, "network", "connect", net, name)
			targets = append(targets, target{f: f, name: name, oldID: e.Docker(t, "inspect", "--format", "{{.Id}}", name)})
		}
		pushV2(good)
		pushFailing(testenv.ImageSpec{HealthInterval: "1s", Mode: "unhealthy"})

		t.Run("faults", func(t *testing.T) {
			for _, tg := range targets {
				t.Run(tg.f.name, func(t *testing.T) {
					t.Parallel()
					p := testenv.NewFaultProxy(t, e)
					fault := tg.f.inject(p, tg.name, tg.oldID)
					data := t.TempDir()
					r := cutoverIn(t, data, "--host", p.Host, "--engine-timeout", "30s", "update", tg.name)
					if fault.Hits() == 0 {
						t.Fatalf("the fault never acted: the test does not test what it says (calls that change something: %v)",
							p.Calls(testenv.ContainerCreate, testenv.ContainerStop, testenv.ContainerRename, testenv.ContainerStart, testenv.ContainerRemove, testenv.NetworkConnect))
					}
					injected.Add(int64(fault.Hits()))
					fault.Release()
					// Whatever the update said, recovery settles what it left.
					if rec := cutoverIn(t, data, "--host", e.Host, "recover", tg.name); rec.code != 0 {
						t.Errorf("recover: exit %d\n%s%s", rec.code, rec.stdout, rec.stderr)
					}
					names := e.Names(t, tg.name)
					if !slices.Equal(names, []string{tg.name}) {
						lost.Add(1)
						t.Fatalf("containers after the update (exit %d) and a recovery: %v, want exactly %s\n%s", r.code, names, tg.name, r.stdout)
					}
					got := e.Docker(t, "inspect", "--format", "{{.State.Status}} {{.Config.Image}}", tg.name)
					if !strings.HasPrefix(got, "running ") {
						t.Errorf("%s: %s, want it running", tg.name, got)
					}
					id := e.Docker(t, "inspect", "--format", "{{.Id}}", tg.name)
					if tg.f.updated && id == tg.oldID {
						t.Errorf("%s: still the old container, want the update kept (exit %d)\n%s", tg.name, r.code, r.stdout)
					}
					if !tg.f.updated && !strings.Contains(r.stdout, "1 updated") && id != tg.oldID {
						t.Errorf("%s: a new container although the update said it failed (exit %d)\n%s", tg.name, r.code, r.stdout)
					}
				})
			}
		})
	})
	t.Logf("swap faults: %d injected over %d kinds on each engine, %d containers lost", injected.Load(), len(swapFaults), lost.Load())
}
