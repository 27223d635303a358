package docker

import (
	"context"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/cutover/cutover/internal/engine"
)

// Image inspects a local image by reference or id.
func (r *Runtime) Image(ctx context.Context, ref string) (engine.Image, error) {
	in, err := r.inspectImage(ctx, ref)
	if err != nil {
		return engine.Image{}, err
	}
	img := engine.Image{ID: in.ID, RepoDigests: in.RepoDigests}
	if in.Config != nil {
		img.Labels = in.Config.Labels
	}
	if len(in.RepoTags) == 0 && len(in.RepoDigests) == 0 && in.Descriptor != nil {
		img.Digest = in.Descriptor.Digest.String()
	}
	return img, nil
}

// RemoveImage removes an image and its untagged parents. It is not forced:
// an image a container still uses stays, and the engine's conflict error is
// returned for the caller to weigh.
func (r *Runtime) RemoveImage(ctx context.Context, id string) error {
	_, err := r.cli.ImageRemove(ctx, id, client.ImageRemoveOptions{PruneChildren: true})
	return notFound("image", id, err)
}

// Tag points the local tag ref at image id.
func (r *Runtime) Tag(ctx context.Context, id, ref string) error {
	_, err := r.cli.ImageTag(ctx, client.ImageTagOptions{Source: id, Target: ref})
	return notFound("image", id, err)
}

func (r *Runtime) inspectImage(ctx context.Context, ref string) (image.InspectResponse, error) {
	res, err := r.cli.ImageInspect(ctx, ref)
	if err != nil {
		return image.InspectResponse{}, notFound("image", ref, err)
	}
	return res.InspectResponse, nil
}
