package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

// TestViewsKeepEachEngineApart: two engines with a container of the same
// name each see their own toggle, hold, journal and history.
func TestViewsKeepEachEngineApart(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	local, web1 := s.View(""), s.View("web1")
	if local.Host() != engine.LocalHost {
		t.Errorf("the unnamed view: got host %q, want %q", local.Host(), engine.LocalHost)
	}
	if err := local.SetAutoUpdate("app", true); err != nil {
		t.Fatal(err)
	}
	if err := web1.SetAutoUpdate("app", false); err != nil {
		t.Fatal(err)
	}
	if on, set := local.AutoUpdate("app"); !on || !set {
		t.Errorf("local toggle of app: got %v (set %v), want on", on, set)
	}
	if on, set := web1.AutoUpdate("app"); on || !set {
		t.Errorf("web1 toggle of app: got %v (set %v), want off", on, set)
	}
	if on, set := s.View("web2").AutoUpdate("app"); set {
		t.Errorf("web2 toggle of app: got %v, want none set", on)
	}

	for _, v := range []*View{local, web1} {
		if err := v.Hold(ctx, engine.Hold{Container: "app", Digest: "sha256:" + v.Host()}); err != nil {
			t.Fatal(err)
		}
		if err := v.SaveSwap(ctx, engine.SwapRecord{ID: "swap-" + v.Host(), Name: "app"}); err != nil {
			t.Fatal(err)
		}
		if err := v.RecordAttempt(ctx, engine.Attempt{Container: "app", Result: engine.ResultUpdated, Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []*View{local, web1} {
		held, err := v.Held(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(held) != 1 || held[0].Container != "app" || held[0].Digest != "sha256:"+v.Host() {
			t.Errorf("%s holds: got %+v, want app's own", v.Host(), held)
		}
		swaps, err := v.Swaps(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(swaps) != 1 || swaps[0].ID != "swap-"+v.Host() {
			t.Errorf("%s journal: got %+v, want its own swap only", v.Host(), swaps)
		}
		attempts, err := v.Attempts(ctx, "app", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != 1 || attempts[0].Host != v.Host() {
			t.Errorf("%s attempts: got %+v, want one of its own", v.Host(), attempts)
		}
	}
	if err := web1.Release(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if err := web1.DeleteSwap(ctx, "swap-web1"); err != nil {
		t.Fatal(err)
	}
	if held, _ := local.Held(ctx); len(held) != 1 {
		t.Errorf("local holds after web1's release: got %+v, want app's still", held)
	}
	if swaps, _ := local.Swaps(ctx); len(swaps) != 1 {
		t.Errorf("local journal after web1's swap ended: got %+v, want its own still", swaps)
	}
	all, _ := s.Attempts(ctx, "", "app", 0)
	var hosts []string
	for _, a := range all {
		hosts = append(hosts, a.Host)
	}
	slices.Sort(hosts)
	if diff := cmp.Diff([]string{"local", "web1"}, hosts); diff != "" {
		t.Errorf("attempts of every engine, by host (-want +got):\n%s", diff)
	}
	s.MarkNotified("web1/app", "sha256:n")
	if s.Notified("app", "sha256:n") || !s.Notified("web1/app", "sha256:n") {
		t.Error("a notification of web1's app counts for the local app too, or not for web1's")
	}
}

// TestLocalViewReadsASingleEngineDataDirectory: what a cutover watching
// one engine wrote is the local engine's once cutover watches several, and
// none of another's.
func TestLocalViewReadsASingleEngineDataDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// What a single-engine cutover stores, through the Store itself.
	s.SetAutoUpdate("app", false)
	s.Hold(ctx, engine.Hold{Container: "app", Digest: "sha256:held", Reason: "skipped by admin", By: "admin"})
	s.SaveSwap(ctx, engine.SwapRecord{ID: "0123456789abcdef", Name: "app"})
	s.RecordAttempt(ctx, engine.Attempt{Container: "app", Result: engine.ResultRolledBack, Time: time.Now()})
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	local, other := s.View(engine.LocalHost), s.View("web1")
	if on, set := local.AutoUpdate("app"); on || !set {
		t.Errorf("local toggle of app: got %v (set %v), want the off kept", on, set)
	}
	if _, set := other.AutoUpdate("app"); set {
		t.Error("web1's app has the local app's toggle")
	}
	if held, _ := local.Held(ctx); len(held) != 1 || held[0].Digest != "sha256:held" {
		t.Errorf("local holds: got %+v, want the kept skip", held)
	}
	if held, _ := other.Held(ctx); len(held) != 0 {
		t.Errorf("web1 holds: got %+v, want none", held)
	}
	if swaps, _ := local.Swaps(ctx); len(swaps) != 1 {
		t.Errorf("local journal: got %+v, want the swap kept", swaps)
	}
	if swaps, _ := other.Swaps(ctx); len(swaps) != 0 {
		t.Errorf("web1 journal: got %+v, want none: a swap is settled against its own engine", swaps)
	}
	if a, _ := local.Attempts(ctx, "app", 0); len(a) != 1 || a[0].Host != engine.LocalHost {
		t.Errorf("local attempts: got %+v, want the one kept, of host local", a)
	}
	if a, _ := other.Attempts(ctx, "app", 0); len(a) != 0 {
		t.Errorf("web1 attempts: got %+v, want none", a)
	}
}
