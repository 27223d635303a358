package docker

import "context"

// APIVersion returns the engine API version cutover and the engine settled
// on: the lower of the two sides' own, unless DOCKER_API_VERSION pins it.
// It needs only the engine's ping, which every socket proxy lets through.
func (r *Runtime) APIVersion(ctx context.Context) (string, error) {
	return r.apiVersion(ctx)
}
