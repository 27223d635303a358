package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cutover/cutover/internal/engine"
)

// AmbiguousError names a container that several engines run under one
// name: the request must say which engine.
type AmbiguousError struct {
	Name  string
	Hosts []string
}

func (e *AmbiguousError) Error() string {
	full := make([]string, len(e.Hosts))
	for i, h := range e.Hosts {
		full[i] = engine.FullName(h, e.Name)
	}
	return fmt.Sprintf("container %q runs on several engines (%s): name one as %s", e.Name, strings.Join(e.Hosts, ", "), strings.Join(full, " or "))
}

// Unwrap makes the error a request's fault (engine.ErrInvalid).
func (e *AmbiguousError) Unwrap() error { return engine.ErrInvalid }

// Check checks every engine at once, each with opts, and merges their
// reports; Report.Hosts says which engine could not be checked, and why.
// Names in opts.Names are ENGINE/NAME, or a bare name that exactly one
// engine has (see locate). Check fails only when no engine could be
// checked, or a name does not resolve. Registry answers are shared among
// the engines for the length of the check.
func (f *Fleet) Check(ctx context.Context, opts engine.CheckOptions) (engine.Report, error) {
	ctx = withMemo(ctx)
	names := map[int][]string{}
	if len(opts.Names) > 0 {
		var err error
		if names, err = f.resolve(ctx, opts.Names, opts.IncludeStopped); err != nil {
			return engine.Report{}, err
		}
	}
	reports := make([]engine.Report, len(f.members))
	errs := make([]error, len(f.members))
	asked := make([]bool, len(f.members))
	f.each(func(i int, m Member) {
		o := opts
		if len(opts.Names) > 0 {
			if o.Names = names[i]; len(o.Names) == 0 {
				return
			}
		}
		asked[i] = true
		reports[i], errs[i] = m.Engine.Check(ctx, o)
	})
	for i, err := range errs {
		if len(opts.Names) > 0 && engine.IsNotFound(err) {
			// A container named on an engine that answered without it is
			// the request's fault, not the engine's.
			return engine.Report{}, f.wrap(f.members[i], err)
		}
	}
	return f.merge(reports, errs, asked)
}

// merge folds the reports of the members asked into one, with the state of
// each; it fails when every member asked failed.
func (f *Fleet) merge(reports []engine.Report, errs []error, asked []bool) (engine.Report, error) {
	f.note(errs, asked)
	var ok []engine.Report
	var hosts []engine.HostState
	var failed []error
	for i, m := range f.members {
		if !asked[i] {
			continue
		}
		hosts = append(hosts, engine.HostState{Host: m.Name, Err: errs[i]})
		if errs[i] != nil {
			failed = append(failed, f.wrap(m, errs[i]))
			continue
		}
		ok = append(ok, reports[i])
	}
	if len(ok) == 0 && len(failed) > 0 {
		return engine.Report{}, errors.Join(failed...)
	}
	out := engine.Merge(ok...)
	out.Hosts = hosts
	return out, nil
}

// resolve assigns each name to the index of the member that has it.
func (f *Fleet) resolve(ctx context.Context, names []string, all bool) (map[int][]string, error) {
	out := map[int][]string{}
	var bare []string
	for _, n := range names {
		host, name := engine.SplitName(n)
		if host == "" && len(f.members) > 1 {
			bare = append(bare, name)
			continue
		}
		i := f.index(host)
		if host != "" && len(f.members) == 1 && host == f.members[0].Name {
			i = 0
		}
		if i < 0 {
			return nil, &UnknownHostError{Host: host, Hosts: f.Names()}
		}
		out[i] = append(out[i], name)
	}
	if len(bare) == 0 {
		return out, nil
	}
	lists, down := f.list(ctx, all)
	for _, n := range bare {
		has := make([]bool, len(lists))
		for i, cs := range lists {
			has[i] = slices.ContainsFunc(cs, func(c engine.Container) bool { return c.Named(n) })
		}
		what := "running container"
		if all {
			what = "container"
		}
		i, err := f.locate(n, has, down, what)
		if err != nil {
			return nil, err
		}
		out[i] = append(out[i], n)
	}
	return out, nil
}

// list lists every member's containers at once; down says why a member
// could not list them.
func (f *Fleet) list(ctx context.Context, all bool) ([][]engine.Container, []error) {
	lists := make([][]engine.Container, len(f.members))
	down := make([]error, len(f.members))
	f.each(func(i int, m Member) {
		lists[i], down[i] = m.Engine.Containers(ctx, all)
	})
	f.note(down)
	return lists, down
}

// locate picks the one member that has a container named name (has). One
// found among the engines that answered is the one meant, whatever those
// that did not (down) might hold: an engine down must not block requests
// for the others.
func (f *Fleet) locate(name string, has []bool, down []error, what string) (int, error) {
	var found []int
	for i, ok := range has {
		if ok {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		msg := fmt.Sprintf("no %s named %s on any engine", what, name)
		var silent []string
		for i, err := range down {
			if err != nil {
				silent = append(silent, f.members[i].Name+" ("+err.Error()+")")
			}
		}
		if len(silent) > 0 {
			msg += "; no answer from " + strings.Join(silent, ", ")
		}
		return -1, fmt.Errorf("%s: %w", msg, engine.ErrNotFound)
	}
	amb := &AmbiguousError{Name: name}
	for _, i := range found {
		amb.Hosts = append(amb.Hosts, f.members[i].Name)
	}
	return -1, amb
}

// Containers lists every engine's containers at once (all: stopped ones
// too); an engine that does not answer is left out, and States says so. It
// fails when no engine answered.
func (f *Fleet) Containers(ctx context.Context, all bool) ([]engine.Container, error) {
	lists, down := f.list(ctx, all)
	var out []engine.Container
	var failed []error
	for i, m := range f.members {
		if down[i] != nil {
			failed = append(failed, f.wrap(m, down[i]))
			continue
		}
		out = append(out, lists[i]...)
	}
	if len(failed) == len(f.members) {
		return nil, errors.Join(failed...)
	}
	return out, nil
}

// CheckContainers checks containers listed by Containers, each on its
// engine, all engines at once, reusing the registry answers known.
func (f *Fleet) CheckContainers(ctx context.Context, cs []engine.Container, known engine.Remote) (engine.Report, error) {
	ctx = withMemo(ctx)
	parts := make([][]engine.Container, len(f.members))
	for _, c := range cs {
		if i := f.index(c.Host); i >= 0 {
			parts[i] = append(parts[i], c)
		}
	}
	reports := make([]engine.Report, len(f.members))
	errs := make([]error, len(f.members))
	f.each(func(i int, m Member) {
		reports[i], errs[i] = m.Engine.CheckContainers(ctx, parts[i], known)
	})
	return f.merge(reports, errs, slicesOf(true, len(f.members)))
}
