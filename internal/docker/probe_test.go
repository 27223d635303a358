package docker

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

func TestProbeCommand(t *testing.T) {
	for _, tc := range []struct {
		test    []string
		want    []string
		noProbe bool
	}{
		{test: []string{"CMD", "/app", "check"}, want: []string{"/app", "check"}},
		{test: []string{"CMD-SHELL", "curl -f localhost"}, want: []string{"/bin/sh", "-c", "curl -f localhost"}},
		{test: []string{"NONE"}, noProbe: true},
		{test: nil, noProbe: true},
		{test: []string{"CMD"}, noProbe: true},
	} {
		got, err := probeCommand(tc.test)
		if tc.noProbe != errors.Is(err, engine.ErrNoProbe) || !cmp.Equal(got, tc.want) {
			t.Errorf("probeCommand(%q) = %q, %v, want %q (no probe: %v)", tc.test, got, err, tc.want, tc.noProbe)
		}
	}
}

func TestExecError(t *testing.T) {
	for _, tc := range []struct {
		msg     string
		noProbe bool
	}{
		{`OCI runtime exec failed: exec failed: unable to start container process: exec: "/bin/sh": stat /bin/sh: no such file or directory: unknown`, true},
		{`exec: "curl": executable file not found in $PATH`, true},
		{"sh: curl: not found", false},
		{"bash: /app/check: No such file or directory", false},
	} {
		if got := errors.Is(execError(errors.New(tc.msg)), engine.ErrNoProbe); got != tc.noProbe {
			t.Errorf("execError(%q) is ErrNoProbe = %v, want %v", tc.msg, got, tc.noProbe)
		}
	}
}
