package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// health answers 200 with an empty body when the container engine answers,
// 503 with a one-line reason when it does not. No key needed. With several
// engines it answers a line per engine, "NAME: ok" or "NAME: unreachable:
// reason", and 503 only when none answers: one engine down is that
// engine's trouble, shown here, not a reason to restart cutover.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if s.deps.Engines != nil {
		answers := s.deps.Engines.PingEach(ctx)
		var b strings.Builder
		up := 0
		for _, a := range answers {
			if a.Err != nil {
				fmt.Fprintf(&b, "%s: unreachable: %s\n", a.Host, oneLine(a.Err.Error()))
				continue
			}
			up++
			fmt.Fprintf(&b, "%s: ok\n", a.Host)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if up == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(b.String()))
		return
	}
	if s.deps.Engine != nil {
		if err := s.deps.Engine.Ping(ctx); err != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("docker engine unreachable: " + oneLine(err.Error()) + "\n"))
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

func oneLine(s string) string {
	for i, r := range s {
		if r == '\n' || r == '\r' {
			return s[:i]
		}
	}
	return s
}
