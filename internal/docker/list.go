package docker

import (
	"context"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/cutover/cutover/internal/engine"
)

// inspectLimit bounds the inspects Containers runs at once.
const inspectLimit = 8

// Containers lists containers, inspecting each: the list alone lacks the
// configured image reference and the healthcheck. A container removed
// between the list and its inspect is left out.
func (r *Runtime) Containers(ctx context.Context, all bool) ([]engine.Container, error) {
	list, err := r.cli.ContainerList(ctx, client.ContainerListOptions{All: all})
	if err != nil {
		return nil, err
	}
	found := make([]*engine.Container, len(list.Items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inspectLimit)
	for i, item := range list.Items {
		g.Go(func() error {
			in, err := r.inspect(gctx, item.ID)
			if isNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			c := toContainer(in)
			found[i] = &c
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]engine.Container, 0, len(found))
	for _, c := range found {
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// Container inspects one container by id or name.
func (r *Runtime) Container(ctx context.Context, idOrName string) (engine.Container, error) {
	in, err := r.inspect(ctx, idOrName)
	if err != nil {
		return engine.Container{}, err
	}
	return toContainer(in), nil
}

// Health reports the state of a container as the engine sees it.
func (r *Runtime) Health(ctx context.Context, id string) (engine.HealthState, error) {
	in, err := r.inspect(ctx, id)
	if err != nil {
		return engine.HealthState{}, err
	}
	return toHealth(in), nil
}

// inspect inspects a container; a missing one is engine.ErrNotFound.
func (r *Runtime) inspect(ctx context.Context, idOrName string) (container.InspectResponse, error) {
	res, err := r.cli.ContainerInspect(ctx, idOrName, client.ContainerInspectOptions{})
	if err != nil {
		return container.InspectResponse{}, notFound("container", idOrName, err)
	}
	return res.Container, nil
}
