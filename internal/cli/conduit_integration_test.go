package cli_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// A cutover that reaches the engine through a socket proxy container, as
// examples/socket-proxy-compose.yml sets it up, never swaps that proxy, even
// when asked for it by name: stopping it would cut cutover off mid-swap,
// rollback included. The other containers update through it as usual.
func TestIntegrationTheProxyToTheEngineIsLeftAlone(t *testing.T) {
	testenv.RequireRegistries(t)
	t.Parallel()
	ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	proxy, web := testenv.Name(t, "proxy"), testenv.Name(t, "web")
	testenv.RunContainer(t, proxy, "-e", "APP_PROXY_TO=/var/run/docker.sock",
		"-v", "/var/run/docker.sock:/var/run/docker.sock", "-p", "127.0.0.1::8000", ref)
	testenv.RunContainer(t, web, ref)
	addr := testenv.PublishedPort(t, proxy, "8000")
	testenv.WaitHTTP(t, "http://"+addr+"/_ping", "OK", 30*time.Second)
	proxyID, webID := containerID(t, proxy), containerID(t, web)
	pushV2(testenv.ImageSpec{})

	r := cutover(t, "--host", "tcp://"+addr, "update", proxy, web)
	if !strings.Contains(r.stdout, "cutover reaches the Docker engine through it") {
		t.Errorf("update of %s through it: stdout %q, want it skipped because cutover reaches the engine through it", proxy, r.stdout)
	}
	if got := containerID(t, proxy); got != proxyID {
		t.Errorf("%s: replaced (%s → %s), want it left alone", proxy, short(proxyID), short(got))
	}
	if got := testenv.Docker(t, "inspect", "--format", "{{.State.Status}}", proxy); got != "running" {
		t.Errorf("%s: %s, want running", proxy, got)
	}
	if got := containerID(t, web); got == webID {
		t.Errorf("%s: not replaced, want it updated through the proxy; stdout %q", web, r.stdout)
	}
	testenv.WaitHTTP(t, "http://"+addr+"/_ping", "OK", 10*time.Second)
}
