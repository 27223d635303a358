//go:build crashtest

package cli

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/cutover/cutover/internal/engine"
)

// crashExitCode is the exit code of a fault-injected crash.
const crashExitCode = 99

// crashAfter returns a hook that ends the process at once, with no deferred
// cleanup, right after the named swap step: the reliability tests use it
// (CUTOVER_CRASH_AFTER=old-stopped, ...) to prove recovery. "step:N" ends it
// after the N-th time any swap takes the step, such as the second member of
// an atomic unit. Empty: no hook. Only a binary built with the crashtest tag
// has it.
func crashAfter(spec string) func(engine.SwapStep) {
	if spec == "" {
		return nil
	}
	step, nth, found := strings.Cut(spec, ":")
	n := 1
	if found {
		if v, err := strconv.Atoi(nth); err == nil && v > 0 {
			n = v
		}
	}
	var seen atomic.Int32
	return func(s engine.SwapStep) {
		if string(s) == step && int(seen.Add(1)) == n {
			os.Exit(crashExitCode)
		}
	}
}
