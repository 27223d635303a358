package httpapi

import (
	"errors"
	"net/http"
	"strings"
)

var errUnauthorized = errors.New("unauthorized: send the API key in the Authorization header")

// errWrongKey is a valid key presented to a surface it does not unlock.
type errWrongKey struct{ msg string }

func (e errWrongKey) Error() string { return e.msg }

// Each key unlocks the surfaces its tool's key did, and no others.
var (
	errTokenNotForDeploys = errWrongKey{"forbidden: the Watchtower API token (--http-api-token) unlocks /v1/* only; " +
		"this endpoint takes cutover's API key, the data directory's api_key file (cutover api-key prints it)"}
	errKeyNotForV1 = errWrongKey{"forbidden: /v1/* takes the Watchtower API token (--http-api-token, WATCHTOWER_HTTP_API_TOKEN), not cutover's API key"}
)

// presentedToken reads the key from "Authorization: Bearer <key>" or, as
// autodok clients send it, "Authorization: <key>".
func presentedToken(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(rest)
	}
	return h
}

// watchtowerKeySet reports whether a Watchtower API token of its own guards
// /v1/*; without one, cutover's API key does.
func (s *Server) watchtowerKeySet() bool { return s.deps.WatchtowerKey.Value() != "" }

// machine guards an endpoint of cutover's own (the deploy webhook) for
// machine clients: cutover's API key is required.
func (s *Server) machine(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := presentedToken(r)
		switch {
		case s.deps.Key.Matches(tok):
			next(w, r)
		case s.watchtowerKeySet() && s.deps.WatchtowerKey.Matches(tok):
			writeError(w, errTokenNotForDeploys)
		default:
			writeError(w, errUnauthorized)
		}
	})
}

// watchtower guards Watchtower's /v1/* endpoints: its token when one is
// configured, as in Watchtower, else cutover's API key.
func (s *Server) watchtower(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := presentedToken(r)
		if !s.watchtowerKeySet() {
			s.machine(next).ServeHTTP(w, r)
			return
		}
		switch {
		case s.deps.WatchtowerKey.Matches(tok):
			next(w, r)
		case s.deps.Key.Matches(tok):
			writeError(w, errKeyNotForV1)
		default:
			writeError(w, errUnauthorized)
		}
	})
}
