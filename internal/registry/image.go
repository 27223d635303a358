package registry

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/singleflight"

	"github.com/cutover/cutover/internal/release"
)

// imageCacheSize is how many images' configurations a Client remembers:
// more than the distinct offered versions of a large fleet.
const imageCacheSize = 512

// Image returns what the configuration of the image ref names says: its
// build time and labels. ref is a tag or a digest ("repo@sha256:…"). For a
// multi-platform index it reads the image of Options.Platform. Answers are
// cached by digest: asking again by digest costs no request, by tag one
// (the manifest, to learn the digest). A first answer costs a manifest, the
// platform's manifest for an index, and the configuration blob. Concurrent
// calls for the same reference share one fetch, made with the first
// caller's context. A registry that counts pulls (Docker Hub) counts the
// manifest requests, not the blob.
func (c *Client) Image(ctx context.Context, ref string) (release.Image, error) {
	r, err := c.reference(ref)
	if err != nil {
		return release.Image{}, err
	}
	if d, ok := r.(name.Digest); ok {
		if img, ok := c.images.get(d.DigestStr()); ok {
			return img, nil
		}
	}
	v, err, _ := c.images.flight.Do(r.Name(), func() (any, error) {
		var img release.Image
		err := c.call(ctx, r.Context(), func(p *remote.Puller) error {
			ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
			defer cancel()
			var err error
			img, err = c.fetchImage(ctx, p, r)
			return err
		})
		return img, err
	})
	if err != nil {
		return release.Image{}, err
	}
	return cloneImage(v.(release.Image)), nil
}

// fetchImage reads the manifest r points to, the platform's manifest when
// that is an index, and the configuration.
func (c *Client) fetchImage(ctx context.Context, p *remote.Puller, r name.Reference) (release.Image, error) {
	desc, err := p.Get(ctx, r)
	if err != nil {
		return release.Image{}, err
	}
	if img, ok := c.images.get(desc.Digest.String()); ok {
		return img, nil
	}
	var img v1.Image
	switch {
	case desc.MediaType.IsIndex():
		img, err = c.platformImage(desc, r)
	case desc.MediaType.IsSchema1():
		return release.Image{}, reason(fmt.Sprintf("%s is a Docker schema 1 image, whose configuration cutover cannot read", r))
	default:
		img, err = desc.Image()
	}
	if err != nil {
		return release.Image{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return release.Image{}, err
	}
	out := release.Image{Digest: desc.Digest.String(), Labels: cf.Config.Labels}
	// Reproducible builds (ko, nix, SOURCE_DATE_EPOCH=0) stamp the epoch:
	// that says nothing about when the image was made.
	if t := cf.Created.Time; !t.IsZero() && t.Unix() > 0 {
		out.Created = t.UTC()
	}
	c.images.put(out)
	return out, nil
}

// platformImage picks the image of the client's platform from an index,
// as the engine would pull it; a child without a platform counts as
// linux/amd64, as go-containerregistry has it.
func (c *Client) platformImage(desc *remote.Descriptor, r name.Reference) (v1.Image, error) {
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, child := range m.Manifests {
		p := v1.Platform{OS: "linux", Architecture: "amd64"}
		if child.Platform != nil {
			p = *child.Platform
		}
		if p.Satisfies(c.platform) && (child.MediaType.IsImage() || child.MediaType.IsIndex()) {
			return idx.Image(child.Digest)
		}
	}
	return nil, reason(fmt.Sprintf("%s has no image for %s", r, c.platform))
}

// parsePlatform reads os/arch[/variant], refusing what would match any
// platform.
func parsePlatform(s string) (v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" || p.OSVersion != "" || s != strings.TrimSpace(s) {
		return v1.Platform{}, fmt.Errorf("invalid platform %q: want os/arch or os/arch/variant, for example linux/arm64", s)
	}
	return *p, nil
}

// imageCache remembers images by digest, forgetting the oldest first.
type imageCache struct {
	flight singleflight.Group

	mu    sync.Mutex
	max   int
	byKey map[string]release.Image
	order []string
}

func newImageCache(max int) *imageCache {
	return &imageCache{max: max, byKey: map[string]release.Image{}}
}

func (c *imageCache) get(digest string) (release.Image, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	img, ok := c.byKey[digest]
	return cloneImage(img), ok
}

func (c *imageCache) put(img release.Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[img.Digest]; ok {
		return
	}
	if len(c.order) == c.max {
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
	}
	c.byKey[img.Digest] = cloneImage(img)
	c.order = append(c.order, img.Digest)
}

// cloneImage copies img's labels, so no caller can change the cache's.
func cloneImage(img release.Image) release.Image {
	img.Labels = maps.Clone(img.Labels)
	return img
}
