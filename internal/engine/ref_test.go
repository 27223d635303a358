package engine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseReference(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		in   string
		want Reference
	}{
		{"nginx", Reference{Normal: "nginx:latest", Repository: "index.docker.io/library/nginx", Host: "index.docker.io", Tag: "latest"}},
		{"127.0.0.1:5000/team/app:1.2", Reference{Normal: "127.0.0.1:5000/team/app:1.2", Repository: "127.0.0.1:5000/team/app", Host: "127.0.0.1:5000", Tag: "1.2"}},
		{"nginx@" + d, Reference{Normal: "nginx@" + d, Repository: "index.docker.io/library/nginx", Host: "index.docker.io", Digest: d}},
		{"docker.io/library/nginx:1.27@" + d, Reference{Normal: "nginx:1.27@" + d, Repository: "index.docker.io/library/nginx", Host: "index.docker.io", Tag: "1.27", Digest: d}},
		{"127.0.0.1:5000/team/app@" + d, Reference{Normal: "127.0.0.1:5000/team/app@" + d, Repository: "127.0.0.1:5000/team/app", Host: "127.0.0.1:5000", Digest: d}},
		{"127.0.0.1:5000/team/app:1.2@" + d, Reference{Normal: "127.0.0.1:5000/team/app:1.2@" + d, Repository: "127.0.0.1:5000/team/app", Host: "127.0.0.1:5000", Tag: "1.2", Digest: d}},
	} {
		got, err := ParseReference(tc.in)
		if err != nil {
			t.Errorf("ParseReference(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseReference(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseReferenceRefuses(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for in, want := range map[string]string{
		"":                                     "empty image reference",
		d:                                      "is an image id",
		"nginx@sha256:abc":                     "invalid image reference",
		"nginx@md5:" + strings.Repeat("a", 32): "invalid image reference",
		"nginx@" + d + "@" + d:                 "invalid image reference",
		"nginx:@" + d:                          "invalid image reference",
		"Nginx@" + d:                           "invalid image reference",
		"a/../b@" + d:                          "invalid image reference",
	} {
		if got, err := ParseReference(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseReference(%q): got %+v, %v; want an error saying %q", in, got, err, want)
		}
	}
}

// A check follows tags: a container pinned to a digest is followed through
// its tag, and one pinned without a tag is reported, not looked up.
func TestParseTrackedFollowsThePinnedTag(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	if _, err := parseTracked("nginx@" + d); err == nil || !strings.Contains(err.Error(), "is pinned to a digest with no tag: there is no newer image to look for") {
		t.Errorf("parseTracked(nginx@%s): got %v, want the pinned reason", d, err)
	}
	if ref, err := parseTracked("nginx:1.27@" + d); err != nil || ref.Normal != "nginx:1.27@"+d || tagOnly(ref) != "nginx:1.27" || ref.Digest != d {
		t.Errorf("parseTracked(nginx:1.27@%s): got %+v, %v; want it followed through nginx:1.27", d, ref, err)
	}
	if ref, err := parseTracked("nginx:1.27"); err != nil || ref.Normal != "nginx:1.27" {
		t.Errorf("parseTracked(nginx:1.27): got %+v, %v; want it parsed", ref, err)
	}
}
