package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

func TestAttemptsSurviveReopenNewestFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	want := []engine.Attempt{
		{Time: base, Container: "web", Image: "nginx:latest", OldDigest: "sha256:a", NewDigest: "sha256:b", Result: engine.ResultUpdated, Duration: 1500 * time.Millisecond},
		{Time: base.Add(time.Minute), Container: "db", Image: "postgres:16", Result: engine.ResultRolledBack, Error: "new container exited with code 1", Duration: 2 * time.Second},
		{Time: base.Add(2 * time.Minute), Container: "web", Image: "nginx:latest", Result: engine.ResultFailed, Error: "pull failed"},
	}
	for _, a := range want {
		if err := s.RecordAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Attempts(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]engine.Attempt{want[2], want[1], want[0]}, got); diff != "" {
		t.Errorf("attempts after reopen (-want +got):\n%s", diff)
	}
	web, _ := s.Attempts(ctx, "web", 1)
	if len(web) != 1 || web[0].Result != engine.ResultFailed {
		t.Errorf("newest web attempt: got %+v, want the failed one", web)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("data directory mode: got %o, want 700", perm)
	}
}

func TestTogglesSurviveReopenAndCountChanges(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if on, set := s.AutoUpdate("web"); on || set {
		t.Errorf("toggle of web before any: got %v (set %v), want unset", on, set)
	}
	v0 := s.TogglesVersion()
	if err := s.SetAutoUpdate("web", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAutoUpdate("db", false); err != nil {
		t.Fatal(err)
	}
	if v := s.TogglesVersion(); v == v0 {
		t.Errorf("toggles version after two changes: got %d, want other than %d", v, v0)
	}
	if on, set := s.AutoUpdate("web"); !on || !set {
		t.Errorf("toggle of web: got %v (set %v), want on", on, set)
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name    string
		on, set bool
	}{{"web", true, true}, {"db", false, true}, {"cache", false, false}} {
		if on, set := s.AutoUpdate(tc.name); on != tc.on || set != tc.set {
			t.Errorf("toggle of %s after reopening: got %v (set %v), want %v (set %v)", tc.name, on, set, tc.on, tc.set)
		}
	}
}
