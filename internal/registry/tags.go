package registry

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// maxTagPages bounds a tag list, against a registry whose pages never end.
const maxTagPages = 1000

// Tags lists the tags of ref's repository ("nginx", "nginx:1.27" and
// "127.0.0.1:5000/team/app" all name one; a tag in ref is ignored), in the
// registry's order without repeats. It follows the registry's Link
// headers page by page, each page bounded by Options.Timeout, through the
// same session, token and 429 back-off as Digest; a tag list needs the
// same pull permission as a manifest, so Expect covers it too.
func (c *Client) Tags(ctx context.Context, ref string) ([]string, error) {
	repo, err := c.repository(ref)
	if err != nil {
		return nil, err
	}
	var tags []string
	err = c.call(ctx, repo, func(p *remote.Puller) error {
		var err error
		tags, err = listTags(ctx, p, repo, c.opts.Timeout)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tags, nil
}

func listTags(ctx context.Context, p *remote.Puller, repo name.Repository, timeout time.Duration) ([]string, error) {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	lister, err := p.Lister(pctx, repo)
	cancel()
	if err != nil {
		return nil, err
	}
	var (
		tags  []string
		seen  = map[string]bool{}
		pages = map[string]bool{}
	)
	for lister.HasNext() {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		page, err := lister.Next(pctx)
		cancel()
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tags {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
		if page.Next == "" {
			break
		}
		if pages[page.Next] || len(pages) == maxTagPages {
			return nil, reason(fmt.Sprintf("registry's tag list of %s does not end: stopped after %d pages", repo.RepositoryStr(), len(pages)+1))
		}
		pages[page.Next] = true
	}
	return slices.Clip(tags), nil
}

// repository reads ref as a repository, with or without a tag or digest.
func (c *Client) repository(ref string) (name.Repository, error) {
	r, err := c.reference(ref)
	if err != nil {
		return name.Repository{}, err
	}
	return r.Context(), nil
}

// reference reads ref as a tag ("latest" when none is given) or a digest.
func (c *Client) reference(ref string) (name.Reference, error) {
	var opts []name.Option
	if slices.Contains(c.opts.Insecure, hostOf(ref)) {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	return r, nil
}
