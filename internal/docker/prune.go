package docker

import (
	"context"

	"github.com/moby/moby/client"
)

// PruneDanglingImages removes the images that no tag names and no container
// uses (what a pull leaves behind when a tag moves on), and returns the ids
// of the images removed and the bytes freed.
func (r *Runtime) PruneDanglingImages(ctx context.Context) (removed []string, reclaimed uint64, err error) {
	res, err := r.cli.ImagePrune(ctx, client.ImagePruneOptions{Filters: make(client.Filters).Add("dangling", "true")})
	if err != nil {
		return nil, 0, err
	}
	for _, d := range res.Report.ImagesDeleted {
		if d.Deleted != "" {
			removed = append(removed, d.Deleted)
		}
	}
	return removed, res.Report.SpaceReclaimed, nil
}
