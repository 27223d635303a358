package daemon

import (
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/engine"
)

// TestFilterAndPolicyWithHostileLabels checks which containers are watched
// and auto-updated when their owners wrote labels that do not parse: a value
// that is not a boolean counts as unset, a scope is compared as written, and
// nothing panics on huge values or control characters.
func TestFilterAndPolicyWithHostileLabels(t *testing.T) {
	mib := strings.Repeat("x", 1<<20)
	tests := []struct {
		name     string
		labels   map[string]string
		filter   Filter
		watched  bool
		autoOn   bool
		autoWhy  string
		policyOn bool // the policy's default
	}{
		{"enable=maybe is unset", map[string]string{"cutover.enable": "maybe"}, Filter{}, true, true, "default", true},
		{"enable=maybe does not opt in", map[string]string{"cutover.enable": "maybe"}, Filter{LabelEnable: true}, false, false, "default", false},
		{"huge enable is unset", map[string]string{"com.centurylinklabs.watchtower.enable": mib}, Filter{LabelEnable: true}, false, false, "default", false},
		{"enable with a NUL is unset", map[string]string{"cutover.enable": "true\x00"}, Filter{LabelEnable: true}, false, true, "default", true},
		{"enable with CR/LF around it counts", map[string]string{"cutover.enable": "\r\nfalse\r\n"}, Filter{}, false, false, "label", true},
		{"huge scope matches only itself", map[string]string{"cutover.scope": mib}, Filter{Scope: "prod"}, false, false, "default", false},
		{"scope with a NUL is another scope", map[string]string{"cutover.scope": "prod\x00"}, Filter{Scope: "prod"}, false, false, "default", false},
		{"empty scope counts as none", map[string]string{"cutover.scope": ""}, Filter{Scope: "none"}, true, false, "default", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := engine.Container{ID: "a000000000000000", Name: "app", Image: "nginx", State: "running", Labels: tt.labels}
			if got := tt.filter.Admits(c); got != tt.watched {
				t.Errorf("container app: watched %v, want %v", got, tt.watched)
			}
			on, why := Policy{Default: tt.policyOn}.AutoUpdate(c)
			if on != tt.autoOn || why != tt.autoWhy {
				t.Errorf("container app: auto-update %v (%s), want %v (%s)", on, why, tt.autoOn, tt.autoWhy)
			}
		})
	}
}
