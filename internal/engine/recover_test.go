package engine

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memJournal is an in-memory Journal.
type memJournal struct {
	mu   sync.Mutex
	recs map[string]SwapRecord
}

func (m *memJournal) SaveSwap(_ context.Context, r SwapRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[string]SwapRecord{}
	}
	m.recs[r.ID] = r
	return nil
}

func (m *memJournal) DeleteSwap(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.recs, id)
	return nil
}

func (m *memJournal) Swaps(context.Context) ([]SwapRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []SwapRecord
	for _, r := range m.recs {
		out = append(out, r)
	}
	return out, nil
}

type crash struct{}

// TestRecoverAfterCrashAtEachStep cuts a swap short after every step, with
// and without the journal, and checks the container exists once under its
// name, running, on the new image only once the new one was healthy.
func TestRecoverAfterCrashAtEachStep(t *testing.T) {
	for _, step := range SwapSteps {
		for _, withJournal := range []bool{true, false} {
			name := string(step)
			if !withJournal {
				name += " journal lost"
			}
			t.Run(name, func(t *testing.T) {
				rt, reg, _ := world(t)
				rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
				j := &memJournal{}
				opts := fastOptions()
				opts.Journal = j
				opts.AfterStep = func(s SwapStep) {
					if s == step {
						panic(crash{})
					}
				}
				func() {
					defer func() {
						if v := recover(); v != nil && v != (crash{}) {
							panic(v)
						}
					}()
					New(rt, reg, nil, nil, opts).Deploy(context.Background(), DeployRequest{Container: "app", Image: "127.0.0.1:5000/app"}, nil)
				}()

				after := New(rt, reg, nil, nil, Options{Journal: j})
				if !withJournal {
					// Without the journal, a swap is taken as abandoned only
					// once it could no longer be running elsewhere.
					j = &memJournal{}
					later := time.Now().Add(time.Hour)
					after = New(rt, reg, nil, nil, Options{Journal: j, Now: func() time.Time { return later }})
				}
				for range 2 { // recovery is idempotent
					if _, err := after.Recover(context.Background()); err != nil {
						t.Fatalf("recover: %v", err)
					}
				}
				cs, _ := rt.Containers(context.Background(), true)
				var names []string
				for _, c := range cs {
					names = append(names, c.Name)
				}
				if !slices.Equal(names, []string{"app"}) {
					t.Fatalf("containers after recovery: %v, want exactly [app]", names)
				}
				c := cs[0]
				wantImage := "sha256:img1"
				if withJournal && slices.Index(SwapSteps, step) >= slices.Index(SwapSteps, StepHealthPassed) {
					wantImage = "sha256:img2"
				}
				if step == StepOldRemoved {
					wantImage = "sha256:img2" // the old one is gone: the new is all there is
				}
				if c.ImageID != wantImage || !c.Running() {
					t.Errorf("app after recovery: image %s state %s, want %s running", c.ImageID, c.State, wantImage)
				}
				if recs, _ := j.Swaps(context.Background()); len(recs) != 0 {
					t.Errorf("journal entries left: %+v", recs)
				}
				if strings.Contains(strings.Join(rt.callLog(), ","), "-cutover-") && c.Name != "app" {
					t.Errorf("temporary name left")
				}
			})
		}
	}
}

func TestRecoverLeavesSwapsInFlightAlone(t *testing.T) {
	rt, reg, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app-cutover-old", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: "exited"})
	unlock, _ := e.locks.tryLock("app")
	rep, err := e.Recover(context.Background())
	unlock()
	if err != nil || len(rep.Kept)+len(rep.RolledBack) != 0 {
		t.Errorf("recovery touched a swap this process is running: %+v %v", rep, err)
	}
	_ = reg
}

func TestRecoverLeavesAnotherProcessesRecentSwapAlone(t *testing.T) {
	rt, reg, _ := world(t)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: "exited"})
	rt.addContainer(Container{ID: "b000000000000000", Name: "app-cutover-new", Image: "127.0.0.1:5000/app", ImageID: "sha256:img2", State: "created",
		Created: now.Add(-time.Minute), Labels: map[string]string{SwapLabelRole: "new", SwapLabelOf: "app", SwapLabelID: "x"}})
	e := New(rt, reg, nil, nil, Options{Now: func() time.Time { return now }})
	if rep, err := e.Recover(context.Background()); err != nil || len(rep.Kept)+len(rep.RolledBack) != 0 {
		t.Fatalf("a minute-old swap of another process was settled: %+v %v", rep, err)
	}
	later := New(rt, reg, nil, nil, Options{Now: func() time.Time { return now.Add(time.Hour) }})
	if rep, err := later.Recover(context.Background()); err != nil || len(rep.RolledBack) != 1 {
		t.Fatalf("an hour-old abandoned swap: got %+v %v, want it rolled back", rep, err)
	}
}
