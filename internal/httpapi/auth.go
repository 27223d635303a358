package httpapi

import (
	"errors"
	"net/http"
	"strings"
)

var errUnauthorized = errors.New("unauthorized: send the API key in the Authorization header")

// presentedToken reads the key from "Authorization: Bearer <key>" or, as
// autodok clients send it, "Authorization: <key>".
func presentedToken(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(rest)
	}
	return h
}

// machine guards an endpoint for machine clients: the API key is required.
func (s *Server) machine(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.deps.Key.Matches(presentedToken(r)) {
			writeError(w, errUnauthorized)
			return
		}
		next(w, r)
	})
}
