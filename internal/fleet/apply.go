package fleet

import (
	"context"
	"errors"
	"slices"

	"github.com/cutover/cutover/internal/engine"
)

// Plan turns a report of the fleet into the steps an update takes: each
// engine plans its own containers.
func (f *Fleet) Plan(report engine.Report, opts engine.PlanOptions) engine.Plan {
	parts := make([]engine.Report, len(f.members))
	for _, g := range report.Groups {
		for _, cs := range g.Containers {
			i := f.index(cs.Container.Host)
			if i < 0 {
				continue
			}
			p := &parts[i]
			if n := len(p.Groups); n == 0 || p.Groups[n-1].Image != g.Image {
				sub := g
				sub.Containers = nil
				p.Groups = append(p.Groups, sub)
			}
			last := &p.Groups[len(p.Groups)-1]
			last.Containers = append(last.Containers, cs)
		}
	}
	var out engine.Plan
	for i, m := range f.members {
		if len(parts[i].Groups) == 0 {
			continue
		}
		p := m.Engine.Plan(parts[i], opts)
		out.Steps = append(out.Steps, p.Steps...)
		out.Skipped = append(out.Skipped, p.Skipped...)
		out.Fresh = append(out.Fresh, p.Fresh...)
		out.Scanned += p.Scanned
	}
	return out
}

// Apply carries a plan of the fleet out, every engine its own steps, all
// engines at once, and merges their summaries.
func (f *Fleet) Apply(ctx context.Context, plan engine.Plan, opts engine.ApplyOptions, sink engine.Sink) engine.Summary {
	parts := f.split(plan)
	sums := make([]engine.Summary, len(f.members))
	f.each(func(i int, m Member) {
		if p := parts[i]; p.Scanned > 0 {
			sums[i] = m.Engine.Apply(ctx, p, opts, sink)
		}
	})
	var out engine.Summary
	for _, s := range sums {
		out.Join(s)
	}
	return out
}

// split divides a plan by engine.
func (f *Fleet) split(plan engine.Plan) []engine.Plan {
	parts := make([]engine.Plan, len(f.members))
	at := func(c engine.Container) *engine.Plan {
		i := f.index(c.Host)
		if i < 0 {
			return nil
		}
		parts[i].Scanned++
		return &parts[i]
	}
	for _, s := range plan.Steps {
		if p := at(s.Container); p != nil {
			p.Steps = append(p.Steps, s)
		}
	}
	for _, s := range plan.Skipped {
		if p := at(s.Container); p != nil {
			p.Skipped = append(p.Skipped, s)
		}
	}
	for _, c := range plan.Fresh {
		if p := at(c); p != nil {
			p.Fresh = append(p.Fresh, c)
		}
	}
	if len(f.members) == 1 {
		// One engine's plan goes as it came, with the count it had.
		parts[0].Scanned = max(parts[0].Scanned, plan.Scanned)
	}
	return parts
}

// Pass runs a pass on every engine at once, each at its own pace: an
// engine slow to answer, or that stops answering half way, holds back only
// its own containers. Registry answers are shared among the engines for
// the length of the pass. Checked merges the reports of the engines that
// could be checked, its Hosts saying which could not and why; Err is set
// only when none could. A pass selects containers with opts.Check.Admit:
// names in opts.Check.Names are each engine's own.
func (f *Fleet) Pass(ctx context.Context, opts engine.PassOptions, sink engine.Sink) engine.PassResult {
	ctx = withMemo(ctx)
	results := make([]engine.PassResult, len(f.members))
	f.each(func(i int, m Member) {
		results[i] = m.Engine.Pass(ctx, opts, sink)
	})
	reports := make([]engine.Report, len(f.members))
	errs := make([]error, len(f.members))
	var out engine.PassResult
	var recovery []error
	for i, r := range results {
		reports[i], errs[i] = r.Checked, r.Err
		if r.Err == nil {
			out.Summary.Join(r.Summary)
		}
		if r.RecoverErr != nil {
			recovery = append(recovery, f.wrap(f.members[i], r.RecoverErr))
		}
	}
	out.Checked, out.Err = f.merge(reports, errs, slicesOf(true, len(f.members)))
	out.RecoverErr = errors.Join(recovery...)
	return out
}

func slicesOf[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// fullNames writes a member's container names as people see them.
func (f *Fleet) fullNames(m Member, names []string) []string {
	out := slices.Clone(names)
	for i, n := range out {
		out[i] = engine.FullName(m.Engine.Host(), n)
	}
	return out
}

// Recover settles, on every engine at once, what swaps cut short left
// behind: each engine's journal against that engine only. Names are full
// names.
func (f *Fleet) Recover(ctx context.Context) (engine.Recovery, error) {
	recs := make([]engine.Recovery, len(f.members))
	errs := make([]error, len(f.members))
	f.each(func(i int, m Member) {
		recs[i], errs[i] = m.Engine.Recover(ctx)
	})
	var out engine.Recovery
	var all []error
	for i, m := range f.members {
		out.Kept = append(out.Kept, f.fullNames(m, recs[i].Kept)...)
		out.RolledBack = append(out.RolledBack, f.fullNames(m, recs[i].RolledBack)...)
		for _, err := range recs[i].Errors {
			out.Errors = append(out.Errors, f.wrap(m, err))
		}
		if errs[i] != nil {
			all = append(all, f.wrap(m, errs[i]))
		}
	}
	return out, errors.Join(all...)
}

// Abandoned reports whether any engine's journal holds a swap a crash, or
// an engine restart, cut short.
func (f *Fleet) Abandoned(ctx context.Context) bool {
	return slices.ContainsFunc(f.members, func(m Member) bool { return m.Engine.Abandoned(ctx) })
}

// Drain refuses every new swap on every engine and waits until those in
// flight have ended, or ctx ends; it reports whether they all ended.
func (f *Fleet) Drain(ctx context.Context) bool {
	done := make([]bool, len(f.members))
	f.each(func(i int, m Member) { done[i] = m.Engine.Drain(ctx) })
	return !slices.Contains(done, false)
}

// Skip holds the version offered to cs's container on its engine (see
// engine.Engine.Skip).
func (f *Fleet) Skip(ctx context.Context, cs engine.ContainerStatus, by string) (engine.Hold, error) {
	m, err := f.Member(cs.Container.Host)
	if err != nil {
		return engine.Hold{}, err
	}
	return m.Engine.Skip(ctx, cs, by)
}

// Unskip releases the hold of the container name names: ENGINE/NAME, or
// a bare name on a fleet of one.
func (f *Fleet) Unskip(ctx context.Context, name string) error {
	host, bare := engine.SplitName(name)
	m, err := f.Member(host)
	if err != nil {
		return err
	}
	return m.Engine.Unskip(ctx, bare)
}
