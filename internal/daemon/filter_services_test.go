package daemon

import (
	"testing"

	"github.com/cutover/cutover/internal/engine"
)

// TestFilterAndPolicyOfServices checks that the settings that choose
// containers choose Swarm services by the same rules, from the service's
// labels and name.
func TestFilterAndPolicyOfServices(t *testing.T) {
	service := func(name string, labels map[string]string) engine.Container {
		return engine.Container{Kind: engine.KindService, ID: "kd9swslxk9rm4sms64f9okyyz", Name: name, Image: "nginx:latest",
			State: engine.StateRunning, Labels: labels, Service: &engine.ServiceInfo{Mode: "global"}}
	}
	tests := []struct {
		name    string
		c       engine.Container
		filter  Filter
		watched bool
		auto    bool
	}{
		{"plain", service("web", nil), Filter{}, true, true},
		{"in scope", service("web", map[string]string{"com.centurylinklabs.watchtower.scope": "prod"}), Filter{Scope: "prod"}, true, true},
		{"other scope", service("web", map[string]string{"cutover.scope": "dev"}), Filter{Scope: "prod"}, false, true},
		{"scope none", service("web", map[string]string{"cutover.scope": "dev"}), Filter{Scope: "none"}, false, true},
		{"label-enable without label", service("web", nil), Filter{LabelEnable: true}, false, true},
		{"label-enable with label", service("web", map[string]string{"cutover.enable": "true"}), Filter{LabelEnable: true}, true, true},
		// Left out of passes, as Watchtower did; shown on the dashboard.
		{"disabled by label", service("web", map[string]string{"com.centurylinklabs.watchtower.enable": "false"}), Filter{}, false, false},
		{"disabled by label, shown", service("web", map[string]string{"com.centurylinklabs.watchtower.enable": "false"}), Filter{ShowDisabled: true}, true, false},
		{"named by a regular expression", service("web-1", nil), Filter{Names: []string{"web-[0-9]"}}, true, true},
		{"disabled by name", service("web", nil), Filter{Disabled: []string{"web"}}, false, true},
		{"named", service("web", nil), Filter{Names: []string{"api"}}, false, true},
		{"scaled to zero", func() engine.Container { c := service("web", nil); c.State = engine.StateExited; return c }(), Filter{}, false, true},
		{"scaled to zero, stopped ones watched", func() engine.Container { c := service("web", nil); c.State = engine.StateExited; return c }(), Filter{IncludeStopped: true}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.filter.Admits(tc.c); got != tc.watched {
				t.Errorf("service %s watched: got %v, want %v", tc.c.Name, got, tc.watched)
			}
			if got, _ := (Policy{Default: true}).AutoUpdate(tc.c); got != tc.auto {
				t.Errorf("service %s auto-updated: got %v, want %v", tc.c.Name, got, tc.auto)
			}
		})
	}
}
