package daemon

import (
	"context"

	"github.com/cutover/cutover/internal/engine"
)

// Engines are the Docker engines the daemon watches, through the update
// engine: one (*engine.Engine) or several (*fleet.Fleet). Containers of
// one among several are named ENGINE/NAME (engine.Container.FullName).
type Engines interface {
	Containers(ctx context.Context, all bool) ([]engine.Container, error)
	Check(ctx context.Context, opts engine.CheckOptions) (engine.Report, error)
	CheckContainers(ctx context.Context, cs []engine.Container, known engine.Remote) (engine.Report, error)
	Plan(report engine.Report, opts engine.PlanOptions) engine.Plan
	Apply(ctx context.Context, plan engine.Plan, opts engine.ApplyOptions, sink engine.Sink) engine.Summary
	Recover(ctx context.Context) (engine.Recovery, error)
	Abandoned(ctx context.Context) bool
	Skip(ctx context.Context, cs engine.ContainerStatus, by string) (engine.Hold, error)
	Unskip(ctx context.Context, name string) error
	// Pass recovers, checks, plans and applies: among several engines,
	// each at its own pace.
	Pass(ctx context.Context, opts engine.PassOptions, sink engine.Sink) engine.PassResult
}
