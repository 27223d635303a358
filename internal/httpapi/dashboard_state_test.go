package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/engine"
)

// Each container says what the engine says it is doing, so the dashboard
// can show a paused or stopped one as such.
func TestDashboardContainerState(t *testing.T) {
	rep := groupReport()
	for i, st := range []engine.State{engine.StatePaused, engine.StateExited, engine.StateRestarting} {
		rep.Groups[0].Containers[i].Container.State = st
	}
	e := newEnv(t, envOptions{report: rep})
	r := e.do(t, "GET", "/api/images", "", bearer)
	for _, want := range []string{
		`"container_name":"app-c","local_digest":"sha256:1111111111","status":"outdated","auto_update":false,"state":"paused"`,
		`"container_name":"app-a","local_digest":"sha256:2222222222","status":"uptodate","auto_update":false,"state":"exited"`,
		`"container_name":"app-b","local_digest":"unknown","status":"outdated","auto_update":false,"state":"restarting"`,
		`"container_name":"nginx","local_digest":"sha256:1111111111","status":"outdated","auto_update":false,"state":"running"`,
	} {
		if r.status != http.StatusOK || !strings.Contains(r.body, want) {
			t.Errorf("GET /api/images: got %d %s, want it to contain %s", r.status, r.body, want)
		}
	}
}
