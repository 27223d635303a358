package docker_test

import (
	"testing"
)

// TestIntegrationServicesOfAnEngineThatIsNoManager checks that an engine
// outside any Swarm has no services, and says so without an error: the
// shared engines are never made Swarm managers (a private one is, in the
// CLI's Swarm test).
func TestIntegrationServicesOfAnEngineThatIsNoManager(t *testing.T) {
	on(t, func(t *testing.T, te *testEngine) {
		svcs, err := te.rt.Services(t.Context())
		if err != nil || len(svcs) != 0 {
			t.Fatalf("Services of an engine that is no Swarm manager: got %v, %v; want none and no error", svcs, err)
		}
	})
}
