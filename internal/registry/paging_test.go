package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// newPagingProxy serves next's registry, with its tag lists paged.
func newPagingProxy(t *testing.T, next http.Handler) *countingProxy {
	t.Helper()
	return newCountingProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			pagedTags(next, w, r)
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// pagedTags serves a tag list as the distribution spec says a registry
// may: n at a time after last, with a Link to the next page while there is
// one. go-containerregistry's registry leaves the Link out, and
// distribution 2.8 (the test registries) ignores n for tags.
func pagedTags(reg http.Handler, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	all := httptest.NewRecorder()
	whole := httptest.NewRequest(http.MethodGet, r.URL.Path, nil)
	whole.Header = r.Header.Clone()
	reg.ServeHTTP(all, whole)
	if all.Code != http.StatusOK {
		w.WriteHeader(all.Code)
		w.Write(all.Body.Bytes())
		return
	}
	var list struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	json.Unmarshal(all.Body.Bytes(), &list)
	// The spec's order, which the last parameter relies on.
	tags := slices.Sorted(slices.Values(list.Tags))
	if last := q.Get("last"); last != "" {
		for len(tags) > 0 && tags[0] <= last {
			tags = tags[1:]
		}
	}
	var n int
	fmt.Sscan(q.Get("n"), &n)
	if n > 0 && len(tags) > n {
		tags = tags[:n]
		next := url.Values{"n": {q.Get("n")}, "last": {tags[n-1]}}
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, next.Encode()))
	}
	list.Tags = tags
	var body bytes.Buffer
	json.NewEncoder(&body).Encode(list)
	w.Header().Set("Content-Type", "application/json")
	w.Write(body.Bytes())
}
