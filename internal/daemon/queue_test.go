package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// queued returns the requests of the passes waiting, in order.
func (d *Daemon) queued() []Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Request
	for _, p := range d.queue {
		out = append(out, p.req)
	}
	return out
}

// waitQueued waits until n passes wait behind the running one.
func waitQueued(t *testing.T, d *Daemon, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(d.queued()) != n {
		if time.Now().After(deadline) {
			t.Fatalf("queued passes: got %+v, want %d", d.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Triggers queued behind a running pass are merged only when they ask for
// the same pass: a scheduled pass (policy-bound) and an ?image= request
// stay two passes, each as restricted as it was asked for.
func TestQueuedTriggersMergeOnlyWhenTheSame(t *testing.T) {
	rt := &gateRuntime{release: make(chan struct{})}
	d := New(engine.New(rt, nil, nil, nil, engine.Options{}), Options{}, nil, nil)
	defer d.Shutdown()
	first := make(chan Report, 1)
	go func() { r, _ := d.Trigger(context.Background(), Request{}); first <- r }()
	for rt.lists.Load() == 0 {
		time.Sleep(time.Millisecond)
	}

	requests := []Request{
		{Scheduled: true},
		{Images: []string{"127.0.0.1:5000/team/app"}},
		{Images: []string{"127.0.0.1:5000/team/app:2"}},                             // the same repository: joins
		{Images: []string{"127.0.0.1:5000/team/db", "127.0.0.1:5000/team/app"}},     // a wider filter: its own pass
		{Images: []string{"127.0.0.1:5000/team/app:1", "127.0.0.1:5000/team/db:3"}}, // the same two: joins
		{},                // every container, from the API: its own pass
		{Filtered: true},  // ?image= with no value: its own pass, matching nothing
		{Scheduled: true}, // the schedule again: joins the first
	}
	reports := make([]Report, len(requests))
	var wg sync.WaitGroup
	for i, req := range requests {
		wg.Go(func() {
			r, err := d.Trigger(context.Background(), req)
			if err != nil {
				t.Errorf("trigger %+v: %v", req, err)
			}
			reports[i] = r
		})
		if i < 2 {
			waitQueued(t, d, i+1) // the first two take the first places
		}
	}
	waitQueued(t, d, 5)
	for d.Skipped() != 3 {
		time.Sleep(time.Millisecond)
	}
	q := d.queued()
	var kinds []string
	for _, r := range q {
		kinds = append(kinds, fmt.Sprintf("scheduled=%t filtered=%t images=%d", r.Scheduled, r.filtered(), len(r.Images)))
	}
	want := []string{
		"scheduled=true filtered=false images=0",
		"scheduled=false filtered=true images=1",
		"scheduled=false filtered=true images=2",
		"scheduled=false filtered=false images=0",
		"scheduled=false filtered=true images=0",
	}
	if !slices.Equal(kinds[:2], want[:2]) || !slices.Equal(slices.Sorted(slices.Values(kinds)), slices.Sorted(slices.Values(want))) {
		t.Errorf("queued passes: got %q, want %q", kinds, want)
	}
	close(rt.release)
	wg.Wait()
	<-first
	same := func(i, j int) bool { return reports[i].ID == reports[j].ID }
	if !same(0, 7) || !same(1, 2) || !same(3, 4) || same(0, 1) || same(1, 3) || same(3, 5) || same(5, 6) {
		var ids []string
		for _, r := range reports {
			ids = append(ids, r.ID)
		}
		t.Errorf("pass ids per trigger: got %q; want 0=7, 1=2, 3=4 and the rest apart", ids)
	}
	if reports[0].Trigger != "schedule" || reports[1].Trigger != "api" {
		t.Errorf("triggers: got %q and %q, want the scheduled pass to stay scheduled", reports[0].Trigger, reports[1].Trigger)
	}
}

// Past MaxQueued different passes, a trigger is refused rather than
// merged into another.
func TestQueueIsBounded(t *testing.T) {
	rt := &gateRuntime{release: make(chan struct{})}
	d := New(engine.New(rt, nil, nil, nil, engine.Options{}), Options{}, nil, nil)
	defer func() { close(rt.release); d.Shutdown() }()
	if _, err := d.TriggerAsync(Request{}); err != nil {
		t.Fatal(err)
	}
	for i := range MaxQueued {
		if _, err := d.TriggerAsync(Request{Images: []string{fmt.Sprintf("app%d", i)}}); err != nil {
			t.Fatalf("queued pass %d: %v", i, err)
		}
	}
	if _, err := d.TriggerAsync(Request{Images: []string{"one-more"}}); !errors.Is(err, ErrBusy) {
		t.Errorf("pass %d: got %v, want ErrBusy", MaxQueued+1, err)
	}
	if _, err := d.TriggerAsync(Request{Images: []string{"app3"}}); err != nil {
		t.Errorf("a trigger the same as a queued pass: got %v, want it to join", err)
	}
	if got := len(d.queued()); got != MaxQueued {
		t.Errorf("queued passes: got %d, want %d", got, MaxQueued)
	}
}

// A forced request and one that is not ask for different passes: joining
// a forced pass would apply versions still in their cooldown, and joining
// one that is not would leave them out.
func TestForceIsPartOfWhatAPassDoes(t *testing.T) {
	for _, tc := range []struct {
		a, b Request
		same bool
	}{
		{Request{}, Request{Force: true}, false},
		{Request{Force: true}, Request{Force: true}, true},
		{Request{Images: []string{"app"}, Force: true}, Request{Images: []string{"app:1"}, Force: true}, true},
		{Request{Images: []string{"app"}}, Request{Images: []string{"app"}, Force: true}, false},
	} {
		if got := tc.a.key() == tc.b.key(); got != tc.same {
			t.Errorf("%+v and %+v: same pass %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
