package bench

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"regexp"
)

// EngineProxy is a unix socket in front of the Docker engine that lists only
// containers labelled cutover.bench=1. cutover and the floor's restarts talk
// to the engine through it, so that on a shared machine nothing cutover does
// at start-up (it recovers unfinished swaps engine-wide) reaches containers
// the bench did not create, and both pay the same extra hop.
type EngineProxy struct {
	path string
	srv  *http.Server
}

// containerList matches the engine's list call, with or without a version.
var containerList = regexp.MustCompile(`^(/v[0-9.]+)?/containers/json$`)

// StartEngineProxy listens on dir/engine.sock and forwards to the engine's
// socket at upstream.
func StartEngineProxy(dir, upstream string) (*EngineProxy, error) {
	path := filepath.Join(dir, "engine.sock")
	// A run killed before its cleanup leaves the socket file behind.
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "engine"
			if pr.In.Method == http.MethodGet && containerList.MatchString(pr.In.URL.Path) {
				q := pr.Out.URL.Query()
				q.Set("filters", withBenchLabel(q.Get("filters")))
				pr.Out.URL.RawQuery = q.Encode()
			}
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", upstream)
			},
			MaxIdleConnsPerHost: 32,
		},
		FlushInterval: -1, // events and pull progress stream
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	p := &EngineProxy{path: path, srv: &http.Server{Handler: rp, ErrorLog: log.New(io.Discard, "", 0)}}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("engine proxy: %v", err)
		}
	}()
	return p, nil
}

// Host is the DOCKER_HOST value that reaches the engine through the proxy.
func (p *EngineProxy) Host() string { return "unix://" + p.path }

// Close stops the proxy; hijacked connections (exec, attach) end with their
// callers.
func (p *EngineProxy) Close() error { return p.srv.Close() }

// withBenchLabel adds label=cutover.bench=1 to a list call's filters, in
// either of the two forms the engine accepts: {"label":{"k=v":true}} (what
// clients send today) or {"label":["k=v"]}.
func withBenchLabel(filters string) string {
	f := map[string]any{}
	if filters != "" {
		if err := json.Unmarshal([]byte(filters), &f); err != nil {
			f = map[string]any{}
		}
	}
	switch l := f["label"].(type) {
	case []any:
		f["label"] = append(l, benchLabel)
	case map[string]any:
		l[benchLabel] = true
	default:
		f["label"] = map[string]bool{benchLabel: true}
	}
	b, _ := json.Marshal(f)
	return string(b)
}
