package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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
	got, err := s.Attempts(ctx, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i].Host = engine.LocalHost
	}
	if diff := cmp.Diff([]engine.Attempt{want[2], want[1], want[0]}, got); diff != "" {
		t.Errorf("attempts after reopen (-want +got):\n%s", diff)
	}
	web, _ := s.Attempts(ctx, "", "web", 1)
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

func TestSightingsKeepTheFirstTimeAndForgetTheOld(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	got, err := s.Sighted(ctx, []string{"repo@sha256:a"}, first)
	if err != nil || !got["repo@sha256:a"].Equal(first) {
		t.Fatalf("first sighting: got %v, %v; want %s", got, err, first)
	}
	later := first.Add(48 * time.Hour)
	got, err = s.Sighted(ctx, []string{"repo@sha256:a", "repo@sha256:b"}, later)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"repo@sha256:a": first, "repo@sha256:b": later}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sightings two days later (-want +got):\n%s", diff)
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := s.Sighted(ctx, []string{"repo@sha256:a"}, later); !got["repo@sha256:a"].Equal(first) {
		t.Errorf("after reopen: got %v, want %s kept", got, first)
	}
	// A new sighting long after forgets those no cooldown can still need.
	muchLater := first.Add(sightingsKept + 72*time.Hour)
	if _, err := s.Sighted(ctx, []string{"repo@sha256:c"}, muchLater); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Sighted(ctx, []string{"repo@sha256:a", "repo@sha256:b"}, muchLater); !got["repo@sha256:a"].Equal(muchLater) || !got["repo@sha256:b"].Equal(muchLater) {
		t.Errorf("sightings older than any cooldown: got %v, want them forgotten and seen anew at %s", got, muchLater)
	}
}

func TestOpenExistingCreatesNothingAndWaitsLittle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := OpenExisting(dir, 10*time.Millisecond)
	if s != nil || err != nil {
		t.Fatalf("no store: got %v, %v; want nil, nil", s, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("data directory after OpenExisting: got %v, want it not created", err)
	}
	held, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	start := time.Now()
	s, err = OpenExisting(dir, 50*time.Millisecond)
	if s != nil || err == nil || !strings.Contains(err.Error(), "in use by another cutover process") {
		t.Errorf("store held by another: got %v, %v; want an error saying it is in use", s, err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("OpenExisting waited %s, want about 50ms", waited)
	}
}
