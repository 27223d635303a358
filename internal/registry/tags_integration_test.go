package registry

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/policy"
	"github.com/cutover/cutover/internal/release"
	"github.com/cutover/cutover/internal/testenv"
)

// recorder is an Options.Transport that notes every request, as the CLI's
// request counter (the registry_requests metric) sees them.
type recorder struct {
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, requestKind(req))
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// take returns the requests so far and starts again.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	reqs := r.reqs
	r.reqs = nil
	return reqs
}

func requestKind(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		return "ping"
	case p == "/token":
		return "token"
	case strings.HasSuffix(p, "/tags/list"):
		return "tags " + r.URL.Query().Get("n")
	case strings.Contains(p, "/manifests/"):
		return r.Method + " manifest"
	case strings.Contains(p, "/blobs/"):
		return r.Method + " blob"
	}
	return r.Method + " " + p
}

// The repository, pushed to each real registry, listed page by
// page through the client, each policy's choice among what it lists, and
// an offered version's configuration, fetched once.
func TestIntegrationTagPolicies(t *testing.T) {
	testenv.RequireRegistries(t)
	tags := []string{"1.0.0", "1.0.1", "1.1.0", "2.0.0", "2.1.0-rc1", "1.1.0-alpine", "v3"}
	for _, tc := range []struct {
		registry string
		opts     Options
	}{
		{registry: testenv.PlainRegistry},
		{registry: testenv.AuthRegistry, opts: Options{Username: testenv.AuthUser, Password: testenv.AuthPassword}},
	} {
		t.Run(tc.registry, func(t *testing.T) {
			repo := tc.registry + "/cutover-test/" + testenv.Name(t, "tags")
			digests := map[string]string{}
			pushed := time.Now()
			for _, tag := range tags {
				_, digests[tag] = testenv.BuildAndPush(t, testenv.ImageSpec{
					Repo: repo, Tag: tag, Version: "v1",
					Labels: map[string]string{
						release.LabelVersion: tag,
						release.LabelSource:  "https://github.com/cutover/cutover",
					},
				})
			}
			built := time.Now()

			rec := &recorder{}
			opts := tc.opts
			opts.Transport = rec
			opts.TagPageSize = 2
			c, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			c.Expect([]string{repo + ":1.0.0"})

			// distribution 2.8 ignores n on tag lists: one page, whatever
			// was asked.
			listed, err := c.Tags(context.Background(), repo+":1.0.0")
			if err != nil {
				t.Fatalf("tags of %s: %v", repo, err)
			}
			if diff := cmp.Diff(sorted(tags), sorted(listed)); diff != "" {
				t.Errorf("tags of %s (-want +got):\n%s", repo, diff)
			}
			if got, want := rec.take(), []string{"ping", "tags 2"}; !slices.Equal(got, want) {
				t.Errorf("requests of a tag list of 7 that the registry sends whole: got %v, want %v", got, want)
			}

			// Through a proxy that pages as the distribution spec allows,
			// with Link headers: seven tags, two a page, four pages.
			paging := newPagingProxy(t, forwardTo(tc.registry))
			pagedRepo := paging.host() + strings.TrimPrefix(repo, tc.registry)
			paged, err := c.Tags(context.Background(), pagedRepo)
			if err != nil {
				t.Fatalf("tags of %s: %v", pagedRepo, err)
			}
			if diff := cmp.Diff(sorted(tags), paged); diff != "" {
				t.Errorf("tags of %s, paged (-want +got):\n%s", pagedRepo, diff)
			}
			if got, want := rec.take(), []string{"ping", "tags 2", "tags 2", "tags 2", "tags 2"}; !slices.Equal(got, want) {
				t.Errorf("requests of a tag list of 7 at 2 a page: got %v, want %v", got, want)
			}

			for _, sc := range []struct {
				current string
				policy  policy.Policy
				include string
				want    string
			}{
				{"1.0.0", policy.Patch, "", "1.0.1"},
				{"1.0.0", policy.Minor, "", "1.1.0"},
				{"1.0.0", policy.Major, "", "2.0.0"},
				{"1.0.0", policy.Major, `^1\.`, "1.1.0"},
				{"1.0.1", policy.Patch, "", ""},
				{"1.0.1", policy.Minor, "", "1.1.0"},
				{"1.1.0", policy.Minor, "", ""},
				{"2.0.0", policy.Major, "", ""},
				{"2.1.0-rc0", policy.Major, "", "2.1.0-rc1"},
				{"1.0.0-alpine", policy.Major, "", "1.1.0-alpine"},
				{"1.0.0-alpine", policy.Patch, "", ""},
				{"v1", policy.Major, "", "v3"},
				{"v3", policy.Major, "", ""},
			} {
				r, err := policy.NewRules(sc.policy, sc.include, "")
				if err != nil {
					t.Fatal(err)
				}
				if got := r.Select(sc.current, listed); got.Tag != sc.want || got.Policy != sc.policy {
					t.Errorf("%s from %s (include %q): got %+v, want tag %q", sc.policy, sc.current, sc.include, got, sc.want)
				}
			}
			r, _ := policy.NewRules(policy.Minor, "", "")
			if got := r.Select("latest", listed); got.Policy != policy.Digest || got.Tag != "" || got.Reason == "" {
				t.Errorf("minor from latest: got %+v, want a fall back to digest with a reason", got)
			}

			img, err := c.Image(context.Background(), repo+":1.1.0")
			if err != nil {
				t.Fatalf("image %s:1.1.0: %v", repo, err)
			}
			if img.Digest != digests["1.1.0"] {
				t.Errorf("image %s:1.1.0: got digest %s, want the pushed %s", repo, img.Digest, digests["1.1.0"])
			}
			if img.Created.Before(pushed.Add(-time.Second)) || img.Created.After(built.Add(time.Second)) {
				t.Errorf("image %s:1.1.0: got created %s, want between %s and %s", repo, img.Created, pushed, built)
			}
			if img.Version() != "1.1.0" || img.Labels[release.LabelSource] != "https://github.com/cutover/cutover" || img.Labels["cutover.test"] != "1" {
				t.Errorf("image %s:1.1.0: got labels %v, want its version, source and test labels", repo, img.Labels)
			}
			if got, want := release.NotesURL(img.Labels, img.Version()), "https://github.com/cutover/cutover/releases/tag/1.1.0"; got != want {
				t.Errorf("release notes of %s:1.1.0: got %q, want %q", repo, got, want)
			}
			if got, want := rec.take(), []string{"GET manifest", "GET blob"}; !slices.Equal(got, want) {
				t.Errorf("requests of a first image fetch: got %v, want %v", got, want)
			}

			again, err := c.Image(context.Background(), repo+"@"+digests["1.1.0"])
			if err != nil || !cmp.Equal(again, img) {
				t.Errorf("image %s@%s again: got %+v, %v; want %+v", repo, digests["1.1.0"], again, err, img)
			}
			if got := rec.take(); len(got) != 0 {
				t.Errorf("requests of an image fetched again by digest: got %v, want none", got)
			}
			if _, err := c.Image(context.Background(), repo+":1.1.0"); err != nil {
				t.Errorf("image %s:1.1.0 again: %v", repo, err)
			}
			if got, want := rec.take(), []string{"GET manifest"}; !slices.Equal(got, want) {
				t.Errorf("requests of an image fetched again by tag: got %v, want %v", got, want)
			}

			if _, err := c.Tags(context.Background(), tc.registry+"/cutover-test/"+testenv.Name(t, "absent")); err == nil || !strings.HasPrefix(err.Error(), "registry answered 404 Not Found") {
				t.Errorf("tags of a repository that does not exist: got %v, want a 404", err)
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
