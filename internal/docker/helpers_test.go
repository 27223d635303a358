package docker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
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

// testEngine is one engine the adapter is tested on: the testenv helpers
// aimed at it, the adapter under test, and a plain SDK client to look at
// what the adapter made.
type testEngine struct {
	*testenv.Engine
	rt  *docker.Runtime
	cli *client.Client
}

// onEngine returns e with a Runtime and an SDK client on it, and pulls
// images onto it: they are built on the shared engine, and the adapter
// expects a replacement's image to be there already.
func onEngine(t *testing.T, e *testenv.Engine, images ...string) *testEngine {
	t.Helper()
	rt, err := docker.New(e.Host)
	if err != nil {
		t.Fatalf("docker.New(%s): %v", e.Host, err)
	}
	t.Cleanup(func() { rt.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := rt.Ping(ctx); err != nil {
		t.Fatalf("Ping %s: %v", rt.Host(), err)
	}
	cli, err := client.New(client.FromEnv, client.WithHost(e.Host))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	for _, ref := range images {
		e.Pull(t, ref)
	}
	return &testEngine{Engine: e, rt: rt, cli: cli}
}

// on runs f as a subtest on the shared engine and on the current one, with
// images pulled onto each.
func on(t *testing.T, f func(t *testing.T, te *testEngine), images ...string) {
	t.Helper()
	testenv.ForEachEngine(t, func(t *testing.T, e *testenv.Engine) {
		f(t, onEngine(t, e, images...))
	})
}

var anonymous = regexp.MustCompile(`^[0-9a-f]{64}$`)

// removeLater removes a container when the test ends, and the anonymous
// volumes it used: one attached by name to a replacement outlives "rm -v", so
// each removal tries, and the last user's succeeds.
func (te *testEngine) removeLater(t *testing.T, id string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var volumes []string
		if res, err := te.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err == nil {
			for _, m := range res.Container.Mounts {
				if anonymous.MatchString(m.Name) {
					volumes = append(volumes, m.Name)
				}
			}
		}
		_, _ = te.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		for _, v := range volumes {
			_, _ = te.cli.VolumeRemove(ctx, v, client.VolumeRemoveOptions{})
		}
	})
}

// inspect inspects a container with the SDK.
func (te *testEngine) inspect(t *testing.T, id string) client.ContainerInspectResult {
	t.Helper()
	res, err := te.cli.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %s on the %s engine: %v", id, te.Name, err)
	}
	return res
}

// socket returns the path of the engine's unix socket, skipping the test
// when the engine is reached otherwise.
func (te *testEngine) socket(t *testing.T) string {
	t.Helper()
	path, ok := strings.CutPrefix(te.Host, "unix://")
	if !ok {
		t.Skipf("needs an engine on a unix socket, have %s", te.Host)
	}
	return path
}

// apiVersion returns the API version the SDK settles on with the engine.
func (te *testEngine) apiVersion(t *testing.T) string {
	t.Helper()
	if _, err := te.cli.Ping(t.Context(), client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		t.Fatal(err)
	}
	return te.cli.ClientVersion()
}

// createRaw creates a container from a hand-written request, for settings
// neither the docker command nor the SDK can send to this engine, and removes
// it when the test ends.
func (te *testEngine) createRaw(t *testing.T, name string, req map[string]any) string {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	socket := te.socket(t)
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
	defer hc.CloseIdleConnections()
	u := "http://engine/v" + te.apiVersion(t) + "/containers/create?name=" + url.QueryEscape(name)
	resp, err := hc.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var created struct {
		ID      string `json:"Id"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || created.ID == "" {
		t.Fatalf("create %s on the %s engine: %s %s %v", name, te.Name, resp.Status, created.Message, err)
	}
	te.removeLater(t, created.ID)
	return created.ID
}
