package fleet

import (
	"context"
	"testing"

	"github.com/cutover/cutover/internal/engine"
)

// An image several engines run costs one registry request per check or
// pass of the fleet, and the next one asks again, so a digest pushed
// meanwhile is seen.
func TestRegistryAsksOncePerCheck(t *testing.T) {
	w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
	ctx := context.Background()
	missing := "127.0.0.1:5000/gone:latest"
	for _, h := range []string{"a", "b"} {
		w.engines[h].run("old", missing)
	}

	report, err := w.fleet.Check(ctx, engine.CheckOptions{})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := w.reg.count(appRef); got != 1 {
		t.Errorf("first check: got %d requests for %s run on both engines, want 1", got, appRef)
	}
	if got := w.reg.count(missing); got != 1 {
		t.Errorf("first check: got %d requests for %s, which the registry does not have, want 1", got, missing)
	}
	if got := remoteDigest(report, appRef); got != digestV2 {
		t.Errorf("first check: got remote digest %s of %s, want %s", got, appRef, digestV2)
	}

	w.reg.set(appRef, digestV3)
	report, err = w.fleet.Check(ctx, engine.CheckOptions{})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := w.reg.count(appRef); got != 2 {
		t.Errorf("second check: got %d requests for %s in all, want 2", got, appRef)
	}
	if got := remoteDigest(report, appRef); got != digestV3 {
		t.Errorf("second check: got remote digest %s of %s, want %s pushed since the first", got, appRef, digestV3)
	}

	// The listing and check the dashboard's statuses refresh with.
	cs, err := w.fleet.Containers(ctx, false)
	if err != nil {
		t.Fatalf("Containers: %v", err)
	}
	if _, err := w.fleet.CheckContainers(ctx, cs, engine.Remote{}); err != nil {
		t.Fatalf("CheckContainers: %v", err)
	}
	if got := w.reg.count(appRef); got != 3 {
		t.Errorf("status refresh: got %d requests for %s in all, want 3", got, appRef)
	}
	if got := w.reg.count(missing); got != 3 {
		t.Errorf("status refresh: got %d requests for %s in all, want 3", got, missing)
	}
}

func remoteDigest(r engine.Report, image string) string {
	for _, g := range r.Groups {
		if g.Image == image {
			return g.RemoteDigest
		}
	}
	return ""
}
