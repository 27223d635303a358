package httpapi

import (
	"context"
	"net/http"
	"time"
)

// health answers 200 with an empty body when the container engine answers,
// 503 with a one-line reason when it does not. No key needed.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
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
