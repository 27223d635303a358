package engine

import (
	"context"
	"sync"
	"testing"
)

func TestFullNameAndSplitName(t *testing.T) {
	for _, tt := range []struct {
		in         string
		host, name string
	}{
		{"app", "", "app"},
		{"/app", "", "app"},
		{"web1/app", "web1", "app"},
		{"local/app", "local", "app"},
		{"web1/", "web1", ""},
	} {
		host, name := SplitName(tt.in)
		if host != tt.host || name != tt.name {
			t.Errorf("SplitName(%q): got %q, %q, want %q, %q", tt.in, host, name, tt.host, tt.name)
		}
		if tt.name != "" && tt.in[0] != '/' {
			if got := FullName(host, name); got != tt.in {
				t.Errorf("FullName(%q, %q): got %q, want %q", host, name, got, tt.in)
			}
		}
	}
}

// TestEngineNamesItsHost: an engine among several stamps its name on every
// container, event, outcome, attempt and hold it reports; an engine alone
// on none.
func TestEngineNamesItsHost(t *testing.T) {
	for _, host := range []string{"web1", ""} {
		t.Run("host="+host, func(t *testing.T) {
			rt, reg, _ := world(t)
			rt.startState["127.0.0.1:5000/app:latest"] = HealthState{State: "exited", ExitCode: 3}
			rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
			hist, holds := &memHistory{}, &memHolds{}
			opts := fastOptions()
			opts.Host, opts.Holds = host, holds
			e := New(rt, reg, hist, nil, opts)

			report, err := e.Check(context.Background(), CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c := report.Groups[0].Containers[0].Container
			if c.Host != host || c.FullName() != FullName(host, "app") {
				t.Errorf("checked container: got host %q, full name %q, want %q, %q", c.Host, c.FullName(), host, FullName(host, "app"))
			}
			var mu sync.Mutex
			var events []string
			sink := SinkFunc(func(ev Event) {
				mu.Lock()
				defer mu.Unlock()
				events = append(events, ev.Host+"|"+ev.FullName())
			})
			sum := e.Apply(context.Background(), e.Plan(report, PlanOptions{}), ApplyOptions{}, sink)
			if len(sum.Outcomes) != 1 || sum.Outcomes[0].Result != ResultRolledBack {
				t.Fatalf("outcomes: got %+v, want one rolled back", sum.Outcomes)
			}
			if o := sum.Outcomes[0]; o.Host != host || o.FullName() != FullName(host, "app") {
				t.Errorf("outcome: got host %q, full name %q, want %q", o.Host, o.FullName(), host)
			}
			mu.Lock()
			for _, ev := range events {
				if ev != host+"|"+FullName(host, "app") {
					t.Errorf("event: got host|name %q, want %q", ev, host+"|"+FullName(host, "app"))
				}
			}
			if len(events) == 0 {
				t.Error("no events")
			}
			mu.Unlock()
			if len(hist.attempts) != 1 || hist.attempts[0].Host != host {
				t.Errorf("attempts: got %+v, want one of host %q", hist.attempts, host)
			}
			held, _ := holds.Held(context.Background())
			if len(held) != 1 || held[0].Host != host || held[0].Container != "app" {
				t.Errorf("holds: got %+v, want one of app on host %q", held, host)
			}
			report, _ = e.Check(context.Background(), CheckOptions{})
			if h := report.Groups[0].Containers[0].Held; h == nil || h.Host != host {
				t.Errorf("hold read back: got %+v, want one of host %q", h, host)
			}
		})
	}
}
