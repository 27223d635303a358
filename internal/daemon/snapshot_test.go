package daemon

import (
	"context"
	"sync"
	"testing"

	"github.com/cutover/cutover/internal/engine"
)

// listRuntime is an engine with no containers that records how it was
// asked to list them.
type listRuntime struct {
	engine.Runtime // calls beyond listing are not expected
	mu             sync.Mutex
	all            []bool
}

func (l *listRuntime) Containers(_ context.Context, all bool) ([]engine.Container, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, all)
	return nil, nil
}

// The dashboard's statuses list the stopped containers a pass would check,
// so a stopped container watched with --include-stopped is shown.
func TestSnapshotListsWhatThePassWatches(t *testing.T) {
	for _, tc := range []struct {
		name   string
		filter Filter
		want   bool
	}{
		{"running only", Filter{}, false},
		{"include stopped", Filter{IncludeStopped: true}, true},
		{"include restarting", Filter{IncludeRestarting: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := &listRuntime{}
			s := NewSnapshot(engine.New(rt, nil, nil, nil, engine.Options{}), tc.filter, nil)
			if err := s.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := s.Resync(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(rt.all) != 2 || rt.all[0] != tc.want || rt.all[1] != tc.want {
				t.Errorf("listings with %+v: got all=%v, want all=%v for the refresh and the resync", tc.filter, rt.all, tc.want)
			}
		})
	}
}
