package cli_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationPullCutHalfway cuts every layer download halfway: the pull
// fails, is reported, and the running container is left as it was.
func TestIntegrationPullCutHalfway(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	target, _ := url.Parse("http://" + testenv.PlainRegistry)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var cut atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cut.Load() || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
			proxy.ServeHTTP(w, r)
			return
		}
		resp, err := http.Get("http://" + testenv.PlainRegistry + r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.CopyN(w, resp.Body, resp.ContentLength/2)
		w.(http.Flusher).Flush()
		// Cut the connection with the body half sent.
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	ref, _, pushV2 := imagePair(t, host, testenv.ImageSpec{})
	name := testenv.Name(t, "pullcut")
	testenv.RunContainer(t, name, ref)
	oldID := containerID(t, name)
	pushV2(testenv.ImageSpec{ExtraLayers: 1})
	// The engine must fetch v2's layers through the proxy.
	testenv.RemoveImageLocal(t, ref)
	cut.Store(true)

	r := cutover(t, "update", name)
	if r.code != 1 || !strings.Contains(r.stdout, name+": failed: pull "+ref) || !strings.Contains(r.stdout, "0 updated, 1 failed") {
		t.Errorf("update with the pull cut halfway: exit %d, output %q; want the failed pull reported", r.code, r.stdout)
	}
	if got := containerID(t, name); got != oldID {
		t.Errorf("container %s changed after a failed pull: id %s, want %s", name, got, oldID)
	}
	requireOnce(t, name)
}
