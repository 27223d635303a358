//go:build crashtest

package cli

import (
	"os"

	"github.com/cutover/cutover/internal/engine"
)

// crashExitCode is the exit code of a fault-injected crash.
const crashExitCode = 99

// crashAfter returns a hook that ends the process at once, with no deferred
// cleanup, right after the named swap step: the reliability tests use it
// (CUTOVER_CRASH_AFTER=old-stopped, ...) to prove recovery. Empty: no hook.
// Only a binary built with the crashtest tag has it.
func crashAfter(step string) func(engine.SwapStep) {
	if step == "" {
		return nil
	}
	return func(s engine.SwapStep) {
		if string(s) == step {
			os.Exit(crashExitCode)
		}
	}
}
