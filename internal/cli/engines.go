package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/fleet"
	"github.com/cutover/cutover/internal/httpapi"
	"github.com/cutover/cutover/internal/metrics"
)

// changes signals whenever containers change on any engine.
func (a *app) changes(ctx context.Context) <-chan struct{} {
	if len(a.members) == 1 {
		return a.rt.Changes(ctx)
	}
	out := make(chan struct{}, 1)
	for _, m := range a.members {
		in := m.rt.Changes(ctx)
		go func() {
			for range in {
				select {
				case out <- struct{}{}:
				default: // one signal pending is enough
				}
			}
		}()
	}
	return out
}

// enginePings answers /health for every engine, all asked at once.
type enginePings struct{ a *app }

func (p enginePings) PingEach(ctx context.Context) []httpapi.EngineAnswer {
	return answers(p.a.fleet.PingEach(ctx))
}

// answers are the fleet's states as the HTTP API shows them.
func answers(states []fleet.State) []httpapi.EngineAnswer {
	out := make([]httpapi.EngineAnswer, len(states))
	for i, s := range states {
		out[i] = httpapi.EngineAnswer{Host: s.Host, Err: s.Err, At: s.At}
	}
	return out
}

// downEngines is the error of a command that went over several engines
// when some did not answer: the others' results are printed, and the exit
// code says not every engine was seen.
func downEngines(hosts []engine.HostState) error {
	var down []string
	for _, h := range hosts {
		if h.Err != nil {
			down = append(down, fmt.Sprintf("engine %s: %s", h.Host, firstLine(h.Err.Error())))
		}
	}
	if len(down) == 0 {
		return nil
	}
	return &ExitError{Code: ExitUnreachable, Err: errors.New("not every engine answered: " + strings.Join(down, "; "))}
}

// engineStates is what each engine answered the last time it was asked,
// for cutover_engine_up: an engine never asked yet counts as up.
func (a *app) engineStates() []metrics.EngineState {
	var out []metrics.EngineState
	for _, s := range a.fleet.States() {
		out = append(out, metrics.EngineState{Host: s.Host, Up: s.Err == nil})
	}
	return out
}

// EngineStates is what each engine answered the last time it was asked,
// for the dashboard.
func (a *app) EngineStates() []httpapi.EngineAnswer { return answers(a.fleet.States()) }

// PruneDanglingImages prunes the dangling images of every engine: each
// removed image is named ENGINE/ID among several. An engine that fails
// its prune does not stop the others'; its error is returned with theirs.
func (a *app) PruneDanglingImages(ctx context.Context) ([]string, uint64, error) {
	if len(a.members) == 1 {
		return a.rt.PruneDanglingImages(ctx)
	}
	var removed []string
	var reclaimed uint64
	var errs []error
	for _, m := range a.members {
		ids, n, err := m.rt.PruneDanglingImages(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("engine %s: %w", m.spec.name, err))
		}
		for _, id := range ids {
			removed = append(removed, engine.FullName(m.spec.name, id))
		}
		reclaimed += n
	}
	return removed, reclaimed, errors.Join(errs...)
}

// checkFailed is the error of a check that failed: when no engine
// answered, the exit code says the engines are unreachable, as it does for
// one engine that does not answer at start.
func (a *app) checkFailed(err error) error {
	for _, s := range a.fleet.States() {
		if s.Err == nil {
			return err
		}
	}
	return &ExitError{Code: ExitUnreachable, Err: err}
}
