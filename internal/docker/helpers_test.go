package docker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cutover/cutover/internal/docker"
	"github.com/cutover/cutover/internal/testenv"
)

// testImages are two versions of one image whose defaults differ: v2 changes
// the FLAVOR variable, the app.version label, the Cmd and the healthcheck
// interval.
type testImages struct {
	v1, v2 string
}

// buildImages builds and pushes the test images of one test.
func buildImages(t *testing.T) testImages {
	t.Helper()
	spec := testenv.ImageSpec{
		Repo:    testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "docker"),
		Expose:  []string{"8000"},
		Volumes: []string{"/anon"},
	}
	v1, v2 := spec, spec
	v1.Tag, v1.Env, v1.Cmd, v1.HealthInterval = "v1", []string{"FLAVOR=one", "KEEP=image"}, []string{"serve"}, "1s"
	v1.Labels = map[string]string{"app.version": "1"}
	v2.Tag, v2.Env, v2.Cmd, v2.HealthInterval = "v2", []string{"FLAVOR=two", "KEEP=image"}, []string{"serve", "v2"}, "2s"
	v2.Labels = map[string]string{"app.version": "2"}
	var img testImages
	img.v1, _ = testenv.BuildAndPush(t, v1)
	img.v2, _ = testenv.BuildAndPush(t, v2)
	return img
}

// newRuntime returns a Runtime on the engine of the environment, skipping the
// test when none answers (failing it when CI is set).
func newRuntime(t *testing.T) *docker.Runtime {
	t.Helper()
	testenv.RequireEngine(t)
	rt, err := docker.New("")
	if err != nil {
		t.Fatalf("docker.New: %v", err)
	}
	t.Cleanup(func() { rt.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := rt.Ping(ctx); err != nil {
		t.Fatalf("Ping %s: %v", rt.Host(), err)
	}
	return rt
}

// sdk returns a plain SDK client, to look at what the adapter made.
func sdk(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

var anonymous = regexp.MustCompile(`^[0-9a-f]{64}$`)

// removeLater removes a container when the test ends, and the anonymous
// volumes it used: one attached by name to a replacement outlives "rm -v", so
// each removal tries, and the last user's succeeds.
func removeLater(t *testing.T, id string) {
	t.Helper()
	cli := sdk(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var volumes []string
		if res, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err == nil {
			for _, m := range res.Container.Mounts {
				if anonymous.MatchString(m.Name) {
					volumes = append(volumes, m.Name)
				}
			}
		}
		_, _ = cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		for _, v := range volumes {
			_, _ = cli.VolumeRemove(ctx, v, client.VolumeRemoveOptions{})
		}
	})
}

// inspect inspects a container with the SDK.
func inspect(t *testing.T, id string) client.ContainerInspectResult {
	t.Helper()
	res, err := sdk(t).ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %s: %v", id, err)
	}
	return res
}

// engineSocket returns the path of the engine's unix socket, skipping the
// test when the engine is reached otherwise.
func engineSocket(t *testing.T, rt *docker.Runtime) string {
	t.Helper()
	path, ok := strings.CutPrefix(rt.Host(), "unix://")
	if !ok {
		t.Skipf("needs an engine on a unix socket, have %s", rt.Host())
	}
	return path
}

// engineClient returns an HTTP client that reaches the engine at socket.
func engineClient(socket string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
}

// apiVersion returns the API version the SDK settles on with the engine.
func apiVersion(t *testing.T) string {
	t.Helper()
	cli := sdk(t)
	if _, err := cli.Ping(t.Context(), client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		t.Fatal(err)
	}
	return cli.ClientVersion()
}

// createRaw creates a container from a hand-written request, for settings
// neither the docker command nor the SDK can send to this engine, and removes
// it when the test ends.
func createRaw(t *testing.T, rt *docker.Runtime, name string, req map[string]any) string {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	u := "http://engine/v" + apiVersion(t) + "/containers/create?name=" + url.QueryEscape(name)
	resp, err := engineClient(engineSocket(t, rt)).Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var created struct {
		ID      string `json:"Id"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || created.ID == "" {
		t.Fatalf("create %s: %s %s %v", name, resp.Status, created.Message, err)
	}
	removeLater(t, created.ID)
	return created.ID
}

// recordingEngine puts a proxy in front of the engine and returns its
// address and the bodies of the create requests it passed on.
func recordingEngine(t *testing.T, rt *docker.Runtime) (string, func() []string) {
	t.Helper()
	real := engineSocket(t, rt)
	dir, err := os.MkdirTemp("", "cdt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, "engine.sock"))
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: "http", Host: "engine"}) },
		Transport: engineClient(real).Transport,
	}
	var mu sync.Mutex
	var creates []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/containers/create") {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			creates = append(creates, string(body))
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "unix://" + ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(creates)
	}
}
