package cli_test

import (
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationComposeAtomicStackRecoversAfterAKill kills cutover in the
// middle of an atomic stack's update, then recovers: with SIGKILL once the
// first service was cut over (nothing final yet), the stack recovers to
// all-old, the very containers it had; with a crash right after the first
// service was made final (the unit's commit began), to all-new. Each time
// every container exists once, under its name, running, and compose up
// leaves the stack as recovery left it.
func TestIntegrationComposeAtomicStackRecoversAfterAKill(t *testing.T) {
	t.Parallel()
	composeV2.require(t)
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	s := startStack(t, composeV2, filepath.Join(testenv.RepoRoot(t), "examples", "compose-atomic-stack.yml"))
	names := s.names(t)
	data := t.TempDir()
	update := append([]string{"--data-dir", data, "--health-grace", "1s", "update"}, names...)

	for round, forward := range []bool{false, true} {
		for _, svc := range stackServices {
			s.push(t, svc, fmt.Sprintf("v%d", round+2), "")
		}
		before := s.state(t)
		if !forward {
			cmd := exec.Command(binary(t), update...)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// db, first in the order, has been cut over once its old
			// container is aside; api's new container was made before that.
			waitFor(t, names[0]+" cut over", 2*time.Minute, func() bool {
				return len(namesLike(t, names[0]+"-cutover-old")) == 1
			})
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("cutover update was not killed mid-unit (%v):\n%s", err, out.String())
			}
			t.Logf("killed cutover with these containers about:\n%s", testenv.Docker(t, "ps", "-a", "--format", "{{.Names}} {{.Status}}", "--filter", "name="+s.p.name))
		} else {
			code, out := runBinary(t, []string{"CUTOVER_CRASH_AFTER=health-passed:1"}, update...)
			if code != 99 {
				t.Fatalf("crash after the first health-passed: exit %d, want 99 (the injected crash)\n%s", code, out)
			}
		}
		code, out := runBinary(t, nil, append([]string{"--data-dir", data, "recover"}, names...)...)
		if code != 0 {
			t.Fatalf("round %d: cutover recover: exit %d\n%s", round, code, out)
		}
		t.Logf("round %d: cutover recover:\n%s", round, out)
		for _, n := range names {
			requireOnce(t, n)
		}
		after := s.state(t)
		for _, svc := range stackServices {
			switch {
			case !forward && (after[svc].ID != before[svc].ID || after[svc].Image != before[svc].Image):
				t.Errorf("round %d, %s: container %s on %s, want the old container %s on %s: the unit goes back whole",
					round, svc, short(after[svc].ID), short(after[svc].Image), short(before[svc].ID), short(before[svc].Image))
			case forward && after[svc].Image != localImageID(t, s.repos[svc]+":latest"):
				t.Errorf("round %d, %s: on %s, want its new image %s: the unit goes forward whole",
					round, svc, short(after[svc].Image), short(localImageID(t, s.repos[svc]+":latest")))
			}
		}
		s.p.run(t, "up", "-d")
		if again := s.state(t); !maps.Equal(again, after) {
			t.Errorf("round %d: docker compose up -d after the recovery changed the stack:\n got  %v\n want %v", round, again, after)
		}
	}
}
