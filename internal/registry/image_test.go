package registry

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cutover/cutover/internal/release"
)

// child is one platform's image in a test index.
type child struct {
	platform v1.Platform
	created  time.Time
	labels   map[string]string
}

// pushIndex pushes a multi-platform index of children to host and returns
// its reference by tag and its digest.
func pushIndex(t *testing.T, host, repo string, children []child) (string, string) {
	t.Helper()
	idx := v1.ImageIndex(empty.Index)
	for _, ch := range children {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.Created = v1.Time{Time: ch.created}
		cf.Config.Labels = ch.labels
		cf.OS, cf.Architecture, cf.Variant = ch.platform.OS, ch.platform.Architecture, ch.platform.Variant
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		p := ch.platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	ref := host + "/cutover-test/" + repo + ":1.0"
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref, d.String()
}

func TestImageOfMultiPlatformIndex(t *testing.T) {
	b := newBearerRegistry(t)
	built := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	children := []child{
		{v1.Platform{OS: "linux", Architecture: "amd64"}, built, map[string]string{"arch": "amd64", release.LabelVersion: "1.0"}},
		{v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, built.Add(time.Hour), map[string]string{"arch": "arm64"}},
		{v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, time.Unix(0, 0), map[string]string{"arch": "arm/v7"}},
		{v1.Platform{OS: "unknown", Architecture: "unknown"}, built, map[string]string{"arch": "attestation"}},
	}
	direct, digest := pushIndex(t, b.direct, "multi", children)
	ref := strings.Replace(direct, b.direct, b.host(), 1)

	for _, tc := range []struct {
		platform string
		want     release.Image
		err      string
	}{
		{platform: "linux/amd64", want: release.Image{Digest: digest, Created: built, Labels: map[string]string{"arch": "amd64", release.LabelVersion: "1.0"}}},
		{platform: "linux/arm64", want: release.Image{Digest: digest, Created: built.Add(time.Hour), Labels: map[string]string{"arch": "arm64"}}},
		{platform: "linux/arm64/v8", want: release.Image{Digest: digest, Created: built.Add(time.Hour), Labels: map[string]string{"arch": "arm64"}}},
		// The epoch of a reproducible build says nothing: no created time.
		{platform: "linux/arm/v7", want: release.Image{Digest: digest, Labels: map[string]string{"arch": "arm/v7"}}},
		{platform: "linux/arm/v6", err: ref + " has no image for linux/arm/v6"},
		{platform: "linux/s390x", err: ref + " has no image for linux/s390x"},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			rec := &recorder{}
			c, err := New(Options{Keychain: authn.NewMultiKeychain(), Platform: tc.platform, Transport: rec})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Image(context.Background(), ref)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("image of %s for %s: got %+v, %v; want error %q", ref, tc.platform, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("image of %s for %s: %v", ref, tc.platform, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("image of %s for %s (-want +got):\n%s", ref, tc.platform, diff)
			}
			// The index, the platform's manifest, its configuration.
			if got, want := sorted(rec.take()), []string{"GET blob", "GET manifest", "GET manifest", "ping", "token"}; !slices.Equal(got, want) {
				t.Errorf("requests of a first image fetch: got %v, want %v", got, want)
			}

			byDigest := strings.Replace(ref, ":1.0", "@"+digest, 1)
			again, err := c.Image(context.Background(), byDigest)
			if err != nil || !cmp.Equal(again, tc.want) {
				t.Errorf("image of %s again: got %+v, %v; want %+v", byDigest, again, err, tc.want)
			}
			if got := rec.take(); len(got) != 0 {
				t.Errorf("requests of an image fetched again by digest: got %v, want none", got)
			}
			// A caller changing what it got changes nothing for the next.
			again.Labels["arch"] = "changed"
			if third, _ := c.Image(context.Background(), byDigest); third.Labels["arch"] != tc.want.Labels["arch"] {
				t.Errorf("image of %s after a caller changed its labels: got %v, want %v", byDigest, third.Labels, tc.want.Labels)
			}
		})
	}
}

// Containers on the same offered version, checked at once, share one fetch.
func TestImageConcurrentCallsShareOneFetch(t *testing.T) {
	b := newBearerRegistry(t)
	direct, _ := pushIndex(t, b.direct, "shared", []child{{v1.Platform{OS: "linux", Architecture: "amd64"}, time.Now(), nil}})
	ref := strings.Replace(direct, b.direct, b.host(), 1)
	rec := &recorder{}
	c, err := New(Options{Keychain: authn.NewMultiKeychain(), Platform: "linux/amd64", Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.Image(context.Background(), ref); err != nil {
				t.Errorf("image of %s: %v", ref, err)
			}
		})
	}
	wg.Wait()
	blobs := 0
	for _, r := range rec.take() {
		if r == "GET blob" {
			blobs++
		}
	}
	// A call that starts after the first fetch ends costs one manifest
	// request, never another configuration.
	if blobs != 1 {
		t.Errorf("configuration fetches of 8 concurrent calls: got %d, want 1", blobs)
	}
}

func TestNewRefusesBadPlatform(t *testing.T) {
	for _, p := range []string{"linux", "linux/", "/amd64", "linux/arm/v7/x", " linux/amd64", "windows/amd64:10.0.17763"} {
		c, err := New(Options{Platform: p})
		want := fmt.Sprintf("invalid platform %q: want os/arch or os/arch/variant, for example linux/arm64", p)
		if err == nil || err.Error() != want {
			t.Errorf("New with platform %q: got %v, %v; want error %q", p, c, err, want)
		}
	}
}

func TestTagsThroughBearerToken(t *testing.T) {
	b := newBearerRegistry(t)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1.0.0", "1.0.1", "1.1.0", "2.0.0", "latest"}
	for _, tag := range want {
		ref, _ := name.NewTag(b.direct+"/cutover-test/listed:"+tag, name.Insecure)
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	c, err := New(Options{Keychain: authn.NewMultiKeychain(), TagPageSize: 2, Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	repo := b.host() + "/cutover-test/listed"
	c.Expect([]string{repo + ":1.0.0"})
	got, err := c.Tags(context.Background(), repo)
	if err != nil {
		t.Fatalf("tags of %s: %v", repo, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags of %s (-want +got):\n%s", repo, diff)
	}
	if got, want := rec.take(), []string{"ping", "token", "tags 2", "tags 2", "tags 2"}; !slices.Equal(got, want) {
		t.Errorf("requests of a tag list of 5 at 2 a page: got %v, want %v", got, want)
	}
	if got, want := b.tokens(), [][]string{{"repository:cutover-test/listed:pull"}}; !cmp.Equal(got, want) {
		t.Errorf("token requests: got %v, want %v", got, want)
	}
}

func TestTagsRefusesEndlessPages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		w.Header().Set("Link", `</v2/app/tags/list?last=a&n=1000>; rel="next"`)
		fmt.Fprint(w, `{"name":"app","tags":["a"]}`)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Options{Keychain: authn.NewMultiKeychain()})
	if err != nil {
		t.Fatal(err)
	}
	repo := strings.TrimPrefix(srv.URL, "http://") + "/app"
	got, err := c.Tags(context.Background(), repo)
	if want := "registry's tag list of app does not end: stopped after 2 pages"; err == nil || err.Error() != want {
		t.Errorf("tags of a registry whose pages loop: got %v, %v; want error %q", got, err, want)
	}
}

func TestTagsAndImageRefuseBadReferences(t *testing.T) {
	c, err := New(Options{Keychain: authn.NewMultiKeychain()})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"", "Nginx", "nginx::1", "ex ample/app", "nginx@sha256:abc"} {
		if got, err := c.Tags(context.Background(), ref); err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("invalid image reference %q", ref)) {
			t.Errorf("Tags(%q): got %v, %v; want an invalid reference error", ref, got, err)
		}
		if got, err := c.Image(context.Background(), ref); err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("invalid image reference %q", ref)) {
			t.Errorf("Image(%q): got %+v, %v; want an invalid reference error", ref, got, err)
		}
	}
}
