// Package socketproxy forwards the Docker Engine API from a unix socket of
// its own to an engine's unix socket, letting its user see, change, answer
// or hold each request on the way. The bench narrows container lists with
// it; tests inject engine faults with it.
package socketproxy

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
)

// Proxy listens on a unix socket and forwards to an engine. Streamed answers
// (pull progress, events, logs) pass as they come; upgraded connections
// (attach, exec) are spliced through.
type Proxy struct {
	path string
	srv  *http.Server
}

// Start listens on the socket path, replacing a stale socket file there, and
// forwards to the engine's socket at upstream. wrap, if not nil, receives
// the forwarding handler and returns the handler the proxy serves with: it
// may change a request before passing it on, answer it itself, or hold it.
func Start(path, upstream string, wrap func(forward http.Handler) http.Handler) (*Proxy, error) {
	// A process killed before its cleanup leaves the socket file behind.
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	var h http.Handler = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The host is a placeholder: the transport dials the socket.
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "engine"
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", upstream)
			},
			MaxIdleConnsPerHost: 32,
		},
		FlushInterval: -1,
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	if wrap != nil {
		h = wrap(h)
	}
	p := &Proxy{path: path, srv: &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("engine socket proxy %s: %v", path, err)
		}
	}()
	return p, nil
}

// Host is the DOCKER_HOST value that reaches the engine through the proxy.
func (p *Proxy) Host() string { return "unix://" + p.path }

// Close stops the proxy and ends the requests in flight; hijacked
// connections (attach, exec) end with their callers.
func (p *Proxy) Close() error { return p.srv.Close() }
