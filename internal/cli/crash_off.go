//go:build !crashtest

package cli

import "github.com/cutover/cutover/internal/engine"

// crashAfter is the fault-injection hook of test builds (see crash.go):
// release builds have none, whatever the environment says.
func crashAfter(string) func(engine.SwapStep) { return nil }
