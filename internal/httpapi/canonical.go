package httpapi

import (
	"net/http"
	"path"
	"strings"
)

// canonicalPaths answers 400 to a request whose path is not in its clean
// form ("//x", "/a/../b", "/./x"). ServeMux would redirect such a request to
// the clean path, echoing the request's path in Location; no client of this
// API sends one.
func canonicalPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, "/") && cleanPath(p) != p {
			writeJSONError(w, http.StatusBadRequest, "request path not in canonical form: no empty, '.' or '..' segments")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cleanPath is path.Clean keeping a trailing slash, as ServeMux cleans.
func cleanPath(p string) string {
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean
}
