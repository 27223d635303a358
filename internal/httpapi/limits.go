package httpapi

import (
	"log/slog"
	"net/http"
	"time"
)

// What one client may cost the server: a client that sends its headers or
// its body slowly is cut off, an idle connection is closed, and oversized
// headers are refused with 431. There is no write timeout: a synchronous
// update answers when the pass is done, which may take minutes.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// httpServer is the http.Server that Serve runs.
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.deps.Log.Handler(), slog.LevelDebug),
	}
}
