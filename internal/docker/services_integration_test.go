package docker_test

import (
	"testing"
)

// TestIntegrationServicesOfAnEngineThatIsNoManager checks that an engine
// outside any Swarm has no services, and says so without an error: the
// shared engine is never made a Swarm manager (a private one is, in the
// CLI's Swarm test).
func TestIntegrationServicesOfAnEngineThatIsNoManager(t *testing.T) {
	rt := newRuntime(t)
	svcs, err := rt.Services(t.Context())
	if err != nil || len(svcs) != 0 {
		t.Fatalf("Services of an engine that is no Swarm manager: got %v, %v; want none and no error", svcs, err)
	}
}
