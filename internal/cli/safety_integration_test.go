package cli_test

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationRollback pushes broken v2 images and checks the old
// container serves again under its name.
func TestIntegrationRollback(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	for _, tc := range []struct {
		name    string
		v1, v2  testenv.ImageSpec
		wantErr string
	}{
		{
			name: "exits at once",
			v2:   testenv.ImageSpec{Mode: "crash"},
			// The restart policy is carried over, so the engine keeps
			// restarting the broken container until the gate gives up on it.
			// Whether the gate sees it between runs (exit code 1) or running
			// again depends on timing; the reason starts the same.
			wantErr: "new container keeps restarting (",
		},
		{
			name:    "never healthy",
			v1:      testenv.ImageSpec{HealthInterval: "1s"},
			v2:      testenv.ImageSpec{HealthInterval: "1s", Mode: "unhealthy"},
			wantErr: "new container is unhealthy",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, tc.v1)
			name := testenv.Name(t, "rollback")
			testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", "--restart", "unless-stopped", ref)
			addr := testenv.PublishedPort(t, name, "8000")
			testenv.WaitHTTP(t, "http://"+addr+"/", "v1", 20*time.Second)
			oldID := containerID(t, name)
			pushV2(tc.v2)

			r := cutover(t, "update", name)
			if r.code != 1 {
				t.Errorf("update of a broken image: exit %d, want 1", r.code)
			}
			if !strings.Contains(r.stdout, name+": rolled back: "+tc.wantErr) || !strings.Contains(r.stdout, "0 updated, 1 failed") {
				t.Errorf("update output %q: want %q and the failure counted", r.stdout, name+": rolled back: "+tc.wantErr)
			}
			if got := containerID(t, name); got != oldID {
				t.Errorf("container %s after rollback: id %s, want the old one %s", name, got, oldID)
			}
			testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/", "v1", 20*time.Second)
			if got := namesLike(t, name); len(got) != 1 {
				t.Errorf("containers named like %s after rollback: %v, want just one", name, got)
			}
		})
	}
}

// TestIntegrationNetworkModeContainer updates X while Y shares X's network
// stack; Y must be restarted into X's new one.
func TestIntegrationNetworkModeContainer(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	sideRef, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "side"), Version: "side"})
	x, y := testenv.Name(t, "netx"), testenv.Name(t, "nety")
	xID := testenv.RunContainer(t, x, "-p", "127.0.0.1::8000", "-p", "127.0.0.1::8001", ref)
	// Y refers to X by id, as some tools write it; cutover must make that
	// survive X getting a new id.
	testenv.RunContainer(t, y, "--network", "container:"+xID, "-e", "PORT=8001", sideRef)
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, x, "8001")+"/", "side", 20*time.Second)
	pushV2(testenv.ImageSpec{})

	if r := cutover(t, "update", x); r.code != 0 {
		t.Fatalf("update of %s: exit %d", x, r.code)
	}
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, x, "8000")+"/", "v2", 20*time.Second)
	// Y answers on X's new network stack.
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, x, "8001")+"/", "side", 20*time.Second)
	if state := testenv.Docker(t, "inspect", "--format", "{{.State.Status}}", y); state != "running" {
		t.Errorf("%s after %s was updated: %s, want running", y, x, state)
	}
}

// TestIntegrationPrivateRegistry updates a private image with credentials
// from a config.json, and says clearly why it cannot without them.
func TestIntegrationPrivateRegistry(t *testing.T) {
	testenv.RequireEngine(t)
	ref, _, pushV2 := imagePair(t, testenv.AuthRegistry, testenv.ImageSpec{})
	name := testenv.Name(t, "private")
	// The engine itself holds no credentials: run from a local copy.
	testenv.RunContainer(t, name, ref)
	oldID := containerID(t, name)
	pushV2(testenv.ImageSpec{})

	t.Setenv("DOCKER_CONFIG", t.TempDir())
	_, c := findContainer(t, checkJSON(t, name), name)
	if c.Status != "unknown" || !strings.Contains(c.Reason, "401 Unauthorized") {
		t.Errorf("check without credentials: got status %s reason %q, want unknown with the registry's 401", c.Status, c.Reason)
	}
	r := cutover(t, "update", name)
	if !strings.Contains(r.stdout, "1 skipped") || containerID(t, name) != oldID {
		t.Errorf("update without credentials: output %q; want the container skipped and untouched", r.stdout)
	}

	dir := t.TempDir()
	auth := "Y3V0b3ZlcjpjdXRvdmVyLXNlY3JldA==" // cutover:cutover-secret
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{"`+testenv.AuthRegistry+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	if r := cutover(t, "update", name); r.code != 0 || !strings.Contains(r.stdout, "1 updated") {
		t.Fatalf("update with credentials: exit %d output %q", r.code, r.stdout)
	}
	if containerID(t, name) == oldID {
		t.Errorf("private container %s not recreated", name)
	}
}

// TestIntegrationRegistryDown leaves a container whose registry does not
// answer alone, with the reason shown.
func TestIntegrationRegistryDown(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "down"), Version: "v1"})
	// Nothing listens on port 1.
	downRef := "127.0.0.1:1/cutover-test/" + testenv.Name(t, "gone") + ":latest"
	testenv.Docker(t, "tag", ref, downRef)
	t.Cleanup(func() { testenv.RemoveImageLocal(t, downRef) })
	name := testenv.Name(t, "regdown")
	testenv.RunContainer(t, name, downRef)
	oldID := containerID(t, name)

	g, c := findContainer(t, checkJSON(t, name), name)
	if g.Status != "unknown" || c.Status != "unknown" || !strings.Contains(c.Reason, "registry unreachable") {
		t.Errorf("check with the registry down: group %s container %s reason %q, want unknown and the reason", g.Status, c.Status, c.Reason)
	}
	if g.RemoteDigest != "unknown" {
		t.Errorf("remote digest with the registry down: got %s, want unknown", g.RemoteDigest)
	}
	r := cutover(t, "update", name)
	if r.code != 0 || !strings.Contains(r.stdout, "0 updated, 0 failed, 1 skipped") || containerID(t, name) != oldID {
		t.Errorf("update with the registry down: exit %d output %q; want it skipped and untouched", r.code, r.stdout)
	}
}

// TestIntegrationOneManifestRequestPerImage counts manifest requests on
// their way to the registry: three containers over two images make two.
func TestIntegrationOneManifestRequestPerImage(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	reg := newCountingRegistry(t)
	refA, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: reg.addr + "/cutover-test/" + testenv.Name(t, "cnta"), Version: "a"})
	refB, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: reg.addr + "/cutover-test/" + testenv.Name(t, "cntb"), Version: "b"})
	var names []string
	for i, ref := range []string{refA, refA, refB} {
		n := testenv.Name(t, "count"+string(rune('a'+i)))
		testenv.RunContainer(t, n, ref)
		names = append(names, n)
	}
	before := reg.manifestRequests()
	checkJSON(t, names...)
	if got := reg.manifestRequests() - before; got != 2 {
		t.Errorf("manifest requests for one check of 3 containers over 2 images: got %d, want 2", got)
	}
}

// countingRegistry is a proxy of the test's own in front of the plain
// registry. Images pushed through it name it, so every request for them
// passes it, and it counts each manifest request before passing it on: once
// a client has its answers, the count is complete.
type countingRegistry struct {
	addr string

	mu        sync.Mutex
	manifests int
}

func newCountingRegistry(t *testing.T) *countingRegistry {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &countingRegistry{addr: ln.Addr().String()}
	// The Host header is kept, so the registry's upload locations point
	// back at the proxy.
	forward := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: testenv.PlainRegistry})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.URL.Path, "/manifests/") {
			c.mu.Lock()
			c.manifests++
			c.mu.Unlock()
		}
		forward.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return c
}

func (c *countingRegistry) manifestRequests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.manifests
}
