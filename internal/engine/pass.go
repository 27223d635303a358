package engine

import "context"

// PassOptions say what a pass does: settle the swaps a crash left, check,
// plan and apply.
type PassOptions struct {
	Recover bool
	Check   CheckOptions
	Plan    PlanOptions
	Apply   ApplyOptions
}

// PassResult is what a pass did.
type PassResult struct {
	// Checked is the check's report; Err is set when the check failed, and
	// nothing was applied.
	Checked Report
	Err     error
	Summary Summary
	// RecoverErr says why recovery was left incomplete.
	RecoverErr error
}

// Pass recovers when asked, then checks, plans and applies, in that order.
func (e *Engine) Pass(ctx context.Context, opts PassOptions, sink Sink) PassResult {
	var res PassResult
	if opts.Recover {
		_, res.RecoverErr = e.Recover(ctx)
	}
	if res.Checked, res.Err = e.Check(ctx, opts.Check); res.Err != nil {
		return res
	}
	res.Summary = e.Apply(ctx, e.Plan(res.Checked, opts.Plan), opts.Apply, sink)
	return res
}
