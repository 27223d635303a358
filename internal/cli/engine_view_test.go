package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// engineSocket is the path of the engine's unix socket: DOCKER_HOST's when it
// names one, else where scripts/setup-env.sh starts the engine.
func engineSocket() string {
	if path, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok {
		return path
	}
	return "/var/run/docker.sock"
}

// containerList matches the engine's list call, with or without an API
// version prefix.
var containerList = regexp.MustCompile(`^(/v[0-9.]+)?/containers/json$`)

// engineView serves the engine's API on a unix socket of its own, which a
// containerised cutover gets instead of the engine's socket. Everything is
// passed through, except that listing containers shows only those whose
// labels owns accepts: a cutover given this socket sees, and so can only
// ever touch, the test's own containers, whatever else runs on the engine.
// The socket's path is returned; it stops answering when the test ends.
func engineView(t *testing.T, owns func(labels map[string]string) bool) string {
	t.Helper()
	return engineViewOf(t, engineSocket(), owns)
}

// engineViewOf is engineView of the engine on the unix socket upstream.
func engineViewOf(t *testing.T, upstream string, owns func(labels map[string]string) bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	proxy := engineProxy(upstream)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodGet || resp.StatusCode != http.StatusOK ||
			!containerList.MatchString(resp.Request.URL.Path) {
			return nil
		}
		return keepContainers(resp, owns)
	}
	srv := &http.Server{Handler: proxy}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return path
}

// engineProxy passes HTTP requests on to the engine's unix socket upstream.
func engineProxy(upstream string) *httputil.ReverseProxy {
	var d net.Dialer
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker"
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "unix", upstream)
			},
		},
		// Pull progress and events are streams: pass each write on at once.
		FlushInterval: -1,
		// A client that goes away mid-stream (a cutover container being
		// stopped) is no news; the client of a failed call gets a 502.
		ErrorLog: log.New(io.Discard, "", 0),
	}
}

// keepContainers rewrites a container list response to the entries owns
// accepts.
func keepContainers(resp *http.Response, owns func(map[string]string) bool) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var all []json.RawMessage
	if err := json.Unmarshal(body, &all); err != nil {
		return errors.New("container list: " + err.Error())
	}
	kept := []json.RawMessage{}
	for _, raw := range all {
		var c struct{ Labels map[string]string }
		if err := json.Unmarshal(raw, &c); err != nil {
			return errors.New("container list entry: " + err.Error())
		}
		if owns(c.Labels) {
			kept = append(kept, raw)
		}
	}
	out, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}
