package release

import (
	"net/url"
	"strings"
	"time"
)

// The OCI annotation keys an image's labels carry, by convention
// (https://github.com/opencontainers/image-spec/blob/main/annotations.md).
const (
	LabelVersion = "org.opencontainers.image.version"
	LabelSource  = "org.opencontainers.image.source"
	LabelURL     = "org.opencontainers.image.url"
)

// Image is what an image's configuration says about it.
type Image struct {
	// Digest is the manifest digest the reference resolved to: the index's
	// for a multi-platform image, so that it compares with what a tag
	// points to.
	Digest string
	// Created is the image's build time; zero when the image does not say.
	Created time.Time
	// Labels are the image's labels (LABEL in a Dockerfile).
	Labels map[string]string
}

// Version returns the version the image says it is (its
// org.opencontainers.image.version label), or "".
func (i Image) Version() string { return strings.TrimSpace(i.Labels[LabelVersion]) }

// NotesURL returns where to read about version of an image with these
// labels: for a GitHub source, the release of that tag
// (https://github.com/OWNER/REPO/releases/tag/VERSION, or the releases page
// when version is ""); otherwise the source itself, else the url label.
// Only http and https addresses are returned, since the result ends up as
// a link a user clicks and the labels are whatever the image's author
// wrote; "" when there is none.
//
// A GitHub release tag is often written differently from the image tag
// (v1.2.3 for the image 1.2.3); prefer the version label, which image
// builds usually set from the git tag, over the image tag as version.
func NotesURL(labels map[string]string, version string) string {
	source := strings.TrimSpace(labels[LabelSource])
	if owner, repo, ok := gitHubRepo(source); ok {
		u := "https://github.com/" + owner + "/" + repo + "/releases"
		if version = strings.TrimSpace(version); version != "" {
			u += "/tag/" + url.PathEscape(version)
		}
		return u
	}
	for _, v := range []string{source, strings.TrimSpace(labels[LabelURL])} {
		if u, ok := web(v); ok {
			return u
		}
	}
	return ""
}

// gitHubRepo reads the owner and repository of a GitHub address as sources
// are written: https://github.com/o/r, with .git, a path below it, or the
// scp-like git@github.com:o/r.git.
func gitHubRepo(s string) (owner, repo string, ok bool) {
	if rest, found := strings.CutPrefix(s, "git@github.com:"); found {
		s = "https://github.com/" + rest
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "git+https" && u.Scheme != "ssh" && u.Scheme != "git" {
		return "", "", false
	}
	if h := strings.ToLower(u.Hostname()); h != "github.com" && h != "www.github.com" {
		return "", "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return "", "", false
	}
	owner, repo = parts[0], strings.TrimSuffix(parts[1], ".git")
	if !gitHubName(owner) || !gitHubName(repo) {
		return "", "", false
	}
	return owner, repo, true
}

// gitHubName reports whether s can be a GitHub owner or repository name:
// letters, digits, '-', '_' and '.', and not a relative path.
func gitHubName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// web returns s in its escaped form if it is an absolute http or https
// address with a host and no user name (https://github.com@example.com is
// not GitHub).
func web(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", false
	}
	return u.String(), true
}
