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

// A URL on the command line is asked as curl --fail would ask it, so
// autodok's compose healthcheck has a form that runs in cutover's image.
func TestHealthcheckURL(t *testing.T) {
	t.Parallel()
	healthy := healthServer(t, http.StatusOK, "")
	sick := healthServer(t, http.StatusServiceUnavailable, "docker engine unreachable\n")
	for _, tc := range []struct {
		url    string
		code   int
		stderr string
	}{
		{"http://localhost:" + healthy + "/health", 0, ""},
		{"http://127.0.0.1:" + sick + "/health", 1, "503 Service Unavailable: docker engine unreachable"},
		{"http://127.0.0.1:" + healthy + "/elsewhere", 1, "404"},
		{"localhost:3000/health", 1, `"localhost:3000/health": want an http:// or https:// URL`},
		{"ftp://localhost/health", 1, "want an http:// or https:// URL"},
	} {
		r := cutover(t, "healthcheck", tc.url)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("cutover healthcheck %s: exit %d, stderr %q; want %d and %q", tc.url, r.code, r.stderr, tc.code, tc.stderr)
		}
	}
	if r := cutover(t, "healthcheck", "http://a/health", "http://b/health"); r.code == 0 || !strings.Contains(r.stderr, "accepts at most 1 arg") {
		t.Errorf("cutover healthcheck with two URLs: exit %d, stderr %q; want a refusal", r.code, r.stderr)
	}
}

// Image Watch's PORT moves serve's listener, so the image's HEALTHCHECK
// follows it too.
func TestHealthcheckReadsPort(t *testing.T) {
	healthy := healthServer(t, http.StatusOK, "")
	t.Setenv("CUTOVER_LISTEN", "")
	t.Setenv("PORT", healthy)
	if r := cutover(t, "healthcheck"); r.code != 0 {
		t.Errorf("cutover healthcheck with PORT=%s: exit %d, want 0 (stderr %q)", healthy, r.code, r.stderr)
	}
}
