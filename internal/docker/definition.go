package docker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cutover/cutover/internal/engine"
)

// Define describes container id as a blueprint of itself, on the reference
// it was created with: what is journaled before a swap stops it.
func (r *Runtime) Define(ctx context.Context, id string) (engine.Definition, error) {
	in, err := r.inspect(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.Config == nil {
		return nil, fmt.Errorf("container %q: engine returned no configuration", id)
	}
	peer := ""
	if in.HostConfig != nil && in.HostConfig.NetworkMode.IsContainer() {
		peer = in.HostConfig.NetworkMode.ConnectedContainer()
	}
	bp, err := r.blueprint(ctx, id, in.Config.Image, peer, false)
	if err != nil {
		return nil, err
	}
	// The marks of the swap that made it describe that swap, not it.
	bp.Config.Labels = withMarks(bp.Config.Labels, nil)
	def, err := json.Marshal(bp)
	if err != nil {
		return nil, fmt.Errorf("definition of %s: %w", id, err)
	}
	return def, nil
}

// Rebuild creates, without starting it, a container named name from a
// definition Define returned. Its image is found by the reference it was
// created with, which the caller points back at the right image first.
func (r *Runtime) Rebuild(ctx context.Context, def engine.Definition, name string) (string, error) {
	var bp blueprint
	if err := json.Unmarshal(def, &bp); err != nil {
		return "", fmt.Errorf("definition of %s: %w", name, err)
	}
	if bp.Config == nil || bp.HostConfig == nil {
		return "", fmt.Errorf("definition of %s has no configuration", name)
	}
	return r.create(ctx, name, bp)
}
