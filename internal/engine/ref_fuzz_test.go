package engine

import (
	"strings"
	"testing"
)

// FuzzParseReference checks that any string, as a label, a request or a
// container's configuration may carry it, either is refused or parses to a
// reference whose normal form parses back to itself.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"nginx", "nginx:1.27", "library/nginx:latest", "docker.io/library/nginx",
		"index.docker.io/nginx:alpine", "127.0.0.1:5000/team/app:1.2", "localhost/app",
		"[::1]:5000/app:v1", "ghcr.io/owner/repo/sub:tag_1.0-rc", "registry.example.com:443/a/b/c",
		"", ":", "@", "sha256:" + strings.Repeat("a", 64), "nginx@sha256:" + strings.Repeat("0", 64),
		"127.0.0.1:5000/team/app:1.2@sha256:" + strings.Repeat("a", 64), "app@sha256:" + strings.Repeat("a", 63), "app@md5:0", "a@b@c",
		"app:@sha256:" + strings.Repeat("a", 64), "app:Bad!@sha256:" + strings.Repeat("a", 64),
		"Nginx", "nginx:", "nginx::tag", "a/../b", "../../etc/passwd", "nginx:" + strings.Repeat("x", 129),
		"host:port/app", "ex ample/app", "app\x00:latest", "app\r\nX-Header: 1", "%2e%2e/app", "ünïcode/app",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseReference(s)
		if err != nil {
			if ref != (Reference{}) {
				t.Fatalf("ParseReference(%q) failed with %v but returned %+v", s, err, ref)
			}
			return
		}
		if ref.Repository == "" || ref.Host == "" || ref.Tag == "" && ref.Digest == "" || ref.Normal == "" {
			t.Fatalf("ParseReference(%q): got %+v, want every field set (tag or digest)", s, ref)
		}
		again, err := ParseReference(ref.Normal)
		if err != nil {
			t.Fatalf("ParseReference(%q).Normal = %q does not parse: %v", s, ref.Normal, err)
		}
		if again != ref {
			t.Fatalf("ParseReference(%q): got %+v, but its normal form %q parses to %+v", s, ref, ref.Normal, again)
		}
		switch {
		case ref.Pinned() && !strings.HasSuffix(ref.Normal, "@"+ref.Digest):
			t.Fatalf("ParseReference(%q): normal form %q does not end in digest %q", s, ref.Normal, ref.Digest)
		case ref.Pinned() && ref.Tag != "" && !strings.Contains(ref.Normal, ":"+ref.Tag+"@"):
			t.Fatalf("ParseReference(%q): normal form %q does not carry tag %q", s, ref.Normal, ref.Tag)
		case !ref.Pinned() && !strings.HasSuffix(ref.Normal, ":"+ref.Tag):
			t.Fatalf("ParseReference(%q): normal form %q does not end in tag %q", s, ref.Normal, ref.Tag)
		case ref.Pinned() != strings.Contains(s, "@"):
			t.Fatalf("ParseReference(%q): got digest %q, want one exactly when the input names one", s, ref.Digest)
		}
		if !strings.HasPrefix(ref.Repository, ref.Host+"/") {
			t.Fatalf("ParseReference(%q): repository %q is not on host %q", s, ref.Repository, ref.Host)
		}
	})
}
