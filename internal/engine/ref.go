package engine

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Reference is a parsed image reference: by tag, or pinned to a digest.
type Reference struct {
	// Normal is the reference with registry and ":latest" made explicit only
	// where the user would expect them: "nginx:latest", "127.0.0.1:5000/team/app:1.2",
	// "127.0.0.1:5000/team/app@sha256:...". It is what a pull asks for.
	Normal string
	// Repository is the full repository name without tag, Docker Hub made
	// explicit: "index.docker.io/library/nginx".
	Repository string
	// Host is the registry host: "index.docker.io", "127.0.0.1:5000".
	Host string
	// Tag is the tag; "latest" when neither a tag nor a digest is given, ""
	// for a digest without a tag.
	Tag string
	// Digest is the manifest digest a pinned reference names ("sha256:..."),
	// else "".
	Digest string
}

// Pinned reports whether r names a digest: pulling it always gives the same
// image, whatever its tag says.
func (r Reference) Pinned() bool { return r.Digest != "" }

// ParseReference parses an image reference as the Docker CLI does, adding
// ":latest" when neither a tag nor a digest is given. "repo@sha256:..." and
// "repo:tag@sha256:..." are pinned to that digest. Image ids are refused:
// they name no repository to pull from.
func ParseReference(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("empty image reference")
	}
	if strings.HasPrefix(s, "sha256:") {
		return Reference{}, fmt.Errorf("%q is an image id, not a tag: there is no newer image to look for", s)
	}
	if strings.Contains(s, "@") {
		return parsePinned(s)
	}
	tag, err := name.NewTag(s, name.WithDefaultTag("latest"))
	if err != nil {
		return Reference{}, fmt.Errorf("invalid image reference %q: %w", s, err)
	}
	repo := tag.Context()
	if !validPath(repo.RepositoryStr()) {
		return Reference{}, fmt.Errorf("invalid image reference %q: a path component must be lower-case letters and digits, separated by '.', '_', '__' or dashes", s)
	}
	return Reference{
		Normal:     shortName(repo) + ":" + tag.TagStr(),
		Repository: repo.Name(),
		Host:       repo.RegistryStr(),
		Tag:        tag.TagStr(),
	}, nil
}

// parsePinned parses "repo@sha256:..." or "repo:tag@sha256:...".
func parsePinned(s string) (Reference, error) {
	d, err := name.NewDigest(s)
	if err != nil {
		return Reference{}, fmt.Errorf("invalid image reference %q: %w", s, err)
	}
	base, _, _ := strings.Cut(s, "@")
	var tag string
	if stripped := stripTag(base); stripped != base {
		tag = base[len(stripped)+1:]
		if _, err := name.NewTag(base); err != nil || tag == "" {
			return Reference{}, fmt.Errorf("invalid image reference %q: bad tag %q", s, tag)
		}
	}
	repo := d.Context()
	if !validPath(repo.RepositoryStr()) {
		return Reference{}, fmt.Errorf("invalid image reference %q: a path component must be lower-case letters and digits, separated by '.', '_', '__' or dashes", s)
	}
	normal := shortName(repo)
	if tag != "" {
		normal += ":" + tag
	}
	return Reference{
		Normal:     normal + "@" + d.DigestStr(),
		Repository: repo.Name(),
		Host:       repo.RegistryStr(),
		Tag:        tag,
		Digest:     d.DigestStr(),
	}, nil
}

// parseTracked is ParseReference for what a check follows: a tag. A
// container pinned to a digest is followed through its tag
// ("repo:tag@sha256:..."); one pinned without a tag has nothing to follow.
func parseTracked(s string) (Reference, error) {
	ref, err := ParseReference(s)
	if err == nil && ref.Pinned() && ref.Tag == "" {
		return Reference{}, fmt.Errorf("%q is pinned to a digest with no tag: there is no newer image to look for", s)
	}
	return ref, err
}

// pathComponent is the Docker engine's grammar for one component of a
// repository path. go-containerregistry is laxer ("./", "a..b" pass), and a
// reference the engine would refuse must not get as far as a pull.
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

func validPath(path string) bool {
	for _, c := range strings.Split(path, "/") {
		if !pathComponent.MatchString(c) {
			return false
		}
	}
	return true
}

// shortName writes a repository the way users type it: Docker Hub's host and
// "library/" prefix left out.
func shortName(repo name.Repository) string {
	path := repo.RepositoryStr()
	if repo.RegistryStr() == name.DefaultRegistry {
		// "library/a/b" is not "a/b": only an official image loses it, and
		// not one named sha256, whose short form would read as an image id.
		if rest, ok := strings.CutPrefix(path, "library/"); ok && !strings.Contains(rest, "/") && rest != "sha256" {
			return rest
		}
		// Without its host, "docker.io/a.b/c" would name host "a.b".
		if first, _, _ := strings.Cut(path, "/"); !strings.ContainsAny(first, ".:") && first != "localhost" {
			return path
		}
	}
	return repo.RegistryStr() + "/" + path
}

// repositoryOf returns the full repository of a "repo@digest" or "repo:tag"
// string, or "" when it does not parse.
func repositoryOf(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		s = s[:i]
	}
	r, err := name.NewRepository(stripTag(s))
	if err != nil {
		return ""
	}
	return r.Name()
}

func stripTag(s string) string {
	slash := strings.LastIndex(s, "/")
	if colon := strings.LastIndex(s, ":"); colon > slash {
		return s[:colon]
	}
	return s
}

// digestFor returns the first digest among repoDigests that belongs to
// repository.
func digestFor(repoDigests []string, repository string) string {
	if ds := digestsFor(repoDigests, repository); len(ds) > 0 {
		return ds[0]
	}
	return ""
}

// digestsFor returns every digest among repoDigests that belongs to
// repository.
func digestsFor(repoDigests []string, repository string) []string {
	var out []string
	for _, rd := range repoDigests {
		i := strings.Index(rd, "@")
		if i < 0 {
			continue
		}
		if repositoryOf(rd) == repository {
			out = append(out, rd[i+1:])
		}
	}
	return out
}
