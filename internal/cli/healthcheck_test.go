package cli_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// healthServer answers /health with status and body.
func healthServer(t *testing.T, status int, body string) (port string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return port
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	healthy := healthServer(t, http.StatusOK, "")
	sick := healthServer(t, http.StatusServiceUnavailable, "docker engine unreachable: no socket\n")
	_, closed, _ := net.SplitHostPort(freeAddr(t))
	for _, tc := range []struct {
		name, listen string
		code         int
		stderr       string
	}{
		{"wildcard address is asked on loopback", ":" + healthy, 0, ""},
		{"IPv4 wildcard", "0.0.0.0:" + healthy, 0, ""},
		{"loopback address", "127.0.0.1:" + healthy, 0, ""},
		{"503 with its reason", ":" + sick, 1, "503 Service Unavailable: docker engine unreachable: no socket"},
		{"nothing listening", "127.0.0.1:" + closed, 1, "connection refused"},
		{"no port", "127.0.0.1", 1, `--listen "127.0.0.1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cutover(t, "healthcheck", "--listen", tc.listen)
			if r.code != tc.code {
				t.Errorf("cutover healthcheck --listen %s: exit %d, want %d (stderr %q)", tc.listen, r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("cutover healthcheck --listen %s: stderr %q, want it to contain %q", tc.listen, r.stderr, tc.stderr)
			}
		})
	}
}

// The image's HEALTHCHECK has no flags: the listen address comes from the
// same variable serve reads.
func TestHealthcheckReadsListenVariable(t *testing.T) {
	healthy := healthServer(t, http.StatusOK, "")
	t.Setenv("CUTOVER_LISTEN", "127.0.0.1:"+healthy)
	if r := cutover(t, "healthcheck"); r.code != 0 {
		t.Errorf("cutover healthcheck with CUTOVER_LISTEN=127.0.0.1:%s: exit %d, want 0 (stderr %q)", healthy, r.code, r.stderr)
	}
	t.Setenv("CUTOVER_LISTEN", "127.0.0.1:"+healthServer(t, http.StatusInternalServerError, ""))
	if r := cutover(t, "healthcheck"); r.code != 1 || !strings.Contains(r.stderr, "500") {
		t.Errorf("cutover healthcheck against a 500: exit %d, stderr %q; want 1 and the status", r.code, r.stderr)
	}
}
