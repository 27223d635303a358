package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countedPulls is a fake engine whose pulls take a while and are counted
// while they run.
type countedPulls struct {
	*fakeRuntime
	inflight, most atomic.Int32
}

func (c *countedPulls) Pull(ctx context.Context, ref string, auth Auth, progress func(PullProgress)) error {
	n := c.inflight.Add(1)
	defer c.inflight.Add(-1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	return c.fakeRuntime.Pull(ctx, ref, auth, progress)
}

func TestABurstOfDeploysPullsWithinTheBound(t *testing.T) {
	rt, reg, _ := world(t)
	counted := &countedPulls{fakeRuntime: rt}
	opts := fastOptions()
	opts.Pulls = 2
	e := New(counted, reg, nil, nil, opts)
	const n = 8
	for i := range n {
		rt.addContainer(Container{ID: fmt.Sprintf("%016d", i), Name: fmt.Sprintf("web%d", i), Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	}
	var wg sync.WaitGroup
	results := make([]Outcome, n)
	for i := range n {
		wg.Go(func() {
			o, err := e.Deploy(context.Background(), DeployRequest{Container: fmt.Sprintf("web%d", i), Image: "127.0.0.1:5000/app"}, nil)
			if err != nil {
				t.Errorf("deploy to web%d: %v", i, err)
			}
			results[i] = o
		})
	}
	wg.Wait()
	if most := counted.most.Load(); most > 2 {
		t.Errorf("pulls at once: %d, want at most Options.Pulls = 2", most)
	}
	for i, o := range results {
		if o.Result != ResultUpdated {
			t.Errorf("web%d: %s %v, want updated", i, o.Result, o.Err)
		}
	}
}
